"""batch-account-user-subscription-mode: the Batch account uses the configured pool allocation mode."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._batch import allocation_mode
from .._policy import Report, choice, for_types, option, schema, sources, subject, violation
from .._props import is_unknown, text
from .._tokens import BATCH_ACCOUNT

ALLOCATION_MODES = ["UserSubscription", "BatchService"]


def _check(args: ResourceValidationArgs, report: Report) -> None:
    expected = str(option(args.get_config(), "poolAllocationMode", "UserSubscription"))
    mode = allocation_mode(args.props)
    if is_unknown(mode) or mode == expected:
        return
    report(
        violation(
            subject("Batch account", args.name),
            f"pool allocation mode is not {expected}",
            f"poolAllocationMode {text(mode)}",
            f'poolAllocationMode "{expected}" (this policy\'s poolAllocationMode option)',
        )
    )


policy = ResourceValidationPolicy(
    name="batch-account-user-subscription-mode",
    description="The Batch account uses the configured pool allocation mode (default UserSubscription): the pool's "
    "VMs, quotas and custom-image access follow the allocation mode chosen for this stack.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({BATCH_ACCOUNT}, _check),
    config_schema=schema(
        poolAllocationMode=choice("The allocation mode Batch accounts must use.", ALLOCATION_MODES, "UserSubscription")
    ),
    severity=Severity.HIGH,
    remediation_steps="Set batch.poolAllocationMode in the stack config to the expected mode (a create-only property: "
    "the account is replaced), or configure this policy's poolAllocationMode if the stack means the other mode.",
    url="https://learn.microsoft.com/azure/batch/batch-account-create-portal",
    **sources(topics=["batch"]),
)
