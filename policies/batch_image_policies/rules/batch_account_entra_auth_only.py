"""batch-account-entra-auth-only: the Batch account accepts Microsoft Entra ID authentication only (Azure Policy
6f68b69f)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule, schema, str_list_option, string_list
from .._props import is_unknown, items, peek, text
from .._tokens import BATCH_ACCOUNT

OPTIONS = schema(forbiddenModes=string_list("Authentication modes the account must not allow.", ["SharedKey"]))


def _check(args: ResourceValidationArgs) -> Findings:
    forbidden = str_list_option(args.get_config(), "forbiddenModes", ["SharedKey"])
    modes = peek(args.props, "allowedAuthenticationModes")
    if is_unknown(modes):
        return
    listed = [m for m in items(args.props, "allowedAuthenticationModes") if isinstance(m, str)]
    bad = [m for m in listed if m in forbidden] if modes is not None else ["all modes (not set)"]
    if not bad:
        return
    yield Finding(
        f"authentication modes include {', '.join(bad)}",
        f"allowedAuthenticationModes {text(modes)}",
        f'allowedAuthenticationModes ["AAD"] (no {", ".join(forbidden)})',
    )


REMEDIATION = 'Set allowedAuthenticationModes to ["AAD"].'
DESCRIPTION = (
    "The Batch account accepts Microsoft Entra ID authentication only (no SharedKey): pools from Compute Gallery "
    "images must be created with Microsoft Entra ID (Shared Key calls fail), and account keys are long-lived secrets."
)

policy = resource_rule(
    name="batch-account-entra-auth-only",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/batch/batch-aad-auth",
    benchmark="6f68b69f",
    topics="batch, identity",
    types=[BATCH_ACCOUNT],
    check=_check,
    config_schema=OPTIONS,
    subject="Batch account",
    allowed="",
)
