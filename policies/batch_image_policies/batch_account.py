"""Batch account rules: user-subscription allocation with its Key Vault, Entra ID only, restricted network
(Checkov CKV_AZURE_76/248; Azure Policy 6f68b69f, 74c5a0ae)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

from . import _tokens as types
from ._batch import allocation_mode
from ._policy import (
    Report,
    bool_option,
    boolean,
    choice,
    for_types,
    option,
    schema,
    str_list_option,
    string_list,
    subject,
    violation,
)
from ._props import is_unknown, items, peek, text

ALLOCATION_MODES = ["UserSubscription", "BatchService"]


def _account(args: ResourceValidationArgs) -> str:
    return subject("Batch account", args.name)


def _user_subscription_mode(args: ResourceValidationArgs, report: Report) -> None:
    expected = str(option(args.get_config(), "poolAllocationMode", "UserSubscription"))
    mode = allocation_mode(args.props)
    if is_unknown(mode) or mode == expected:
        return
    report(
        violation(
            _account(args),
            f"pool allocation mode is not {expected}",
            f"poolAllocationMode {text(mode)}",
            f'set batch.poolAllocationMode to "{expected}" (a create-only property: the account is replaced), or '
            "configure this policy's poolAllocationMode if the stack means the other mode",
            "the pool's VMs, quotas and custom-image access follow the allocation mode chosen for this stack",
        )
    )


batch_account_user_subscription_mode = ResourceValidationPolicy(
    name="batch-account-user-subscription-mode",
    description="The Batch account uses the configured pool allocation mode (default UserSubscription).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({types.BATCH_ACCOUNT}, _user_subscription_mode),
    config_schema=schema(
        poolAllocationMode=choice("The allocation mode Batch accounts must use.", ALLOCATION_MODES, "UserSubscription")
    ),
)


def _keyvault_reference(args: ResourceValidationArgs, report: Report) -> None:
    if allocation_mode(args.props) != "UserSubscription":
        return
    missing = [k for k in ("id", "url") if peek(args.props, f"keyVaultReference.{k}") in (None, "")]
    if not missing:
        return
    report(
        violation(
            _account(args),
            f"a UserSubscription account without keyVaultReference.{' and .'.join(missing)}",
            f"keyVaultReference {text(peek(args.props, 'keyVaultReference'))}",
            "set keyVaultReference to the vault's id and its vault URI (https://<vault>.vault.azure.net/)",
            "Azure rejects a UserSubscription account without a Key Vault reference (CKV_AZURE_76)",
        )
    )


batch_account_keyvault_reference = ResourceValidationPolicy(
    name="batch-account-keyvault-reference",
    description="A UserSubscription Batch account references its Key Vault (id and url).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({types.BATCH_ACCOUNT}, _keyvault_reference),
)


def _entra_auth_only(args: ResourceValidationArgs, report: Report) -> None:
    forbidden = str_list_option(args.get_config(), "forbiddenModes", ["SharedKey"])
    modes = peek(args.props, "allowedAuthenticationModes")
    if is_unknown(modes):
        return
    listed = [m for m in items(args.props, "allowedAuthenticationModes") if isinstance(m, str)]
    bad = [m for m in listed if m in forbidden] if modes is not None else ["all modes (not set)"]
    if not bad:
        return
    report(
        violation(
            _account(args),
            f"authentication modes include {', '.join(bad)}",
            f"allowedAuthenticationModes {text(modes)}",
            'set allowedAuthenticationModes to ["AAD"]',
            "pools from Compute Gallery images must be created with Microsoft Entra ID (Shared Key calls fail), "
            "and account keys are long-lived secrets (Azure Policy 6f68b69f)",
        )
    )


batch_account_entra_auth_only = ResourceValidationPolicy(
    name="batch-account-entra-auth-only",
    description="The Batch account accepts Microsoft Entra ID authentication only (no SharedKey).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({types.BATCH_ACCOUNT}, _entra_auth_only),
    config_schema=schema(forbiddenModes=string_list("Authentication modes the account must not allow.", ["SharedKey"])),
)


def _public_network_access(args: ResourceValidationArgs, report: Report) -> None:
    access = peek(args.props, "publicNetworkAccess", "Enabled")
    default_action = peek(args.props, "networkProfile.accountAccess.defaultAction")
    if is_unknown(access) or access == "Disabled":
        return
    allow_restricted = bool_option(args.get_config(), "allowRestricted", True)
    if allow_restricted and (default_action == "Deny" or is_unknown(default_action)):
        return
    report(
        violation(
            _account(args),
            "the account endpoint is open to the internet",
            f"publicNetworkAccess {text(access)}, networkProfile.accountAccess.defaultAction {text(default_action)}",
            'set publicNetworkAccess to "Disabled" (private endpoint)'
            + (' or networkProfile.accountAccess {defaultAction: "Deny", ipRules: [...]}' if allow_restricted else ""),
            "anyone on the internet can reach the account's management endpoint (CKV_AZURE_248, Azure Policy 74c5a0ae)",
        )
    )


batch_account_public_network_access = ResourceValidationPolicy(
    name="batch-account-public-network-access",
    description="The Batch account's public network access is disabled or restricted to listed networks.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({types.BATCH_ACCOUNT}, _public_network_access),
    config_schema=schema(
        allowRestricted=boolean(
            "Accept public access restricted by networkProfile.accountAccess.defaultAction Deny.", True
        )
    ),
)
