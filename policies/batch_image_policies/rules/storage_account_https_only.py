"""storage-account-https-only: storage accounts accept HTTPS traffic only (CKV_AZURE_3)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule
from .._props import peek, text
from .._tokens import STORAGE_ACCOUNT


def _check(args: ResourceValidationArgs) -> Findings:
    value = peek(args.props, "enableHttpsTrafficOnly")
    if value is False:
        yield Finding("accepts plain HTTP", f"enableHttpsTrafficOnly {text(value)}")


REMEDIATION = "Set enableHttpsTrafficOnly to true, or leave it unset (the default is true)."
DESCRIPTION = (
    "Storage accounts accept HTTPS traffic only: VHDs, SAS tokens and Batch auto-storage keys must not travel "
    "unencrypted."
)

policy = resource_rule(
    name="storage-account-https-only",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/storage/common/storage-require-secure-transfer",
    benchmark="CKV_AZURE_3",
    topics="storage, encryption",
    types=[STORAGE_ACCOUNT],
    check=_check,
    config_schema=None,
    subject="storage account",
    allowed="enableHttpsTrafficOnly true or not set (the default is true)",
)
