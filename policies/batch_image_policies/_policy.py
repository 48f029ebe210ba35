"""What every policy module needs to declare a policy: a type filter, its config schema and options, its source
citations, and the one shape of a violation message.

A violation message says what is wrong with which resource, the value found and what is allowed; how to fix it and
why sit once in the policy's own fields (`description`, `remediation_steps`, `url`, `framework`, `tags`), which the
Pulumi CLI and Pulumi Cloud show next to every violation."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyComplianceFramework, PolicyConfigSchema, ReportViolation, ResourceValidationArgs

Report = Callable[[str], None]
"""Reports one violation of the resource being validated (the message only)."""
StackReport = ReportViolation
"""Reports one violation of a stack policy: the message and the URN of the resource it is about."""
ResourceCheck = Callable[[ResourceValidationArgs, Report], None]
Validate = Callable[[ResourceValidationArgs, ReportViolation], None]


def for_types(types: Collection[str], check: ResourceCheck) -> Validate:
    """Run `check` only on resources of the given type tokens."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in types:
            check(args, lambda message: report_violation(message, None))

    validate.__name__ = getattr(check, "__name__", "validate")
    return validate


# --- violation messages --------------------------------------------------------------------------------------------


def violation(subject: str, problem: str, found: str, allowed: str) -> str:
    """E.g. `storage account "img": minimum TLS version below TLS1_2 (found minimumTlsVersion "TLS1_0"; allowed:
    minimumTlsVersion "TLS1_2" or newer).`"""
    return f"{subject}: {problem} (found {found}; allowed: {allowed})."


def subject(kind: str, name: str) -> str:
    return f'{kind} "{name}"'


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
