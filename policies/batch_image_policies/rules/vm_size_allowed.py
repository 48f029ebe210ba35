"""vm-size-allowed: builder and pool VM sizes are in the configured allow-list (Azure Policy cccc23c7, "Allowed
virtual machine size SKUs")."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, for_types, schema, sources, str_list_option, string_list, subject, violation
from .._props import is_unknown, peek, text
from .._tokens import BATCH_POOL, VIRTUAL_MACHINE

SIZE_PATHS = {VIRTUAL_MACHINE: "hardwareProfile.vmSize", BATCH_POOL: "vmSize"}


def _check(args: ResourceValidationArgs, report: Report) -> None:
    allowed = str_list_option(args.get_config(), "allowedVmSizes", [])
    if not allowed:
        return  # no allow-list configured
    path = SIZE_PATHS[args.resource_type]
    size = peek(args.props, path)
    if is_unknown(size) or (isinstance(size, str) and size.lower() in {a.lower() for a in allowed}):
        return
    kind = "VM" if args.resource_type == VIRTUAL_MACHINE else "Batch pool"
    report(
        violation(
            subject(kind, args.name),
            "VM size is not in the allowed list",
            f"{path} {text(size)}",
            f"one of {', '.join(allowed)} (this policy's allowedVmSizes)",
        )
    )


policy = ResourceValidationPolicy(
    name="vm-size-allowed",
    description="Builder and pool VM sizes are in the configured allow-list (when one is set): the organisation "
    "limits sizes to those with quota, budget and Batch support.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types(set(SIZE_PATHS), _check),
    config_schema=schema(
        allowedVmSizes=string_list("VM sizes allowed for builder VMs and pools; empty means any size.", [])
    ),
    severity=Severity.MEDIUM,
    remediation_steps="Use an allowed size for builder.vmSize / pools[].vmSize, or add the size to this policy's "
    "allowedVmSizes.",
    url="https://learn.microsoft.com/azure/batch/batch-pool-vm-sizes",
    **sources("cccc23c7", topics=["compute", "cost"]),
)
