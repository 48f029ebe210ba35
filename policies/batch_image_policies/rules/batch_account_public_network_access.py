"""batch-account-public-network-access: the Batch account endpoint is not open to the internet (CKV_AZURE_248,
Azure Policy 74c5a0ae)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, bool_option, boolean, for_types, schema, sources, subject, violation
from .._props import is_unknown, peek, text
from .._tokens import BATCH_ACCOUNT


def _check(args: ResourceValidationArgs, report: Report) -> None:
    access = peek(args.props, "publicNetworkAccess", "Enabled")
    default_action = peek(args.props, "networkProfile.accountAccess.defaultAction")
    if is_unknown(access) or access == "Disabled":
        return
    allow_restricted = bool_option(args.get_config(), "allowRestricted", True)
    if allow_restricted and (default_action == "Deny" or is_unknown(default_action)):
        return
    report(
        violation(
            subject("Batch account", args.name),
            "the account endpoint is open to the internet",
            f"publicNetworkAccess {text(access)}, networkProfile.accountAccess.defaultAction {text(default_action)}",
            'publicNetworkAccess "Disabled" (private endpoint)'
            + (' or networkProfile.accountAccess {defaultAction: "Deny", ipRules: [...]}' if allow_restricted else ""),
        )
    )


policy = ResourceValidationPolicy(
    name="batch-account-public-network-access",
    description="The Batch account's public network access is disabled or restricted to listed networks: otherwise "
    "anyone on the internet can reach the account's management endpoint.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({BATCH_ACCOUNT}, _check),
    config_schema=schema(
        allowRestricted=boolean(
            "Accept public access restricted by networkProfile.accountAccess.defaultAction Deny.", True
        )
    ),
    severity=Severity.MEDIUM,
    remediation_steps='Set publicNetworkAccess to "Disabled" and reach the account through a private endpoint, or '
    'keep it enabled with networkProfile.accountAccess {defaultAction: "Deny", ipRules: [...]} listing the networks '
    "that may call it.",
    url="https://learn.microsoft.com/azure/batch/public-network-access",
    **sources("CKV_AZURE_248", "74c5a0ae", topics=["batch", "network"]),
)
