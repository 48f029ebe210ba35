"""batch-account-public-network-access: the Batch account endpoint is not open to the internet (CKV_AZURE_248,
Azure Policy 74c5a0ae)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, bool_option, boolean, resource_rule, schema
from .._props import is_unknown, peek, text
from .._tokens import BATCH_ACCOUNT

OPTIONS = schema(
    allowRestricted=boolean("Accept public access restricted by networkProfile.accountAccess.defaultAction Deny.", True)
)


def _check(args: ResourceValidationArgs) -> Findings:
    access = peek(args.props, "publicNetworkAccess", "Enabled")
    default_action = peek(args.props, "networkProfile.accountAccess.defaultAction")
    if is_unknown(access) or access == "Disabled":
        return
    allow_restricted = bool_option(args.get_config(), "allowRestricted", True)
    if allow_restricted and (default_action == "Deny" or is_unknown(default_action)):
        return
    yield Finding(
        "the account endpoint is open to the internet",
        f"publicNetworkAccess {text(access)}, networkProfile.accountAccess.defaultAction {text(default_action)}",
        'publicNetworkAccess "Disabled" (private endpoint)'
        + (' or networkProfile.accountAccess {defaultAction: "Deny", ipRules: [...]}' if allow_restricted else ""),
    )


REMEDIATION = (
    'Set publicNetworkAccess to "Disabled" and reach the account through a private endpoint, or keep it enabled with '
    'networkProfile.accountAccess {defaultAction: "Deny", ipRules: [...]} listing the networks that may call it.'
)
DESCRIPTION = (
    "The Batch account's public network access is disabled or restricted to listed networks: otherwise anyone on the "
    "internet can reach the account's management endpoint."
)

policy = resource_rule(
    name="batch-account-public-network-access",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/batch/public-network-access",
    benchmark="CKV_AZURE_248, 74c5a0ae",
    topics="batch, network",
    types=[BATCH_ACCOUNT],
    check=_check,
    config_schema=OPTIONS,
    subject="Batch account",
    allowed="",
)
