"""Key Vault rules checked one vault at a time (Checkov CKV_AZURE_42/110/111; Azure Policy 1e66c121, 0b60c0b2)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

from . import _tokens as types
from ._policy import Report, for_types, subject, violation
from ._props import is_unknown, peek, text


def _soft_delete_purge_protection(args: ResourceValidationArgs, report: Report) -> None:
    soft_delete = peek(args.props, "properties.enableSoftDelete")
    purge_protection = peek(args.props, "properties.enablePurgeProtection")
    problems = []
    if soft_delete is False:
        problems.append("soft delete is off")
    if purge_protection is not True and not is_unknown(purge_protection):
        problems.append("purge protection is off")
    if not problems:
        return
    report(
        violation(
            subject("Key Vault", args.name),
            " and ".join(problems),
            f"properties.enableSoftDelete {text(soft_delete)}, properties.enablePurgeProtection "
            f"{text(purge_protection)}",
            "set properties.enableSoftDelete true (or leave it unset) and properties.enablePurgeProtection true",
            "the Batch account keeps its secrets in this vault; a deleted or purged vault breaks the account "
            "(CKV_AZURE_42/110, Azure Policy 0b60c0b2)",
        )
    )


keyvault_soft_delete_purge_protection = ResourceValidationPolicy(
    name="keyvault-soft-delete-purge-protection",
    description="Key Vaults keep soft delete and purge protection on.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({types.KEY_VAULT}, _soft_delete_purge_protection),
)
