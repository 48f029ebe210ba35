"""batch-account-keyvault-reference: a UserSubscription Batch account references its Key Vault (CKV_AZURE_76)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._batch import allocation_mode
from .._policy import Report, for_types, sources, subject, violation
from .._props import peek, text
from .._tokens import BATCH_ACCOUNT


def _check(args: ResourceValidationArgs, report: Report) -> None:
    if allocation_mode(args.props) != "UserSubscription":
        return
    missing = [k for k in ("id", "url") if peek(args.props, f"keyVaultReference.{k}") in (None, "")]
    if not missing:
        return
    report(
        violation(
            subject("Batch account", args.name),
            f"a UserSubscription account without keyVaultReference.{' and .'.join(missing)}",
            f"keyVaultReference {text(peek(args.props, 'keyVaultReference'))}",
            "keyVaultReference {id: the vault's id, url: its vault URI https://<vault>.vault.azure.net/}",
        )
    )


policy = ResourceValidationPolicy(
    name="batch-account-keyvault-reference",
    description="A UserSubscription Batch account references its Key Vault (id and url): Azure rejects a "
    "UserSubscription account without one.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({BATCH_ACCOUNT}, _check),
    severity=Severity.HIGH,
    remediation_steps="Set keyVaultReference to the vault's id and its vault URI (https://<vault>.vault.azure.net/).",
    url="https://learn.microsoft.com/azure/batch/batch-account-create-portal",
    **sources("CKV_AZURE_76", topics=["batch", "key-vault"]),
)
