"""builder-vm-no-secrets-in-custom-data: VM custom data and user data hold no keys, passwords or connection strings
(CKV_AZURE_45). Messages name the kind of secret found, never its value."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, for_types, schema, sources, str_list_option, string_list, subject, violation
from .._props import is_unknown, peek
from .._secrets_scan import decode_custom_data, findings
from .._tokens import VIRTUAL_MACHINE


def _check(args: ResourceValidationArgs, report: Report) -> None:
    extra = str_list_option(args.get_config(), "extraPatterns", [])
    for path in ("osProfile.customData", "userData"):
        value = peek(args.props, path)
        if not isinstance(value, str) or is_unknown(value):
            continue
        found = findings(decode_custom_data(value), extra)
        if found:
            report(
                violation(
                    subject("VM", args.name),
                    f"{path} appears to hold secrets",
                    "; ".join(found),
                    "references to secrets only (Key Vault with a managed identity, secret config fetched at run time)",
                )
            )


policy = ResourceValidationPolicy(
    name="builder-vm-no-secrets-in-custom-data",
    description="VM custom data and user data hold no keys, passwords or connection strings: custom data is stored "
    "unencrypted in the VM model, readable by anyone with VM read access, and can end up in the captured image.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({VIRTUAL_MACHINE}, _check),
    config_schema=schema(
        extraPatterns=string_list("Additional regular expressions that count as a secret in custom data.", []),
    ),
    severity=Severity.HIGH,
    remediation_steps="Pass secrets at run time instead (Key Vault with a managed identity, a secret Pulumi config "
    "fetched by the setup script) and keep only references in the cloud-config.",
    url="https://learn.microsoft.com/azure/virtual-machines/custom-data",
    **sources("CKV_AZURE_45", topics=["compute", "secrets"]),
)
