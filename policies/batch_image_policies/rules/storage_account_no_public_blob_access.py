"""storage-account-no-public-blob-access: storage accounts and their containers allow no anonymous blob access
(CKV_AZURE_190, CKV_AZURE_34)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, for_types, sources, subject, violation
from .._props import is_unknown, peek, text
from .._tokens import BLOB_CONTAINER, STORAGE_ACCOUNT


def _check(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type == BLOB_CONTAINER:
        _container_private(args, report)
        return
    value = peek(args.props, "allowBlobPublicAccess")
    if value is False or is_unknown(value):
        return
    report(
        violation(
            subject("storage account", args.name),
            "anonymous public blob access is allowed",
            f"allowBlobPublicAccess {text(value)}",
            "allowBlobPublicAccess false",
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
            'publicAccess "None" or not set',
        )
    )


policy = ResourceValidationPolicy(
    name="storage-account-no-public-blob-access",
    description="Storage accounts and their containers allow no anonymous blob access: the image VHDs would be "
    "downloadable by anyone who guesses the URL.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({STORAGE_ACCOUNT, BLOB_CONTAINER}, _check),
    severity=Severity.CRITICAL,
    remediation_steps='Set allowBlobPublicAccess to false on the account and publicAccess to "None" on its containers.',
    url="https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent",
    **sources("CKV_AZURE_190", "CKV_AZURE_34", topics=["storage", "network"]),
)
