"""keyvault-soft-delete-purge-protection: Key Vaults keep soft delete and purge protection on (CKV_AZURE_42/110,
Azure Policy 0b60c0b2)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule
from .._props import is_unknown, peek, text
from .._tokens import KEY_VAULT


def _check(args: ResourceValidationArgs) -> Findings:
    soft_delete = peek(args.props, "properties.enableSoftDelete")
    purge_protection = peek(args.props, "properties.enablePurgeProtection")
    problems = []
    if soft_delete is False:
        problems.append("soft delete is off")
    if purge_protection is not True and not is_unknown(purge_protection):
        problems.append("purge protection is off")
    if not problems:
        return
    yield Finding(
        " and ".join(problems),
        f"properties.enableSoftDelete {text(soft_delete)}, properties.enablePurgeProtection {text(purge_protection)}",
    )


REMEDIATION = (
    "Set properties.enableSoftDelete to true (or leave it unset) and properties.enablePurgeProtection to true."
)
DESCRIPTION = (
    "Key Vaults keep soft delete and purge protection on: the Batch account keeps its secrets in the vault, and a "
    "deleted or purged vault breaks the account."
)

policy = resource_rule(
    name="keyvault-soft-delete-purge-protection",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview",
    benchmark="CKV_AZURE_42, CKV_AZURE_110, 0b60c0b2",
    topics="key-vault, resilience",
    types=[KEY_VAULT],
    check=_check,
    config_schema=None,
    subject="Key Vault",
    allowed="properties.enableSoftDelete true or not set, and properties.enablePurgeProtection true",
)
