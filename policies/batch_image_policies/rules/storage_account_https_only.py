"""storage-account-https-only: storage accounts accept HTTPS traffic only (CKV_AZURE_3)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, for_types, sources, subject, violation
from .._props import peek, text
from .._tokens import STORAGE_ACCOUNT


def _check(args: ResourceValidationArgs, report: Report) -> None:
    value = peek(args.props, "enableHttpsTrafficOnly")
    if value is False:
        report(
            violation(
                subject("storage account", args.name),
                "accepts plain HTTP",
                f"enableHttpsTrafficOnly {text(value)}",
                "enableHttpsTrafficOnly true or not set (the default is true)",
            )
        )


policy = ResourceValidationPolicy(
    name="storage-account-https-only",
    description="Storage accounts accept HTTPS traffic only: VHDs, SAS tokens and Batch auto-storage keys must not "
    "travel unencrypted.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({STORAGE_ACCOUNT}, _check),
    severity=Severity.HIGH,
    remediation_steps="Set enableHttpsTrafficOnly to true, or leave it unset (the default is true).",
    url="https://learn.microsoft.com/azure/storage/common/storage-require-secure-transfer",
    **sources("CKV_AZURE_3", topics=["storage", "encryption"]),
)
