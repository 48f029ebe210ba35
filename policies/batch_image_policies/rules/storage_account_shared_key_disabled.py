"""storage-account-shared-key-disabled: storage accounts disable shared key access (CKV2_AZURE_40)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Findings, expect_flag, resource_rule
from .._tokens import STORAGE_ACCOUNT


def _check(args: ResourceValidationArgs) -> Findings:
    return expect_flag(args.props, "allowSharedKeyAccess", False, "shared key (account key) access is enabled")


REMEDIATION = (
    "Set allowSharedKeyAccess to false once nothing needs account keys (Batch auto-storage in "
    "BatchAccountManagedIdentity mode, gallery VHD import with Entra ID)."
)
DESCRIPTION = (
    "Storage accounts disable shared key access: account keys grant full access and never expire; Entra ID "
    "authorization is auditable."
)

policy = resource_rule(
    name="storage-account-shared-key-disabled",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent",
    benchmark="CKV2_AZURE_40",
    topics="storage, identity",
    types=[STORAGE_ACCOUNT],
    check=_check,
    config_schema=None,
    subject="storage account",
    allowed="allowSharedKeyAccess false",
)
