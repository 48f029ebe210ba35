"""What every policy module needs to declare a policy: the declaration itself (`resource_rule`, `stack_rule`), the
`Finding`s its check yields, config schemas and options, and source citations.

A violation message says what is wrong with which resource, the value found and what is allowed; how to fix it and
why sit once in the policy's own fields (`description`, `remediation_steps`, `url`, `framework`, `tags`), which the
Pulumi CLI and Pulumi Cloud show next to every violation.

Every rule module ends with the same declaration, every field in the same order (tests/policies/test_pack.py checks
the order):

    DESCRIPTION = "What the policy checks and why."
    REMEDIATION = "How to fix a violation."

    policy = resource_rule(             # or stack_rule: the check sees the whole stack
        name="storage-account-https-only",
        description=DESCRIPTION,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        types=[STORAGE_ACCOUNT],        # resource_rule: the types checked; stack_rule: the types reported on
        check=_check,                   # yields a Finding per violation
        subject="storage account",      # what messages call the resource (a Finding's kind overrides it)
        allowed="enableHttpsTrafficOnly true",  # what is allowed, when fixed (else None: each Finding says it)
        config_schema=None,             # or the policy's options, schema(...)
        remediation_steps=REMEDIATION,
        url="https://learn.microsoft.com/...",
        sources=sources("CKV_AZURE_3", topics=["storage", "encryption"]),
    )

The check reports only what varies: `yield Finding("accepts plain HTTP", f"enableHttpsTrafficOnly {text(value)}")`
becomes `storage account "sa": accepts plain HTTP (found enableHttpsTrafficOnly false; allowed: enableHttpsTrafficOnly
true).`"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)


@dataclass(frozen=True)
class Finding:
    """One violation a check found: what is wrong and the property and value found. The rest of the message comes
    from the policy's declaration unless the finding says otherwise."""

    problem: str
    found: str
    allowed: str | None = None
    """What is allowed, when it depends on options or values (else the policy's `allowed`)."""
    kind: str | None = None
    """What the message calls the resource, when not the policy's `subject` (a policy on several types)."""
    resource: PolicyResource | None = None
    """Stack policies: the resource the message names and the violation is reported on."""
    reported_on: PolicyResource | None = None
    """Stack policies: report the violation on this resource instead of `resource` (e.g. the offending extension)."""


Findings = Iterator[Finding]
"""What a check returns: a generator yielding one `Finding` per violation."""
ResourceCheck = Callable[[ResourceValidationArgs], Iterable[Finding]]
StackCheck = Callable[[StackValidationArgs], Iterable[Finding]]


def resource_rule(
    *,
    name: str,
    description: str,
    enforcement_level: EnforcementLevel,
    severity: Severity,
    types: Collection[str],
    check: ResourceCheck,
    subject: str,
    allowed: str | None,
    config_schema: PolicyConfigSchema | None,
    remediation_steps: str,
    url: str,
    sources: Mapping[str, Any],
) -> ResourceValidationPolicy:
    """A policy that runs `check` on each resource of the given type tokens."""
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in wanted:
            for finding in check(args):
                report_violation(_message(finding, subject, allowed, args.name), None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        enforcement_level=enforcement_level,
        validate=validate,
        config_schema=config_schema,
        severity=severity,
        remediation_steps=remediation_steps,
        url=url,
        **sources,
    )


def stack_rule(
    *,
    name: str,
    description: str,
    enforcement_level: EnforcementLevel,
    severity: Severity,
    types: Collection[str],
    check: StackCheck,
    subject: str,
    allowed: str | None,
    config_schema: PolicyConfigSchema | None,
    remediation_steps: str,
    url: str,
    sources: Mapping[str, Any],
) -> StackValidationPolicy:
    """A policy that runs `check` once on the whole stack; each finding names the resource it is about, one of the
    given type tokens."""
    reported = frozenset(types)

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for finding in check(args):
            about = finding.resource
            if about is None or about.resource_type not in reported:
                raise ValueError(f"{name}: a finding must name a resource of type {sorted(reported)}: {finding}")
            message = _message(finding, subject, allowed, about.name)
            report_violation(message, (finding.reported_on or about).urn)

    return StackValidationPolicy(
        name=name,
        description=description,
        enforcement_level=enforcement_level,
        validate=validate,
        config_schema=config_schema,
        severity=severity,
        remediation_steps=remediation_steps,
        url=url,
        **sources,
    )


# --- violation messages --------------------------------------------------------------------------------------------


def violation(subject: str, problem: str, found: str, allowed: str) -> str:
    """E.g. `storage account "img": minimum TLS version below TLS1_2 (found minimumTlsVersion "TLS1_0"; allowed:
    minimumTlsVersion "TLS1_2" or newer).`"""
    return f"{subject}: {problem} (found {found}; allowed: {allowed})."


def subject(kind: str, name: str) -> str:
    return f'{kind} "{name}"'


def _message(finding: Finding, kind: str, allowed: str | None, name: str) -> str:
    """The violation message of a finding about the resource `name`, with the policy's subject kind and allowed text
    where the finding does not say its own."""
    allowed = finding.allowed if finding.allowed is not None else allowed
    if allowed is None:
        raise ValueError(f"a finding of a policy without a fixed `allowed` must say what is allowed: {finding}")
    return violation(subject(finding.kind or kind, name), finding.problem, finding.found, allowed)


# --- sources -------------------------------------------------------------------------------------------------------


def sources(*references: str, topics: Sequence[str]) -> dict[str, Any]:
    """A policy's `framework` and `tags` keyword arguments: the benchmark it implements (Checkov ids, CKV_AZURE_*,
    when it has them, else Azure Policy definitions named by the first 8 hex digits of their id) and its topics.
    Every reference is also a tag, for filtering in Pulumi Cloud."""
    checkov = [r for r in references if r.startswith("CKV")]
    framework = (
        PolicyComplianceFramework(
            name="Checkov" if checkov else "Azure Policy", reference=", ".join(checkov or references)
        )
        if references
        else None
    )
    tags = [*topics, *(r if r.startswith("CKV") else f"azure-policy-{r}" for r in references)]
    return {"framework": framework, "tags": tags}


# --- config schemas (JSON schema per option, each with its `default`) ---------------------------------------------


def schema(**properties: dict[str, Any]) -> PolicyConfigSchema:
    """A policy's config schema."""
    return PolicyConfigSchema(properties=dict(properties))


def string_list(description: str, default: list[str]) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description, "default": default}


def integer(description: str, default: int, minimum: int = 0) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "description": description, "default": default}


def boolean(description: str, default: bool) -> dict[str, Any]:
    return {"type": "boolean", "description": description, "default": default}


def choice(description: str, values: list[str], default: str) -> dict[str, Any]:
    return {"type": "string", "enum": values, "description": description, "default": default}


# --- reading options (with their defaults: only the Pulumi engine applies schema defaults) ------------------------


def option(config: Mapping[str, Any], key: str, default: Any) -> Any:
    value = config.get(key)
    return default if value is None else value


def int_option(config: Mapping[str, Any], key: str, default: int) -> int:
    """Numbers arrive as floats through protobuf; a bad value falls back to the documented default."""
    value = option(config, key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return int(value)


def str_list_option(config: Mapping[str, Any], key: str, default: Sequence[str]) -> list[str]:
    value = option(config, key, default)
    if isinstance(value, str) or not isinstance(value, Sequence):
        return list(default)
    return [str(v) for v in value]


def bool_option(config: Mapping[str, Any], key: str, default: bool) -> bool:
    value = option(config, key, default)
    return value if isinstance(value, bool) else default
