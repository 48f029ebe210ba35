"""storage-account-standard-gpv2: the image storage account is general-purpose v2 with a Standard SKU."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, for_types, schema, sources, str_list_option, string_list, subject, violation
from .._props import is_unknown, peek, text
from .._tokens import STORAGE_ACCOUNT

STANDARD_SKUS = ["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"]


def _check(args: ResourceValidationArgs, report: Report) -> None:
    kind = peek(args.props, "kind")
    if not is_unknown(kind) and kind != "StorageV2":
        report(
            violation(
                subject("storage account", args.name),
                "not a general-purpose v2 account",
                f"kind {text(kind)}",
                'kind "StorageV2"',
            )
        )
    allowed = str_list_option(args.get_config(), "allowedSkus", STANDARD_SKUS)
    sku = peek(args.props, "sku.name")
    if not is_unknown(sku) and sku not in allowed:
        report(
            violation(
                subject("storage account", args.name),
                "SKU is not an allowed Standard SKU",
                f"sku.name {text(sku)}",
                f"sku.name one of {', '.join(allowed)}",
            )
        )


policy = ResourceValidationPolicy(
    name="storage-account-standard-gpv2",
    description="The image storage account is a general-purpose v2 (StorageV2) account with a Standard SKU: "
    "general-purpose v1 accounts can no longer be created (retired October 2026), BlobStorage/Premium kinds cannot "
    "hold the procedure's page-blob VHDs, and the custom-image procedure uses a Standard account for VHDs and Batch "
    "auto-storage.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({STORAGE_ACCOUNT}, _check),
    config_schema=schema(allowedSkus=string_list("Storage SKUs allowed for the image account.", STANDARD_SKUS)),
    severity=Severity.HIGH,
    remediation_steps='Set kind to "StorageV2" and sku.name to a Standard SKU (this policy\'s allowedSkus).',
    url="https://learn.microsoft.com/azure/storage/common/storage-account-overview",
    **sources(topics=["storage"]),
)
