"""storage-account-no-public-blob-access: storage accounts and their containers allow no anonymous blob access
(CKV_AZURE_190, CKV_AZURE_34)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, expect_flag, resource_rule
from .._props import is_unknown, peek, text
from .._tokens import BLOB_CONTAINER, STORAGE_ACCOUNT


def _check(args: ResourceValidationArgs) -> Findings:
    if args.resource_type == BLOB_CONTAINER:
        yield from _container_private(args)
        return
    yield from expect_flag(args.props, "allowBlobPublicAccess", False, "anonymous public blob access is allowed")


def _container_private(args: ResourceValidationArgs) -> Findings:
    value = peek(args.props, "publicAccess")
    if value is None or value == "None" or is_unknown(value):
        return
    yield Finding(
        "container allows anonymous read",
        f"publicAccess {text(value)}",
        'publicAccess "None" or not set',
        kind="blob container",
    )


REMEDIATION = 'Set allowBlobPublicAccess to false on the account and publicAccess to "None" on its containers.'
DESCRIPTION = (
    "Storage accounts and their containers allow no anonymous blob access: the image VHDs would be downloadable by "
    "anyone who guesses the URL."
)

policy = resource_rule(
    name="storage-account-no-public-blob-access",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    url="https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent",
    benchmark="CKV_AZURE_190, CKV_AZURE_34",
    topics="storage, network",
    types=[STORAGE_ACCOUNT, BLOB_CONTAINER],
    check=_check,
    config_schema=None,
    subject="storage account",
    allowed="allowBlobPublicAccess false",
)
