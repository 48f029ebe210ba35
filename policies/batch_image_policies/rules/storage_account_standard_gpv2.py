"""storage-account-standard-gpv2: the image storage account is general-purpose v2 with a Standard SKU."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule, schema, str_list_option, string_list
from .._props import is_unknown, peek, text
from .._tokens import STORAGE_ACCOUNT

STANDARD_SKUS = ["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"]
OPTIONS = schema(allowedSkus=string_list("Storage SKUs allowed for the image account.", STANDARD_SKUS))


def _check(args: ResourceValidationArgs) -> Findings:
    kind = peek(args.props, "kind")
    if not is_unknown(kind) and kind != "StorageV2":
        yield Finding("not a general-purpose v2 account", f"kind {text(kind)}", 'kind "StorageV2"')
    allowed = str_list_option(args.get_config(), "allowedSkus", STANDARD_SKUS)
    sku = peek(args.props, "sku.name")
    if not is_unknown(sku) and sku not in allowed:
        yield Finding(
            "SKU is not an allowed Standard SKU", f"sku.name {text(sku)}", f"sku.name one of {', '.join(allowed)}"
        )


REMEDIATION = 'Set kind to "StorageV2" and sku.name to a Standard SKU (this policy\'s allowedSkus).'
DESCRIPTION = (
    "The image storage account is a general-purpose v2 (StorageV2) account with a Standard SKU: general-purpose v1 "
    "accounts can no longer be created (retired October 2026), BlobStorage/Premium kinds cannot hold the procedure's "
    "page-blob VHDs, and the custom-image procedure uses a Standard account for VHDs and Batch auto-storage."
)

policy = resource_rule(
    name="storage-account-standard-gpv2",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/storage/common/storage-account-overview",
    benchmark="",
    topics="storage",
    types=[STORAGE_ACCOUNT],
    check=_check,
    config_schema=OPTIONS,
    subject="storage account",
    allowed="",
)
