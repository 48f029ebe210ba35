"""vm-size-allowed: builder and pool VM sizes are in the configured allow-list (Azure Policy cccc23c7, "Allowed
virtual machine size SKUs")."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule, schema, str_list_option, string_list
from .._props import is_unknown, peek, text
from .._tokens import BATCH_POOL, VIRTUAL_MACHINE

SIZE_PATHS = {VIRTUAL_MACHINE: "hardwareProfile.vmSize", BATCH_POOL: "vmSize"}
OPTIONS = schema(allowedVmSizes=string_list("VM sizes allowed for builder VMs and pools; empty means any size.", []))


def _check(args: ResourceValidationArgs) -> Findings:
    allowed = str_list_option(args.get_config(), "allowedVmSizes", [])
    if not allowed:
        return  # no allow-list configured
    path = SIZE_PATHS[args.resource_type]
    size = peek(args.props, path)
    if is_unknown(size) or (isinstance(size, str) and size.lower() in {a.lower() for a in allowed}):
        return
    yield Finding(
        "VM size is not in the allowed list",
        f"{path} {text(size)}",
        f"one of {', '.join(allowed)} (this policy's allowedVmSizes)",
        kind="VM" if args.resource_type == VIRTUAL_MACHINE else "Batch pool",
    )


REMEDIATION = (
    "Use an allowed size for builder.vmSize / pools[].vmSize, or add the size to this policy's allowedVmSizes."
)
DESCRIPTION = (
    "Builder and pool VM sizes are in the configured allow-list (when one is set): the organisation limits sizes to "
    "those with quota, budget and Batch support."
)

policy = resource_rule(
    name="vm-size-allowed",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/batch/batch-pool-vm-sizes",
    benchmark="cccc23c7",
    topics="compute, cost",
    types=list(SIZE_PATHS),
    check=_check,
    config_schema=OPTIONS,
    subject="VM",
    allowed="",
)
