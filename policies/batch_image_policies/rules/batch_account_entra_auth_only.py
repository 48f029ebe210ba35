"""batch-account-entra-auth-only: the Batch account accepts Microsoft Entra ID authentication only (Azure Policy
6f68b69f)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, for_types, schema, sources, str_list_option, string_list, subject, violation
from .._props import is_unknown, items, peek, text
from .._tokens import BATCH_ACCOUNT


def _check(args: ResourceValidationArgs, report: Report) -> None:
    forbidden = str_list_option(args.get_config(), "forbiddenModes", ["SharedKey"])
    modes = peek(args.props, "allowedAuthenticationModes")
    if is_unknown(modes):
        return
    listed = [m for m in items(args.props, "allowedAuthenticationModes") if isinstance(m, str)]
    bad = [m for m in listed if m in forbidden] if modes is not None else ["all modes (not set)"]
    if not bad:
        return
    report(
        violation(
            subject("Batch account", args.name),
            f"authentication modes include {', '.join(bad)}",
            f"allowedAuthenticationModes {text(modes)}",
            f'allowedAuthenticationModes ["AAD"] (no {", ".join(forbidden)})',
        )
    )


policy = ResourceValidationPolicy(
    name="batch-account-entra-auth-only",
    description="The Batch account accepts Microsoft Entra ID authentication only (no SharedKey): pools from Compute "
    "Gallery images must be created with Microsoft Entra ID (Shared Key calls fail), and account keys are long-lived "
    "secrets.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({BATCH_ACCOUNT}, _check),
    config_schema=schema(forbiddenModes=string_list("Authentication modes the account must not allow.", ["SharedKey"])),
    severity=Severity.MEDIUM,
    remediation_steps='Set allowedAuthenticationModes to ["AAD"].',
    url="https://learn.microsoft.com/azure/batch/batch-aad-auth",
    **sources("6f68b69f", topics=["batch", "identity"]),
)
