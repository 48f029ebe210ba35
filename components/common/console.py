"""The builder guest's lines: its proof line and its failure lines.

The proof line for the VM's vmId (`proof_line`) is the second line of the guest's `generalized` build-proof marker
(components/common/proof.py), the gate the capture step reads: on Linux `deprovisioned_line`, proof that the setup
script succeeded and `waagent -deprovision+user` did too; on Windows `sysprep_generalized_line`, written only once
sysprep reports the image generalized (image/build-driver.ps1). A VM that powered off without it (a setup script that
ran `shutdown`, a Stop in the portal, a failed deprovision or sysprep) is never generalized or captured. A failure
line starts the guest's `failed` marker, with its log's last lines, and stops the capture step at once. The guest
prints the same lines to its serial console and (Windows) its window: a diagnostic in boot diagnostics where the
serial port is usable, never the gate.
"""

from __future__ import annotations

from components.common.os_type import OsType, is_windows

PREFIX = "batch-image:"
SETUP_FAILED = f"{PREFIX} setup FAILED"
DEPROVISION_FAILED = f"{PREFIX} deprovision FAILED"
SYSPREP_FAILED = f"{PREFIX} sysprep FAILED"
# Windows only: the driver's start (AutoLogon off, COM1 writable) and its checks between setup and sysprep (the vmId
# from the instance metadata service, the guest agent running), neither of which ran sysprep.
DRIVER_START_FAILED = f"{PREFIX} driver start FAILED"
PRE_SYSPREP_FAILED = f"{PREFIX} pre-sysprep checks FAILED"
FAILURE_LINES = (SETUP_FAILED, DEPROVISION_FAILED, SYSPREP_FAILED, DRIVER_START_FAILED, PRE_SYSPREP_FAILED)
# Where a Windows guest's logs are, named in the capture step's errors (the guest's driver writes and tails them).
WINDOWS_SETUP_LOG = r"C:\batch-image-build\setup.log"
WINDOWS_SYSPREP_LOG = r"C:\Windows\System32\Sysprep\Panther\setuperr.log"


def deprovisioned_line(vm_instance_id: str) -> str:
    """The proof line for one VM instance (its vmId, which the guest reads from the instance metadata service)."""
    return f"{PREFIX} deprovisioned vm {vm_instance_id.lower()}"


def sysprep_generalized_line(vm_instance_id: str) -> str:
    """The Windows guest's proof line: sysprep generalized this VM instance."""
    return f"{PREFIX} sysprep generalized vm {vm_instance_id.lower()}"


def proof_line(os_type: OsType, vm_instance_id: str) -> str:
    """The line a guest of this OS prints once it generalized itself."""
    return (sysprep_generalized_line if is_windows(os_type) else deprovisioned_line)(vm_instance_id)
