"""batch-account-keyvault-reference: a UserSubscription Batch account references its Key Vault (CKV_AZURE_76)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._batch import allocation_mode
from .._policy import Finding, Findings, resource_rule
from .._props import peek, text
from .._tokens import BATCH_ACCOUNT


def _check(args: ResourceValidationArgs) -> Findings:
    if allocation_mode(args.props) != "UserSubscription":
        return
    missing = [k for k in ("id", "url") if peek(args.props, f"keyVaultReference.{k}") in (None, "")]
    if not missing:
        return
    yield Finding(
        f"a UserSubscription account without keyVaultReference.{' and .'.join(missing)}",
        f"keyVaultReference {text(peek(args.props, 'keyVaultReference'))}",
    )


REMEDIATION = "Set keyVaultReference to the vault's id and its vault URI (https://<vault>.vault.azure.net/)."
DESCRIPTION = (
    "A UserSubscription Batch account references its Key Vault (id and url): Azure rejects a UserSubscription account "
    "without one."
)

policy = resource_rule(
    name="batch-account-keyvault-reference",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/batch/batch-account-create-portal",
    benchmark="CKV_AZURE_76",
    topics="batch, key-vault",
    types=[BATCH_ACCOUNT],
    check=_check,
    config_schema=None,
    subject="Batch account",
    allowed="keyVaultReference {id: the vault's id, url: its vault URI https://<vault>.vault.azure.net/}",
)
