"""builder-vm-ssh-key-only: Linux builder VMs allow SSH key authentication only (CKV_AZURE_149)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Findings, expect_flag, resource_rule
from .._props import keys
from .._tokens import VIRTUAL_MACHINE
from .._vm import is_windows


def _check(args: ResourceValidationArgs) -> Findings:
    if not keys(args.props, "osProfile") or is_windows(args.props):
        return  # no guest OS profile (attached disk) or a Windows builder: nothing to check
    path = "osProfile.linuxConfiguration.disablePasswordAuthentication"
    yield from expect_flag(args.props, path, True, "Linux password authentication is enabled")


REMEDIATION = (
    "Set osProfile.linuxConfiguration.disablePasswordAuthentication to true, give an SSH public key in "
    "linuxConfiguration.ssh.publicKeys and drop adminPassword."
)
DESCRIPTION = (
    "Linux builder VMs allow SSH key authentication only: a password login on the builder is a brute-force target and "
    "the image must not carry one."
)

policy = resource_rule(
    name="builder-vm-ssh-key-only",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/virtual-machines/linux/create-ssh-keys-detailed",
    benchmark="CKV_AZURE_149",
    topics="compute, identity",
    types=[VIRTUAL_MACHINE],
    check=_check,
    config_schema=None,
    subject="VM",
    allowed="disablePasswordAuthentication true, with an SSH public key in linuxConfiguration.ssh.publicKeys",
)
