"""storage-account-min-tls: storage accounts require TLS 1.2 or newer (CKV_AZURE_44)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, choice, for_types, option, schema, sources, subject, violation
from .._props import is_unknown, peek, text
from .._tokens import STORAGE_ACCOUNT

TLS_ORDER = ["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"]


def _check(args: ResourceValidationArgs, report: Report) -> None:
    minimum = str(option(args.get_config(), "minimumTlsVersion", "TLS1_2"))
    value = peek(args.props, "minimumTlsVersion")
    if is_unknown(value):
        return
    if value in TLS_ORDER and minimum in TLS_ORDER and TLS_ORDER.index(value) >= TLS_ORDER.index(minimum):
        return
    report(
        violation(
            subject("storage account", args.name),
            f"minimum TLS version below {minimum}",
            f"minimumTlsVersion {text(value)}",
            f'minimumTlsVersion "{minimum}" or newer',
        )
    )


policy = ResourceValidationPolicy(
    name="storage-account-min-tls",
    description="Storage accounts require TLS 1.2 or newer: TLS 1.0 and 1.1 are retired by Azure Storage.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({STORAGE_ACCOUNT}, _check),
    config_schema=schema(
        minimumTlsVersion=choice("Oldest TLS version allowed.", ["TLS1_2", "TLS1_3"], "TLS1_2"),
    ),
    severity=Severity.HIGH,
    remediation_steps='Set minimumTlsVersion to "TLS1_2", or the newer version this policy\'s minimumTlsVersion names.',
    url="https://learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version",
    **sources("CKV_AZURE_44", topics=["storage", "encryption"]),
)
