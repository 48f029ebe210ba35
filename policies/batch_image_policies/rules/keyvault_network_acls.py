"""keyvault-network-acls: Key Vaults deny network access by default and let trusted Azure services (Batch) in
(CKV_AZURE_109)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule
from .._props import is_unknown, peek, text
from .._tokens import KEY_VAULT


def _check(args: ResourceValidationArgs) -> Findings:
    default_action = peek(args.props, "properties.networkAcls.defaultAction")
    if is_unknown(default_action):
        return
    if default_action != "Deny":
        found = f"properties.networkAcls.defaultAction {text(default_action)}"
        yield Finding("every network reaches the vault by default", found)
        return
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
    "Add ipRules or virtualNetworkRules for anyone else who reads the vault (e.g. the deployer's IP during "
    "`pulumi up`)."
)
DESCRIPTION = (
    "Key Vaults deny network access by default (properties.networkAcls.defaultAction Deny) and let trusted Azure "
    "services in (bypass AzureServices): the vault holds the Batch account's secrets, and Batch reaches it as a "
    "trusted service."
)

policy = resource_rule(
    name="keyvault-network-acls",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/key-vault/general/network-security",
    benchmark="CKV_AZURE_109",
    topics="key-vault, network",
    types=[KEY_VAULT],
    check=_check,
    config_schema=None,
    subject="Key Vault",
    allowed='properties.networkAcls {defaultAction: "Deny", bypass: "AzureServices"}',
)
