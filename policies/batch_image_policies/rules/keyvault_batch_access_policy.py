"""keyvault-batch-access-policy: a UserSubscription Batch account's vault is in access-policy mode, in the account's
region, and grants the Batch principal the secret permissions Batch needs (a stack policy: it links the account, its
vault, access policies and the Batch principal's role assignment)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs

from .._batch import BATCH_APP_ID, allocation_mode, batch_principals
from .._graph import depends_on, known_str, location, of_type, refers_to, same_id
from .._policy import Finding, Findings, expect_flag, option, schema, stack_rule, str_list_option, string_list
from .._props import is_unknown, items, peek, text
from .._tokens import BATCH_ACCOUNT, KEY_VAULT, KEY_VAULT_ACCESS_POLICY

REQUIRED_SECRET_PERMISSIONS = ["get", "list", "set", "delete", "recover"]
OPTIONS = schema(
    batchPrincipalObjectId={
        "type": "string",
        "description": "Object id of the Microsoft Azure Batch service principal (app id "
        f"{BATCH_APP_ID}) in your tenant; empty: the service principal given a subscription-scope role (or Compute "
        "Gallery Image Reader) in the stack (with neither, no access policy counts as Batch's).",
        "default": "",
    },
    requiredSecretPermissions=string_list("Secret permissions the Batch principal needs.", REQUIRED_SECRET_PERMISSIONS),
)


def account_vaults(account: PolicyResource, resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    return [v for v in of_type(resources, KEY_VAULT) if refers_to(account, "keyVaultReference.id", v)]


def _grants(vault: PolicyResource, resources: Sequence[PolicyResource]) -> list[tuple[object, list[str]]]:
    """(object id, secret permissions) of every access policy on the vault, inline or separate resources."""
    entries = [(peek(e, "objectId"), _perms(e)) for e in items(vault.props, "properties.accessPolicies")]
    for policy in of_type(resources, KEY_VAULT_ACCESS_POLICY):
        if depends_on(policy, vault, "vaultName") or same_id(
            known_str(policy.props, "vaultName"), known_str(vault.props, "name")
        ):
            entries.append((peek(policy.props, "policy.objectId"), _perms(peek(policy.props, "policy"))))
    return entries


def _perms(entry: object) -> list[str]:
    return [p.lower() for p in items(entry, "permissions.secrets") if isinstance(p, str)]


def _check_account(
    account: PolicyResource,
    resources: Sequence[PolicyResource],
    principals: set[str],
    required: list[str],
) -> Findings:
    # None when the vault is not in this stack (an existing one) or its id is unknown: batch-account-keyvault-reference
    for vault in account_vaults(account, resources):
        yield from _check_mode(vault)
        yield from _check_region(account, vault, resources)
        yield from _check_grant(vault, resources, principals, required)


def _check_mode(vault: PolicyResource) -> Findings:
    return expect_flag(
        vault.props,
        "properties.enableRbacAuthorization",
        False,
        "the Batch account's vault is not in access-policy mode",
        "properties.enableRbacAuthorization false, set explicitly (new vaults default to RBAC since Key Vault API "
        "2026-02-01)",
        resource=vault,
    )


def _check_region(account: PolicyResource, vault: PolicyResource, resources: Sequence[PolicyResource]) -> Findings:
    account_region, vault_region = location(account, resources), location(vault, resources)
    if account_region is None or vault_region is None or account_region == vault_region:
        return
    yield Finding(
        f'the vault is not in the Batch account "{account.name}"\'s region',
        f"location {text(vault_region)} (account: {text(account_region)})",
        f"a vault in the Batch account's region {text(account_region)}",
        resource=vault,
    )


def _check_grant(
    vault: PolicyResource,
    resources: Sequence[PolicyResource],
    principals: set[str],
    required: list[str],
) -> Findings:
    # A grant counts only when it names the Batch principal: with no Batch role assignment in the stack and no
    # batchPrincipalObjectId configured, the principal is unknown and no grant can be trusted to be Batch's (a vault
    # granting only the deployer would otherwise pass).
    grants = _grants(vault, resources)
    candidates = [
        (obj, perms) for obj, perms in grants if is_unknown(obj) or (isinstance(obj, str) and obj.lower() in principals)
    ]
    if any(is_unknown(obj) or set(required) <= set(perms) for obj, perms in candidates):
        return
    who = (
        f"principal {', '.join(sorted(principals))}"
        if principals
        else "the Batch principal (unknown: no Batch role assignment in the stack, batchPrincipalObjectId not set)"
    )
    found = "; ".join(f"{text(obj)}: secrets {perms}" for obj, perms in grants) or "no access policies"
    yield Finding(
        f"no access policy grants {who} the secret permissions Batch needs",
        found,
        f"an access policy granting the Microsoft Azure Batch service principal (app id {BATCH_APP_ID}; its object id "
        f"from the stack's Batch role assignment or the batchPrincipalObjectId option) secrets {'/'.join(required)}",
        resource=vault,
    )


def _check(args: StackValidationArgs) -> Findings:
    configured = str(option(args.get_config(), "batchPrincipalObjectId", ""))
    principals = batch_principals(args.resources, configured)
    required = [
        p.lower() for p in str_list_option(args.get_config(), "requiredSecretPermissions", REQUIRED_SECRET_PERMISSIONS)
    ]
    for account in of_type(args.resources, BATCH_ACCOUNT):
        if allocation_mode(account.props) == "UserSubscription":
            yield from _check_account(account, args.resources, principals, required)


REMEDIATION = (
    "Set properties.enableRbacAuthorization to false explicitly, create the vault in the Batch account's region, and "
    "add an access policy for the Microsoft Azure Batch service principal (app id "
    f"{BATCH_APP_ID}, object id from batch.servicePrincipalObjectId) with the secret permissions this policy's "
    "requiredSecretPermissions lists. When the stack has no role assignment for the Batch principal, set this "
    "policy's batchPrincipalObjectId to its object id (az ad sp show --id "
    f"{BATCH_APP_ID} --query id -o tsv): an access policy counts only when it names that principal."
)
DESCRIPTION = (
    "A UserSubscription account's vault is in access-policy mode, in the account's region, and grants the Batch "
    "principal secrets get/list/set/delete/recover: Batch stores the account's secrets in this vault as the Microsoft "
    "Azure Batch principal, through access policies (an RBAC-mode vault gives 'invalid key vault reference'; a missing "
    "grant fails account creation with 'does not have the Batch Service in access policies')."
)

policy = stack_rule(
    name="keyvault-batch-access-policy",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/batch/batch-account-create-portal",
    benchmark="",
    topics="batch, key-vault, identity",
    types=[KEY_VAULT],
    check=_check,
    config_schema=OPTIONS,
    subject="Key Vault",
    allowed="",
)
