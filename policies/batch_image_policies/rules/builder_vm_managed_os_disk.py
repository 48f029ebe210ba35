"""builder-vm-managed-os-disk: the builder VM uses a managed OS disk (CKV_AZURE_92, Azure Policy 06a78e20)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule
from .._props import keys, peek, text
from .._tokens import VIRTUAL_MACHINE


def _check(args: ResourceValidationArgs) -> Findings:
    unmanaged = [k for k in ("vhd", "image") if k in keys(args.props, "storageProfile.osDisk")]
    if not unmanaged:
        return
    found = ", ".join(f"osDisk.{k}.uri {text(peek(args.props, f'storageProfile.osDisk.{k}.uri'))}" for k in unmanaged)
    yield Finding("the OS disk is an unmanaged VHD in a storage account", found)


REMEDIATION = (
    "Set builder.osDisk to managed (storageProfile.osDisk.managedDisk, no vhd/image uri); the generalized disk can "
    "still be exported as a VHD with exportVhd: true."
)
DESCRIPTION = (
    "The builder VM uses a managed OS disk: unmanaged disks are retired on public Azure (none can be created since 30 "
    "Sep 2023 and VMs on them cannot start since 31 Mar 2026)."
)

policy = resource_rule(
    name="builder-vm-managed-os-disk",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/virtual-machines/unmanaged-disks-deprecation",
    benchmark="CKV_AZURE_92, 06a78e20",
    topics="compute, lifecycle",
    types=[VIRTUAL_MACHINE],
    check=_check,
    config_schema=None,
    subject="VM",
    allowed="a managed OS disk (storageProfile.osDisk.managedDisk, no vhd/image uri; builder.osDisk managed)",
)
