"""builder-vm-ssh-key-only: Linux builder VMs allow SSH key authentication only (CKV_AZURE_149)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, for_types, sources, subject, violation
from .._props import is_unknown, keys, peek, text
from .._tokens import VIRTUAL_MACHINE

WINDOWS_PUBLISHERS = {"microsoftwindowsserver", "microsoftwindowsdesktop", "microsoftsqlserver"}


def _is_windows(args: ResourceValidationArgs) -> bool:
    publisher = peek(args.props, "storageProfile.imageReference.publisher")
    return (
        "windowsConfiguration" in keys(args.props, "osProfile")
        or peek(args.props, "storageProfile.osDisk.osType") == "Windows"
        or (isinstance(publisher, str) and publisher.lower() in WINDOWS_PUBLISHERS)
    )


def _check(args: ResourceValidationArgs, report: Report) -> None:
    if not keys(args.props, "osProfile") or _is_windows(args):
        return  # no guest OS profile (attached disk) or a Windows builder: nothing to check
    disabled = peek(args.props, "osProfile.linuxConfiguration.disablePasswordAuthentication")
    if disabled is True or is_unknown(disabled):
        return
    report(
        violation(
            subject("VM", args.name),
            "Linux password authentication is enabled",
            f"osProfile.linuxConfiguration.disablePasswordAuthentication {text(disabled)}",
            "disablePasswordAuthentication true, with an SSH public key in linuxConfiguration.ssh.publicKeys",
        )
    )


policy = ResourceValidationPolicy(
    name="builder-vm-ssh-key-only",
    description="Linux builder VMs allow SSH key authentication only: a password login on the builder is a "
    "brute-force target and the image must not carry one.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({VIRTUAL_MACHINE}, _check),
    severity=Severity.HIGH,
    remediation_steps="Set osProfile.linuxConfiguration.disablePasswordAuthentication to true, give an SSH public key "
    "in linuxConfiguration.ssh.publicKeys and drop adminPassword.",
    url="https://learn.microsoft.com/azure/virtual-machines/linux/create-ssh-keys-detailed",
    **sources("CKV_AZURE_149", topics=["compute", "identity"]),
)
