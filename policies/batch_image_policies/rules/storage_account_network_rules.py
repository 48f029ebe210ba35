"""storage-account-network-rules: storage accounts deny network access by default and let trusted Azure services in
(CKV_AZURE_35, CKV_AZURE_36)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule
from .._props import is_unknown, peek, text
from .._tokens import STORAGE_ACCOUNT


def _bypasses(value: object) -> set[str]:
    """The services a bypass lets through: "Logging, Metrics, AzureServices" is three."""
    return {part.strip().lower() for part in value.split(",")} if isinstance(value, str) else set()


def _check(args: ResourceValidationArgs) -> Findings:
    default_action = peek(args.props, "networkRuleSet.defaultAction")
    if is_unknown(default_action):
        return
    if default_action != "Deny":
        yield Finding(
            "every network reaches the account by default", f"networkRuleSet.defaultAction {text(default_action)}"
        )
        return
    bypass = peek(args.props, "networkRuleSet.bypass")
    if is_unknown(bypass) or "azureservices" in _bypasses(bypass):
        return
    yield Finding("trusted Azure services are kept out by the network rules", f"networkRuleSet.bypass {text(bypass)}")


REMEDIATION = (
    'Set networkRuleSet to {defaultAction: "Deny", bypass: "AzureServices"} (add "Logging, Metrics" to bypass if you '
    "use them), so Batch and the Compute Gallery reach the account as trusted services. The capture step copies the "
    "VHD from the deployer's machine and needs network access to the account: give it a private endpoint the deployer "
    "reaches, or add the deployer's (CI runner's) public IP to networkRuleSet.ipRules before `pulumi up`."
)
DESCRIPTION = (
    "Storage accounts deny network access by default (networkRuleSet.defaultAction Deny) and let trusted Azure "
    "services in (bypass AzureServices): the account holds the image VHDs, and an account open to every network is "
    "reachable by anyone holding a key or SAS."
)

policy = resource_rule(
    name="storage-account-network-rules",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/storage/common/storage-network-security",
    benchmark="CKV_AZURE_35, CKV_AZURE_36",
    topics="storage, network",
    types=[STORAGE_ACCOUNT],
    check=_check,
    config_schema=None,
    subject="storage account",
    allowed='networkRuleSet {defaultAction: "Deny", bypass including "AzureServices"}',
)
