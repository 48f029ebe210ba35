"""Running the pack over records through tools.plan.policy_runner (Configure, Analyze, AnalyzeStack), and changing
records the way the engine would see a changed program."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, TypeVar, cast

from pulumi.runtime.rpc import UNKNOWN, _special_secret_sig, _special_sig_key
from pulumi_policy import Policy

from components.common.project import NAMESPACE
from tools.plan.policy_runner import PolicyReport, PolicyResult, PolicyRunner, Record, ResourceRecord, load_pack

Stack = Mapping[str, ResourceRecord]
"""Records keyed by resource name."""
T = TypeVar("T")
DELETE = object()
PROJECT = NAMESPACE


def run(stack: Stack | Iterable[ResourceRecord], config: Mapping[str, Any] | None = None) -> PolicyReport:
    resources = list(stack.values()) if isinstance(stack, Mapping) else list(stack)
    return PolicyRunner(config).run(resources)


def stack_with(stack: Stack, *records: ResourceRecord) -> dict[str, ResourceRecord]:
    """The stack with these records replacing (or joining) the ones of the same name."""
    return {**stack, **{r.name: r for r in records}}


def only(report: PolicyReport, policy: str) -> list[PolicyResult]:
    """The diagnostics of one policy; asserts no other policy fired (each test changes one thing)."""
    others = sorted({r.policy_name for r in report.results} - {policy})
    assert not others, f"unexpected policies fired: {others}: {[r.message for r in report.results]}"
    return report.for_policy(policy)


def single(report: PolicyReport, policy: str) -> PolicyResult:
    found = only(report, policy)
    assert len(found) == 1, [r.message for r in found]
    return found[0]


def assert_message_shape(result: PolicyResult, *fragments: str) -> None:
    """Every violation names the resource and says what is wrong, the value found and what is allowed."""
    detail = result.message.split("\n", 1)[1]
    assert "(found " in detail and "; allowed: " in detail and detail.endswith(")."), detail
    for fragment in fragments:
        assert fragment in detail, f"{fragment!r} not in {detail!r}"


def assert_switch(baseline: Stack, policy: str, subject: str, path: str, wanted: bool, level: str) -> None:
    """A policy on a switch that must be `wanted` (`_policy.expect_flag`), on the resource named in `subject`
    (`VM "builder-vm"`): the other value and "not set" each give one `level` violation, on that resource, naming what
    was found and `<path> <wanted>`; unknown during preview passes."""
    name = subject.split('"')[1]
    allowed = f"{path} {str(wanted).lower()}"
    for value, found in ((not wanted, str(not wanted).lower()), (DELETE, "not set")):
        record = changed(baseline[name], path, value)
        result = single(run(stack_with(baseline, record)), policy)
        assert (result.level, result.urn, result.stage) == (level, record.urn, "resource"), result
        assert_message_shape(result, subject, f"{path} {found}", allowed)
    assert run(stack_with(baseline, changed(baseline[name], path, UNKNOWN))).results == []


def policy(name: str) -> Policy:
    return next(p for p in load_pack().policies if p.name == name)


def assert_guidance(name: str, *fragments: str) -> None:
    """How to fix a violation and why, once per policy: in its description (which the CLI prints above every
    violation) or its remediation steps (which Pulumi Cloud shows)."""
    found = policy(name)
    guidance = f"{found.description}\n{found.remediation_steps}"
    assert found.remediation_steps and found.url, name
    for fragment in fragments:
        assert fragment in guidance, f"{fragment!r} not in {guidance!r}"


def changed(res: T, path: str, value: Any, *, outputs_too: bool = True) -> T:
    """A copy of the record (any record dataclass) with the dotted path set in its inputs and outputs (or removed
    when value is DELETE)."""
    record: Any = res
    inputs = _set(copy.deepcopy(dict(record.inputs)), path, value)
    outputs = _set(copy.deepcopy(dict(record.outputs)), path, value) if outputs_too else record.outputs
    return cast(T, replace(record, inputs=inputs, outputs=outputs))


def depending(res: T, prop: str, *others: ResourceRecord) -> T:
    """A copy of the record whose input `prop` also comes from these resources (a property dependency)."""
    record: Any = res
    deps = {
        **record.property_dependencies,
        prop: (*record.property_dependencies.get(prop, ()), *(o.urn for o in others)),
    }
    return cast(T, replace(record, property_dependencies=deps))


def _set(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    elif value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return data


def new(typ: str, name: str, inputs: dict[str, Any], deps: Mapping[str, ResourceRecord] | None = None) -> Record:
    """A resource the program does not register (e.g. a VM extension someone adds): deps maps an input name to the
    resource that input comes from."""
    deps = deps or {}
    return Record(
        typ=typ,
        name=name,
        urn=f"urn:pulumi:dev::{PROJECT}::{typ}::{name}",
        inputs=inputs,
        outputs=copy.deepcopy(inputs),
        dependencies=tuple(dict.fromkeys(d.urn for d in deps.values())),
        property_dependencies={k: (d.urn,) for k, d in deps.items()},
    )


def custom_script_inputs(vm: Any) -> dict[str, Any]:
    """The inputs of a Custom Script extension on the VM (any record of it): what someone adding setup steps to the
    builder would register."""
    return {
        "resourceGroupName": vm.inputs["resourceGroupName"],
        "vmName": vm.outputs["name"],
        "publisher": "Microsoft.Azure.Extensions",
        "type": "CustomScript",
        "typeHandlerVersion": "2.1",
    }


def secret(value: Any) -> dict[str, Any]:
    """A secret as RegisterResource sends it."""
    return {_special_sig_key: _special_secret_sig, "value": value}


def custom_data(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


__all__ = [
    "DELETE",
    "UNKNOWN",
    "Stack",
    "assert_guidance",
    "assert_message_shape",
    "assert_switch",
    "changed",
    "custom_data",
    "custom_script_inputs",
    "depending",
    "new",
    "only",
    "run",
    "secret",
    "single",
    "stack_with",
]
