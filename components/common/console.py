"""What the builder guest writes to its serial console, and the capture step reads in boot diagnostics.

The guest's last act before powering off is to print its proof line for the VM's vmId (`proof_line`): on Linux
`deprovisioned_line`, proof that the setup script succeeded and `waagent -deprovision+user` did too; on Windows
`sysprep_generalized_line`, printed only once sysprep reports the image generalized (components/windows_setup.py).
A VM that powered off without it (a setup script that ran `shutdown`, a Stop in the portal, a failed deprovision or
sysprep) is never generalized or captured. The failure lines make
the capture step stop waiting at once instead of running into its deadline.
"""

from __future__ import annotations

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


def proof_line(os_type: str, vm_instance_id: str) -> str:
    """The line a guest of this OS prints once it generalized itself."""
    return (sysprep_generalized_line if os_type == "Windows" else deprovisioned_line)(vm_instance_id)


def shows_proof(serial_log: str, os_type: str, vm_instance_id: str) -> bool:
    wanted = proof_line(os_type, vm_instance_id)
    return any(line.strip().lower() == wanted for line in serial_log.splitlines())


def failure_in(serial_log: str) -> str | None:
    """The first failure line the guest printed, if any."""
    return next((line.strip() for line in serial_log.splitlines() if line.strip().startswith(FAILURE_LINES)), None)
