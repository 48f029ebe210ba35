"""batch-account-user-subscription-mode: the Batch account uses the configured pool allocation mode."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._batch import allocation_mode
from .._policy import Finding, Findings, choice, option, resource_rule, schema
from .._props import is_unknown, text
from .._tokens import BATCH_ACCOUNT

ALLOCATION_MODES = ["UserSubscription", "BatchService"]
OPTIONS = schema(
    poolAllocationMode=choice("The allocation mode Batch accounts must use.", ALLOCATION_MODES, "UserSubscription")
)


def _check(args: ResourceValidationArgs) -> Findings:
    expected = str(option(args.get_config(), "poolAllocationMode", "UserSubscription"))
    mode = allocation_mode(args.props)
    if is_unknown(mode) or mode == expected:
        return
    yield Finding(
        f"pool allocation mode is not {expected}",
        f"poolAllocationMode {text(mode)}",
        f'poolAllocationMode "{expected}" (this policy\'s poolAllocationMode option)',
    )


REMEDIATION = (
    "Set batch.poolAllocationMode in the stack config to the expected mode (a create-only property: the account is "
    "replaced), or configure this policy's poolAllocationMode if the stack means the other mode."
)
DESCRIPTION = (
    "The Batch account uses the configured pool allocation mode (default UserSubscription): the pool's VMs, quotas and "
    "custom-image access follow the allocation mode chosen for this stack."
)

policy = resource_rule(
    name="batch-account-user-subscription-mode",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/batch/batch-account-create-portal",
    benchmark="",
    topics="batch",
    types=[BATCH_ACCOUNT],
    check=_check,
    config_schema=OPTIONS,
    subject="Batch account",
    allowed="",
)
