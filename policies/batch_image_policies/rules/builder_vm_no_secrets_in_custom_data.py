"""builder-vm-no-secrets-in-custom-data: VM custom data and user data hold no keys, passwords or connection strings
(CKV_AZURE_45). Messages name the kind of secret found, never its value."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule, schema, str_list_option, string_list
from .._props import is_unknown, peek
from .._secrets_scan import decode_custom_data, findings
from .._tokens import VIRTUAL_MACHINE

OPTIONS = schema(extraPatterns=string_list("Additional regular expressions that count as a secret in custom data.", []))


def _check(args: ResourceValidationArgs) -> Findings:
    extra = str_list_option(args.get_config(), "extraPatterns", [])
    for path in ("osProfile.customData", "userData"):
        value = peek(args.props, path)
        if not isinstance(value, str) or is_unknown(value):
            continue
        found = findings(decode_custom_data(value), extra)
        if found:
            yield Finding(f"{path} appears to hold secrets", "; ".join(found))


REMEDIATION = (
    "Pass secrets at run time instead (Key Vault with a managed identity, a secret Pulumi config fetched by the setup "
    "script) and keep only references in the cloud-config."
)
DESCRIPTION = (
    "VM custom data and user data hold no keys, passwords or connection strings: custom data is stored unencrypted in "
    "the VM model, readable by anyone with VM read access, and can end up in the captured image."
)

policy = resource_rule(
    name="builder-vm-no-secrets-in-custom-data",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/virtual-machines/custom-data",
    benchmark="CKV_AZURE_45",
    topics="compute, secrets",
    types=[VIRTUAL_MACHINE],
    check=_check,
    config_schema=OPTIONS,
    subject="VM",
    allowed="references to secrets only (Key Vault with a managed identity, secret config fetched at run time)",
)
