"""builder-vm-managed-os-disk: the builder VM uses a managed OS disk (CKV_AZURE_92, Azure Policy 06a78e20)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, for_types, sources, subject, violation
from .._props import keys, peek, text
from .._tokens import VIRTUAL_MACHINE


def _check(args: ResourceValidationArgs, report: Report) -> None:
    unmanaged = [k for k in ("vhd", "image") if k in keys(args.props, "storageProfile.osDisk")]
    if not unmanaged:
        return
    found = ", ".join(f"osDisk.{k}.uri {text(peek(args.props, f'storageProfile.osDisk.{k}.uri'))}" for k in unmanaged)
    report(
        violation(
            subject("VM", args.name),
            "the OS disk is an unmanaged VHD in a storage account",
            found,
            "a managed OS disk (storageProfile.osDisk.managedDisk, no vhd/image uri; builder.osDisk managed)",
        )
    )


policy = ResourceValidationPolicy(
    name="builder-vm-managed-os-disk",
    description="The builder VM uses a managed OS disk: unmanaged disks are retired on public Azure (none can be "
    "created since 30 Sep 2023 and VMs on them cannot start since 31 Mar 2026).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({VIRTUAL_MACHINE}, _check),
    severity=Severity.MEDIUM,
    remediation_steps="Set builder.osDisk to managed (storageProfile.osDisk.managedDisk, no vhd/image uri); the "
    "generalized disk can still be exported as a VHD with exportVhd: true.",
    url="https://learn.microsoft.com/azure/virtual-machines/unmanaged-disks-deprecation",
    **sources("CKV_AZURE_92", "06a78e20", topics=["compute", "lifecycle"]),
)
