"""Storage account rules: the procedure's general-purpose Standard account, plus the security baseline
(Checkov CKV_AZURE_3/44/190/34, CKV2_AZURE_40; Azure Policy 404c3081, fe83a0eb, 4fa4b6c0, 8c6a50c6)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

from . import _tokens as types
from ._policy import Report, choice, for_types, option, schema, str_list_option, string_list, subject, violation
from ._props import is_unknown, peek, text

STANDARD_SKUS = ["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"]
TLS_ORDER = ["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"]


def _account(args: ResourceValidationArgs) -> str:
    return subject("storage account", args.name)


def _standard_gpv2(args: ResourceValidationArgs, report: Report) -> None:
    kind = peek(args.props, "kind")
    if not is_unknown(kind) and kind != "StorageV2":
        report(
            violation(
                _account(args),
                "not a general-purpose v2 account",
                f"kind {text(kind)}",
                'set kind to "StorageV2"',
                "general-purpose v1 accounts can no longer be created (retired October 2026) and BlobStorage/"
                "Premium kinds cannot hold the procedure's page-blob VHDs",
            )
        )
    allowed = str_list_option(args.get_config(), "allowedSkus", STANDARD_SKUS)
    sku = peek(args.props, "sku.name")
    if not is_unknown(sku) and sku not in allowed:
        report(
            violation(
                _account(args),
                "SKU is not an allowed Standard SKU",
                f"sku.name {text(sku)}",
                f"set sku.name to one of {', '.join(allowed)}",
                "the custom-image procedure uses a Standard general-purpose account for VHDs and Batch auto-storage",
            )
        )


storage_account_standard_gpv2 = ResourceValidationPolicy(
    name="storage-account-standard-gpv2",
    description="The image storage account is a general-purpose v2 (StorageV2) account with a Standard SKU.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({types.STORAGE_ACCOUNT}, _standard_gpv2),
    config_schema=schema(allowedSkus=string_list("Storage SKUs allowed for the image account.", STANDARD_SKUS)),
)


def _https_only(args: ResourceValidationArgs, report: Report) -> None:
    value = peek(args.props, "enableHttpsTrafficOnly")
    if value is False:
        report(
            violation(
                _account(args),
                "accepts plain HTTP",
                f"enableHttpsTrafficOnly {text(value)}",
                "set enableHttpsTrafficOnly to true (or leave it unset: the default is true)",
                "VHDs, SAS tokens and Batch auto-storage keys must not travel unencrypted (CKV_AZURE_3)",
            )
        )


storage_account_https_only = ResourceValidationPolicy(
    name="storage-account-https-only",
    description="Storage accounts accept HTTPS traffic only.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({types.STORAGE_ACCOUNT}, _https_only),
)


def _min_tls(args: ResourceValidationArgs, report: Report) -> None:
    minimum = str(option(args.get_config(), "minimumTlsVersion", "TLS1_2"))
    value = peek(args.props, "minimumTlsVersion")
    if is_unknown(value):
        return
    if value in TLS_ORDER and minimum in TLS_ORDER and TLS_ORDER.index(value) >= TLS_ORDER.index(minimum):
        return
    report(
        violation(
            _account(args),
            f"minimum TLS version below {minimum}",
            f"minimumTlsVersion {text(value)}",
            f'set minimumTlsVersion to "{minimum}" or newer',
            "TLS 1.0 and 1.1 are retired by Azure Storage and fail the TLS baseline (CKV_AZURE_44)",
        )
    )


storage_account_min_tls = ResourceValidationPolicy(
    name="storage-account-min-tls",
    description="Storage accounts require TLS 1.2 or newer.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({types.STORAGE_ACCOUNT}, _min_tls),
    config_schema=schema(
        minimumTlsVersion=choice("Oldest TLS version allowed.", ["TLS1_2", "TLS1_3"], "TLS1_2"),
    ),
)


def _no_public_blob_access(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type == types.BLOB_CONTAINER:
        _container_private(args, report)
        return
    value = peek(args.props, "allowBlobPublicAccess")
    if value is False or is_unknown(value):
        return
    report(
        violation(
            _account(args),
            "anonymous public blob access is allowed",
            f"allowBlobPublicAccess {text(value)}",
            "set allowBlobPublicAccess to false",
            "the image VHDs would be downloadable by anyone who guesses the URL (CKV_AZURE_190)",
        )
    )


def _container_private(args: ResourceValidationArgs, report: Report) -> None:
    value = peek(args.props, "publicAccess")
    if value is None or value == "None" or is_unknown(value):
        return
    report(
        violation(
            subject("blob container", args.name),
            "container allows anonymous read",
            f"publicAccess {text(value)}",
            'set publicAccess to "None"',
            "the image VHDs would be downloadable by anyone who guesses the URL (CKV_AZURE_34)",
        )
    )


storage_account_no_public_blob_access = ResourceValidationPolicy(
    name="storage-account-no-public-blob-access",
    description="Storage accounts and their containers allow no anonymous blob access.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({types.STORAGE_ACCOUNT, types.BLOB_CONTAINER}, _no_public_blob_access),
)


def _shared_key_disabled(args: ResourceValidationArgs, report: Report) -> None:
    value = peek(args.props, "allowSharedKeyAccess")
    if value is False or is_unknown(value):
        return
    report(
        violation(
            _account(args),
            "shared key (account key) access is enabled",
            f"allowSharedKeyAccess {text(value)}",
            "set allowSharedKeyAccess to false once nothing needs account keys (Batch auto-storage in "
            "BatchAccountManagedIdentity mode, gallery VHD import with Entra ID)",
            "account keys grant full access and never expire; Entra ID authorization is auditable (CKV2_AZURE_40)",
        )
    )


storage_account_shared_key_disabled = ResourceValidationPolicy(
    name="storage-account-shared-key-disabled",
    description="Storage accounts disable shared key access.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({types.STORAGE_ACCOUNT}, _shared_key_disabled),
)
