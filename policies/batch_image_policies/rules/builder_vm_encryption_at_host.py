"""builder-vm-encryption-at-host: builder VMs encrypt their temp disk and disk caches on the host (CKV_AZURE_151,
CKV_AZURE_97)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Findings, expect_flag, resource_rule
from .._tokens import VIRTUAL_MACHINE


def _check(args: ResourceValidationArgs) -> Findings:
    problem = "its temp disk and disk caches are not encrypted on the host"
    return expect_flag(args.props, "securityProfile.encryptionAtHost", True, problem)


REMEDIATION = (
    "Register the subscription's EncryptionAtHost feature once (`az feature register --namespace Microsoft.Compute "
    "--name EncryptionAtHost`, then `az provider register --namespace Microsoft.Compute` when it shows Registered), "
    "then set image.builder.encryptionAtHost: true, which sets securityProfile.encryptionAtHost on the builder VM (and "
    "rebuilds it). Without the registered feature Azure refuses to create the VM, which is why the setting is off by "
    "default."
)
DESCRIPTION = (
    "Builder VMs encrypt their temp disk and OS disk cache on the VM host (securityProfile.encryptionAtHost true): "
    "the builder runs the setup script, whose downloads and scratch files land on those disks, which server-side "
    "encryption of the managed disk does not cover."
)

policy = resource_rule(
    name="builder-vm-encryption-at-host",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/virtual-machines/disks-enable-host-based-encryption-portal",
    benchmark="CKV_AZURE_151, CKV_AZURE_97",
    topics="compute, encryption",
    types=[VIRTUAL_MACHINE],
    check=_check,
    config_schema=None,
    subject="VM",
    allowed="securityProfile.encryptionAtHost true",
)
