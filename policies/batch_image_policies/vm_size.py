"""VM size allow-list for the builder VM and the pools (Azure Policy cccc23c7, "Allowed virtual machine size SKUs")."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

from . import _tokens as types
from ._policy import Report, for_types, schema, str_list_option, string_list, subject, violation
from ._props import is_unknown, peek, text

SIZE_PATHS = {types.VIRTUAL_MACHINE: "hardwareProfile.vmSize", types.BATCH_POOL: "vmSize"}


def _vm_size_allowed(args: ResourceValidationArgs, report: Report) -> None:
    allowed = str_list_option(args.get_config(), "allowedVmSizes", [])
    if not allowed:
        return  # no allow-list configured
    path = SIZE_PATHS[args.resource_type]
    size = peek(args.props, path)
    if is_unknown(size) or (isinstance(size, str) and size.lower() in {a.lower() for a in allowed}):
        return
    kind = "VM" if args.resource_type == types.VIRTUAL_MACHINE else "Batch pool"
    report(
        violation(
            subject(kind, args.name),
            "VM size is not in the allowed list",
            f"{path} {text(size)}",
            f"use one of {', '.join(allowed)} (builder.vmSize / pools[].vmSize), or add the size to this "
            "policy's allowedVmSizes",
            "the organisation limits sizes to those with quota, budget and Batch support",
        )
    )


vm_size_allowed = ResourceValidationPolicy(
    name="vm-size-allowed",
    description="Builder and pool VM sizes are in the configured allow-list (when one is set).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types(set(SIZE_PATHS), _vm_size_allowed),
    config_schema=schema(
        allowedVmSizes=string_list("VM sizes allowed for builder VMs and pools; empty means any size.", [])
    ),
)
