"""What every policy module needs to declare a policy: the declaration itself (`resource_rule`, `stack_rule`), the
`Finding`s its check yields, config schemas and options.

A violation message says what is wrong with which resource, the value found and what is allowed; how to fix it and
why sit once in the policy's own fields (`description`, `remediation_steps`, `url`, `framework`, `tags`), which the
Pulumi CLI and Pulumi Cloud show next to every violation.

Every rule module ends the same way: its prose, then its declaration with every field in this order
(tests/policies/test_pack.py checks it):

    REMEDIATION = "How to fix a violation."
    DESCRIPTION = "What the policy checks and why."

    policy = resource_rule(  # or stack_rule: the check sees the whole stack
        name="storage-account-https-only",
        description=DESCRIPTION,
        remediation_steps=REMEDIATION,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        url="https://learn.microsoft.com/...",  # where to read more
        benchmark="CKV_AZURE_3",  # the benchmark rules it implements, comma-separated; "" for none
        topics="storage, encryption",  # comma-separated
        types=[STORAGE_ACCOUNT],  # resource_rule: the types checked; stack_rule: the types its findings name
        check=_check,  # yields a Finding per violation
        config_schema=None,  # or OPTIONS, the policy's options: schema(...) above the check
        subject="storage account",  # what messages call the resource; a Finding's kind overrides it
        allowed="enableHttpsTrafficOnly true",  # what is allowed; "" when it depends on options or values
    )

The check reports only what varies: `yield Finding("accepts plain HTTP", f"enableHttpsTrafficOnly {text(value)}")`
on storage account "sa" reads `storage account "sa": accepts plain HTTP (found enableHttpsTrafficOnly false; allowed:
enableHttpsTrafficOnly true).`"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

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

from ._props import is_unknown, peek, text
from ._tokens import base_type


@dataclass(frozen=True)
class Finding:
    """One violation a check found: what is wrong and the property and value found. The rest of the message comes
    from the policy's declaration unless the finding says otherwise."""

    problem: str
    found: str
    allowed: str = ""
    """What is allowed, when it depends on options or values ("": the policy's `allowed`)."""
    kind: str = ""
    """What the message calls the resource, when not the policy's `subject` (a policy on several types)."""
    resource: PolicyResource | None = None
    """Stack policies: the resource the message names and the violation is reported on."""
    reported_on: PolicyResource | None = None
    """Stack policies: report the violation on this resource instead of `resource` (e.g. the offending extension)."""


Findings = Iterator[Finding]
"""What a check returns: a generator yielding one `Finding` per violation."""
ResourceCheck = Callable[[ResourceValidationArgs], Iterable[Finding]]
StackCheck = Callable[[StackValidationArgs], Iterable[Finding]]


def expect_flag(
    props: Any, path: str, wanted: bool, problem: str, allowed: str = "", resource: PolicyResource | None = None
) -> Findings:
    """The check of a switch that must be `wanted` (true or false): a finding `problem` (found `path` and its value)
    when it is anything else, not set included; none while it is unknown during preview. `allowed` and `resource` as
    in `Finding`. Checkov's BaseResourceValueCheck in one function."""
    value = peek(props, path)
    if value is wanted or is_unknown(value):
        return
    yield Finding(problem, f"{path} {text(value)}", allowed, resource=resource)


class RuleFields(TypedDict):
    """The fields every declaration states besides its check, in the order the rule modules give them."""

    name: str
    description: str
    remediation_steps: str
    enforcement_level: EnforcementLevel
    severity: Severity
    url: str
    benchmark: str
    topics: str
    types: Collection[str]
    config_schema: PolicyConfigSchema | None
    subject: str
    allowed: str


def resource_rule(*, check: ResourceCheck, **fields: Unpack[RuleFields]) -> ResourceValidationPolicy:
    """A policy that runs `check` on each resource of the declared types."""
    types = frozenset(base_type(t) for t in fields["types"])

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        args = _unversioned_args(args)
        if args.resource_type in types:
            for finding in check(args):
                report_violation(_message(finding, fields, args.name), None)

    return ResourceValidationPolicy(validate=validate, **_policy_fields(fields))


def stack_rule(*, check: StackCheck, **fields: Unpack[RuleFields]) -> StackValidationPolicy:
    """A policy that runs `check` once on the whole stack; each finding names its resource, one of the declared
    types."""
    types = frozenset(base_type(t) for t in fields["types"])

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for finding in check(_unversioned_stack(args)):
            about = finding.resource
            if about is None or about.resource_type not in types:
                raise ValueError(f"{fields['name']}: a finding must name a resource of one of {sorted(types)}")
            report_violation(_message(finding, fields, about.name), (finding.reported_on or about).urn)

    return StackValidationPolicy(validate=validate, **_policy_fields(fields))


def _unversioned_args(args: ResourceValidationArgs) -> ResourceValidationArgs:
    """The resource as the checks see it: its type token without an explicit API version (`base_type`)."""
    token = base_type(args.resource_type)
    if token == args.resource_type:
        return args
    return ResourceValidationArgs(
        token, args.props, args.urn, args.name, args.opts, args.provider, args.get_config(), args.stack_tags
    )


def _unversioned_stack(args: StackValidationArgs) -> StackValidationArgs:
    """The stack as the checks see it: every resource's type token without an explicit API version, in copies linked
    to each other as the originals are (parents and dependencies), so the checks compare resources by identity."""
    if all(base_type(r.resource_type) == r.resource_type for r in args.resources):
        return args
    copies = {id(r): copy.copy(r) for r in args.resources}

    def same(resource: PolicyResource) -> PolicyResource:
        return copies.get(id(resource), resource)

    for twin in copies.values():
        twin.resource_type = base_type(twin.resource_type)
        twin.parent = same(twin.parent) if twin.parent is not None else None
        twin.dependencies = [same(d) for d in twin.dependencies]
        twin.property_dependencies = {k: [same(d) for d in v] for k, v in twin.property_dependencies.items()}
    return StackValidationArgs(list(copies.values()), args.get_config(), args.stack_tags)


def _policy_fields(fields: RuleFields) -> dict[str, Any]:
    """The pulumi-policy keyword arguments the declaration's fields give (all but the validate function)."""
    return {
        "name": fields["name"],
        "description": fields["description"],
        "enforcement_level": fields["enforcement_level"],
        "config_schema": fields["config_schema"],
        "severity": fields["severity"],
        "remediation_steps": fields["remediation_steps"],
        "url": fields["url"],
        **sources(fields["benchmark"], fields["topics"]),
    }


# --- violation messages --------------------------------------------------------------------------------------------


def violation(subject: str, problem: str, found: str, allowed: str) -> str:
    """E.g. `storage account "img": minimum TLS version below TLS1_2 (found minimumTlsVersion "TLS1_0"; allowed:
    minimumTlsVersion "TLS1_2" or newer).`"""
    return f"{subject}: {problem} (found {found}; allowed: {allowed})."


def subject(kind: str, name: str) -> str:
    return f'{kind} "{name}"'


def _message(finding: Finding, fields: RuleFields, name: str) -> str:
    """The violation message of a finding about the resource `name`: the policy's subject and allowed text where the
    finding does not say its own."""
    allowed = finding.allowed or fields["allowed"]
    if not allowed:
        raise ValueError(f"{fields['name']}: its findings must say what is allowed (the policy does not): {finding}")
    return violation(subject(finding.kind or fields["subject"], name), finding.problem, finding.found, allowed)


# --- sources -------------------------------------------------------------------------------------------------------


def sources(benchmark: str, topics: str) -> dict[str, Any]:
    """A policy's `framework` and `tags` keyword arguments from its comma-separated benchmark rules (Checkov ids,
    CKV_AZURE_*, when it has them, else Azure Policy definitions named by the first 8 hex digits of their id) and
    topics. Every reference is also a tag, for filtering in Pulumi Cloud."""
    references = _split(benchmark)
    checkov = [r for r in references if r.startswith("CKV")]
    framework = (
        PolicyComplianceFramework(
            name="Checkov" if checkov else "Azure Policy", reference=", ".join(checkov or references)
        )
        if references
        else None
    )
    tags = [*_split(topics), *(r if r.startswith("CKV") else f"azure-policy-{r}" for r in references)]
    return {"framework": framework, "tags": tags}


def _split(listed: str) -> list[str]:
    return [item.strip() for item in listed.split(",") if item.strip()]


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
