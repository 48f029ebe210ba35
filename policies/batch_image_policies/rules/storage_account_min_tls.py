"""storage-account-min-tls: storage accounts require TLS 1.2 or newer (CKV_AZURE_44)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, choice, option, resource_rule, schema
from .._props import is_unknown, peek, text
from .._tokens import STORAGE_ACCOUNT

TLS_ORDER = ["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"]
OPTIONS = schema(minimumTlsVersion=choice("Oldest TLS version allowed.", ["TLS1_2", "TLS1_3"], "TLS1_2"))


def _check(args: ResourceValidationArgs) -> Findings:
    minimum = str(option(args.get_config(), "minimumTlsVersion", "TLS1_2"))
    value = peek(args.props, "minimumTlsVersion")
    if is_unknown(value):
        return
    if value in TLS_ORDER and minimum in TLS_ORDER and TLS_ORDER.index(value) >= TLS_ORDER.index(minimum):
        return
    yield Finding(
        f"minimum TLS version below {minimum}",
        f"minimumTlsVersion {text(value)}",
        f'minimumTlsVersion "{minimum}" or newer',
    )


REMEDIATION = 'Set minimumTlsVersion to "TLS1_2", or the newer version this policy\'s minimumTlsVersion names.'
DESCRIPTION = "Storage accounts require TLS 1.2 or newer: TLS 1.0 and 1.1 are retired by Azure Storage."

policy = resource_rule(
    name="storage-account-min-tls",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version",
    benchmark="CKV_AZURE_44",
    topics="storage, encryption",
    types=[STORAGE_ACCOUNT],
    check=_check,
    config_schema=OPTIONS,
    subject="storage account",
    allowed="",
)
