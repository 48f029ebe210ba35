"""keyvault-network-acls: Key Vaults deny network access by default, have no public endpoint unless IP rules use it,
and let trusted Azure services (Batch) in (CKV_AZURE_109, CKV_AZURE_189)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule
from .._props import is_unknown, items, peek, text
from .._tokens import KEY_VAULT


def _check(args: ResourceValidationArgs) -> Findings:
    default_action = peek(args.props, "properties.networkAcls.defaultAction")
    public = peek(args.props, "properties.publicNetworkAccess")
    if is_unknown(default_action) or is_unknown(public):
        return
    if default_action != "Deny":
        found = f"properties.networkAcls.defaultAction {text(default_action)}"
        yield Finding("every network reaches the vault by default", found)
        return
    ip_rules = items(args.props, "properties.networkAcls.ipRules")
    disabled = isinstance(public, str) and public.lower() == "disabled"
    if not disabled and not ip_rules:
        yield Finding(
            "its public endpoint stays open although no IP rule lets anyone in",
            f"properties.publicNetworkAccess {text(public)} with no networkAcls.ipRules",
        )
    if disabled and ip_rules:
        # Key Vault API, publicNetworkAccess: "disabled" lets only private endpoints and trusted services in and
        # "will override the set firewall rules", so the IP rules listed let nobody in.
        yield Finding(
            "its IP rules are ignored while public network access is disabled",
            f"properties.publicNetworkAccess {text(public)} with {len(ip_rules)} networkAcls.ipRules",
        )
    bypass = peek(args.props, "properties.networkAcls.bypass")
    if is_unknown(bypass) or bypass == "AzureServices":
        return
    yield Finding(
        "trusted Azure services (Batch) are kept out by the network ACLs",
        f"properties.networkAcls.bypass {text(bypass)}",
    )


REMEDIATION = (
    'Set properties.networkAcls to {defaultAction: "Deny", bypass: "AzureServices"}: Batch reaches the vault of a '
    "UserSubscription account as a trusted Microsoft service, so the AzureServices bypass keeps the account working. "
    'With no IP rule, also set properties.publicNetworkAccess "Disabled" (batch.vaultNetworkAccess: {defaultAction: '
    "Deny} does both). Anyone else who reads the vault (e.g. the deployer's IP) needs an ipRules entry, and then "
    "public network access stays enabled, since a vault with it disabled ignores its IP rules."
)
DESCRIPTION = (
    "Key Vaults deny network access by default (properties.networkAcls.defaultAction Deny), have no public endpoint "
    "unless IP rules use it (properties.publicNetworkAccess Disabled), and let trusted Azure services in (bypass "
    "AzureServices): the vault holds the Batch account's secrets, and Batch reaches it as a trusted service."
)

policy = resource_rule(
    name="keyvault-network-acls",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/key-vault/general/network-security",
    benchmark="CKV_AZURE_109, CKV_AZURE_189",
    topics="key-vault, network",
    types=[KEY_VAULT],
    check=_check,
    config_schema=None,
    subject="Key Vault",
    allowed=(
        'properties.networkAcls {defaultAction: "Deny", bypass: "AzureServices"}, with properties.publicNetworkAccess '
        '"Disabled" unless ipRules are listed'
    ),
)
