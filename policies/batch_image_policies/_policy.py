"""Small builders shared by the policy modules: type filters and config schemas."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs

Report = Callable[[str], None]
"""Reports one violation of the resource being validated (the message only)."""
ResourceCheck = Callable[[ResourceValidationArgs, Report], None]
Validate = Callable[[ResourceValidationArgs, ReportViolation], None]


def for_types(types: Collection[str], check: ResourceCheck) -> Validate:
    """Run `check` only on resources of the given type tokens."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in types:
            check(args, lambda message: report_violation(message, None))

    validate.__name__ = getattr(check, "__name__", "validate")
    return validate


def schema(**properties: dict[str, Any]) -> PolicyConfigSchema:
    """A policy's config schema (JSON schema per option, each with its `default`)."""
    return PolicyConfigSchema(properties=dict(properties))


def string_list(description: str, default: list[str]) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description, "default": default}


def integer(description: str, default: int, minimum: int = 0) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "description": description, "default": default}


def boolean(description: str, default: bool) -> dict[str, Any]:
    return {"type": "boolean", "description": description, "default": default}


def choice(description: str, values: list[str], default: str) -> dict[str, Any]:
    return {"type": "string", "enum": values, "description": description, "default": default}
