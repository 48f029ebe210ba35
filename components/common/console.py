"""What the builder guest writes to its serial console, and the capture step reads in boot diagnostics.

The guest's last act before powering off is to print `deprovisioned_line(vmId)`: proof that the setup script
succeeded and `waagent -deprovision+user` did too. A VM that powered off without it (a setup script that ran
`shutdown`, a Stop in the portal, a failed deprovision) is never generalized or captured. The failure lines make
the capture step stop waiting at once instead of running into its deadline.
"""

from __future__ import annotations

PREFIX = "batch-image:"
SETUP_FAILED = f"{PREFIX} setup FAILED"
DEPROVISION_FAILED = f"{PREFIX} deprovision FAILED"
FAILURE_LINES = (SETUP_FAILED, DEPROVISION_FAILED)


def deprovisioned_line(vm_instance_id: str) -> str:
    """The proof line for one VM instance (its vmId, which the guest reads from the instance metadata service)."""
    return f"{PREFIX} deprovisioned vm {vm_instance_id.lower()}"


def shows_deprovisioned(serial_log: str, vm_instance_id: str) -> bool:
    wanted = deprovisioned_line(vm_instance_id)
    return any(line.strip().lower() == wanted for line in serial_log.splitlines())


def failure_in(serial_log: str) -> str | None:
    """The first failure line the guest printed, if any."""
    return next((line.strip() for line in serial_log.splitlines() if line.strip().startswith(FAILURE_LINES)), None)
