"""storage-account-shared-key-disabled: storage accounts disable shared key access (CKV2_AZURE_40)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, for_types, sources, subject, violation
from .._props import is_unknown, peek, text
from .._tokens import STORAGE_ACCOUNT


def _check(args: ResourceValidationArgs, report: Report) -> None:
    value = peek(args.props, "allowSharedKeyAccess")
    if value is False or is_unknown(value):
        return
    report(
        violation(
            subject("storage account", args.name),
            "shared key (account key) access is enabled",
            f"allowSharedKeyAccess {text(value)}",
            "allowSharedKeyAccess false",
        )
    )


policy = ResourceValidationPolicy(
    name="storage-account-shared-key-disabled",
    description="Storage accounts disable shared key access: account keys grant full access and never expire; "
    "Entra ID authorization is auditable.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({STORAGE_ACCOUNT}, _check),
    severity=Severity.MEDIUM,
    remediation_steps="Set allowSharedKeyAccess to false once nothing needs account keys (Batch auto-storage in "
    "BatchAccountManagedIdentity mode, gallery VHD import with Entra ID).",
    url="https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent",
    **sources("CKV2_AZURE_40", topics=["storage", "identity"]),
)
