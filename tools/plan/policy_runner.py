"""Run the policy pack in policies/ offline, through pulumi_policy's analyzer servicer (the interface the engine calls).

This is the one place that does it: the offline plan (`make plan`) and the tests use it. It loads the pack's
side-effect-free package `batch_image_policies` from policies/ (never policies/__main__.py, whose PolicyPack()
blocks forever), applies a `--policy-pack-config`-style configuration, calls `Configure`, then `Analyze` for each
resource and `AnalyzeStack` once, and returns typed results.

Resource records (`ResourceRecord`, e.g. tools/plan/offline.py's `RegisteredResource`) carry what the engine knows about
each registered resource:

| field                 | meaning                                                                               |
|-----------------------|---------------------------------------------------------------------------------------|
| typ                   | type token, e.g. "azure-native:storage:StorageAccount"                                |
| name                  | logical name                                                                          |
| urn                   | URN                                                                                   |
| inputs                | wire (camelCase) inputs as RegisterResource sends them, i.e.                          |
|                       | `pulumi.runtime.rpc.deserialize_properties(request.object, keep_unknowns=True)`:      |
|                       | secrets stay wrapped (`{"4dabf1...": "1b4706...", "value": v}`, the engine's secret   |
|                       | signature),                                                                           |
|                       | unknowns are the sentinel strings (`pulumi.runtime.rpc.UNKNOWN`, ...)                 |
| outputs               | the resource's outputs (under mocks: what `new_resource` returned); {} if none         |
| parent                | parent URN ("" at top level)                                                          |
| dependencies          | URNs the resource depends on                                                          |
| property_dependencies | input name -> URNs that input depends on                                              |
| custom                | False for component resources                                                         |

`Analyze` sees the inputs, `AnalyzeStack` the outputs (the inputs when a record has no outputs), both without
internal `__*` keys (the engine strips `__provider` and friends), with resource references replaced by the
referenced resource's id (or URN for components), as the engine sends them.

Configuration (the `pulumi preview --policy-pack-config` file format):
`{"<policy>": "<level>" | {"enforcementLevel": "<level>", "<option>": value, ...}, "all": "<level>"}`, levels
advisory | mandatory | remediate | disabled. Unlike the servicer alone, the runner behaves like the engine: it
validates names, levels and options against each policy's schema (one `PolicyConfigError` naming the key, the
value and what is allowed), fills schema defaults, and always sends an `enforcementLevel` (the policy's own
level unless configured).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import jsonschema  # type: ignore[import-untyped, unused-ignore]  # no types-jsonschema pinned
import yaml
from pulumi.runtime import proto, rpc
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from components.common.project import PROJECT_ROOT

POLICY_PACK_DIR = PROJECT_ROOT / "policies"
PACK_PACKAGE = "batch_image_policies"
LEVELS = ("advisory", "mandatory", "remediate", "disabled")
_PROTO_LEVELS = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "remediate": proto.REMEDIATE,
    "disabled": proto.DISABLED,
}
_LEVEL_NAMES = {v: k for k, v in _PROTO_LEVELS.items()}
_PREVIEW_PREFIX = "can't run policy"

PolicyPackConfig = Mapping[str, Any]


class ResourceRecord(Protocol):
    """One registered resource, as the engine saw it (see the module docstring)."""

    @property
    def typ(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def urn(self) -> str: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...
    @property
    def outputs(self) -> Mapping[str, Any]: ...
    @property
    def parent(self) -> str: ...
    @property
    def dependencies(self) -> Sequence[str]: ...
    @property
    def property_dependencies(self) -> Mapping[str, Sequence[str]]: ...
    @property
    def custom(self) -> bool: ...


@dataclass(frozen=True)
class Record:
    """A plain `ResourceRecord` (for JSON input and tests)."""

    typ: str
    name: str
    urn: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    parent: str = ""
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    custom: bool = True


@dataclass(frozen=True)
class PolicyResult:
    """One policy diagnostic."""

    policy_name: str
    level: str  # advisory | mandatory | remediate | disabled
    message: str  # the policy's description, a newline, then the violation
    urn: str  # "" for a stack-wide diagnostic
    resource_name: str
    resource_type: str
    stage: str  # "resource" (Analyze) | "stack" (AnalyzeStack)

    @property
    def detail(self) -> str:
        """The violation alone, without the policy's description line."""
        return self.message.split("\n", 1)[-1]

    @property
    def skipped_in_preview(self) -> bool:
        """The policy could not run because a value it read is unknown during preview (always advisory)."""
        return self.message.startswith(_PREVIEW_PREFIX)


@dataclass(frozen=True)
class PolicyReport:
    results: list[PolicyResult]
    not_applicable: list[tuple[str, str]]  # (policy name, reason)

    @property
    def mandatory(self) -> list[PolicyResult]:
        return [r for r in self.results if r.level in ("mandatory", "remediate")]

    @property
    def advisory(self) -> list[PolicyResult]:
        return [r for r in self.results if r.level == "advisory"]

    def for_policy(self, name: str) -> list[PolicyResult]:
        return [r for r in self.results if r.policy_name == name]


@dataclass(frozen=True)
class PolicyPackInfo:
    name: str
    version: str
    policies: list[Policy]


class PolicyConfigError(ValueError):
    """Bad policy pack configuration: names the key, the value and what is allowed."""


def load_pack(pack_dir: Path = POLICY_PACK_DIR) -> PolicyPackInfo:
    """Import the pack's policies (with pack_dir on sys.path) and read its version from PulumiPolicy.yaml."""
    pack_dir = pack_dir.resolve()
    if str(pack_dir) not in sys.path:
        sys.path.insert(0, str(pack_dir))
    module = importlib.import_module(PACK_PACKAGE)
    where = Path(module.__file__ or "").resolve().parent.parent
    if where != pack_dir:
        raise RuntimeError(f"{PACK_PACKAGE} was already imported from {where}, not {pack_dir}")
    manifest = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text(encoding="utf-8")) or {}
    return PolicyPackInfo(module.PACK_NAME, str(manifest.get("version", "0.0.1")), list(module.ALL_POLICIES))


def load_policy_config(path: Path) -> dict[str, Any]:
    """Read a `--policy-pack-config` JSON file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise PolicyConfigError(f"{path}: not valid JSON ({e})") from e
    if not isinstance(data, dict):
        raise PolicyConfigError(f"{path}: expected a JSON object of policy names, got {type(data).__name__}")
    return data


def configure_request(policies: Sequence[Policy], config: PolicyPackConfig | None) -> proto.ConfigureAnalyzerRequest:
    """The `Configure` request the engine would send: every policy with a level and its options (defaults filled)."""
    config = dict(config or {})
    by_name = {p.name: p for p in policies}
    unknown = [k for k in config if k not in by_name and k not in ("all", "environments")]
    if unknown:
        raise PolicyConfigError(
            f'unknown policy "{unknown[0]}" in the policy pack config; allowed: "all" or one of {", ".join(by_name)}'
        )
    all_level = _level("all", config["all"]) if "all" in config else None
    request = proto.ConfigureAnalyzerRequest()
    for policy in policies:
        level, options = _policy_entry(policy, config.get(policy.name), all_level)
        policy_config = proto.PolicyConfig(enforcementLevel=_PROTO_LEVELS[level])
        if options:
            policy_config.properties.update(options)
        request.policyConfig[policy.name].CopyFrom(policy_config)
    return request


def _policy_entry(policy: Policy, entry: Any, all_level: str | None) -> tuple[str, dict[str, Any]]:
    own = (policy.enforcement_level or EnforcementLevel.ADVISORY).value
    if entry is None:
        return all_level or own, _with_defaults(policy, {})
    if isinstance(entry, str):
        return _level(policy.name, entry), _with_defaults(policy, {})
    if not isinstance(entry, Mapping):
        raise PolicyConfigError(
            f'policy pack config "{policy.name}": {entry!r} is neither a level ({", ".join(LEVELS)}) nor an object'
        )
    options = {k: v for k, v in entry.items() if k != "enforcementLevel"}
    level = _level(policy.name, entry["enforcementLevel"]) if "enforcementLevel" in entry else all_level or own
    _validate_options(policy, options)
    return level, _with_defaults(policy, options)


def _level(key: str, value: Any) -> str:
    if value not in LEVELS:
        raise PolicyConfigError(f'policy pack config "{key}": level {value!r} is not one of {", ".join(LEVELS)}')
    return str(value)


def _validate_options(policy: Policy, options: Mapping[str, Any]) -> None:
    properties = policy.config_schema.properties if policy.config_schema else {}
    for key, value in options.items():
        if key not in properties:
            allowed = ", ".join(properties) or "no options"
            raise PolicyConfigError(f'policy pack config "{policy.name}.{key}": unknown option; allowed: {allowed}')
        try:
            jsonschema.validate(value, properties[key])
        except jsonschema.ValidationError as e:
            raise PolicyConfigError(
                f'policy pack config "{policy.name}.{key}": {value!r} is invalid: {e.message}'
            ) from e


def _with_defaults(policy: Policy, options: Mapping[str, Any]) -> dict[str, Any]:
    properties = policy.config_schema.properties if policy.config_schema else {}
    defaults = {k: s["default"] for k, s in properties.items() if "default" in s}
    return {**defaults, **options}


def _wire(value: Any) -> Any:
    """A deserialized property value as the engine sends it to an analyzer."""
    if isinstance(value, Mapping):
        if value.get(rpc._special_sig_key) == rpc._special_resource_sig:  # a resource reference
            return value.get("id") or value.get("urn", "")
        return {str(k): _wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wire(v) for v in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)  # nothing else reaches a policy as a Python object (e.g. an asset): its text form


def _wire_props(props: Mapping[str, Any]) -> dict[str, Any]:
    """Properties as the engine sends them: internal `__*` keys (e.g. `__provider`) stripped."""
    return {k: _wire(v) for k, v in props.items() if not k.startswith("__")}


class PolicyRunner:
    """The pack behind an analyzer servicer, configured once."""

    def __init__(self, config: PolicyPackConfig | None = None, pack_dir: Path = POLICY_PACK_DIR) -> None:
        self.pack = load_pack(pack_dir)
        self.servicer = _PolicyAnalyzerServicer(
            self.pack.name, self.pack.version, self.pack.policies, EnforcementLevel.ADVISORY
        )
        self.servicer.Configure(configure_request(self.pack.policies, config), None)

    def analyze(self, record: ResourceRecord) -> tuple[list[PolicyResult], list[tuple[str, str]]]:
        """Resource policies on one resource's inputs: (diagnostics, not-applicable policies)."""
        request = proto.AnalyzeRequest(
            type=record.typ,
            name=record.name,
            urn=record.urn,
            options=proto.AnalyzerResourceOptions(parent=record.parent),
        )
        request.properties.update(_wire_props(record.inputs))
        response = self.servicer.Analyze(request, None)
        results = [_result(d, record.name, record.typ, "resource", record.urn) for d in response.diagnostics]
        return results, [(n.policy_name, n.reason) for n in response.not_applicable]

    def analyze_stack(self, records: Sequence[ResourceRecord]) -> tuple[list[PolicyResult], list[tuple[str, str]]]:
        """Stack policies on every resource's outputs: (diagnostics, not-applicable policies)."""
        request = proto.AnalyzeStackRequest(resources=[_analyzer_resource(r) for r in records])
        response = self.servicer.AnalyzeStack(request, None)
        by_urn = {r.urn: r for r in records}
        results = []
        for d in response.diagnostics:
            record = by_urn.get(d.urn)
            results.append(_result(d, record.name if record else "", record.typ if record else "", "stack", d.urn))
        return results, [(n.policy_name, n.reason) for n in response.not_applicable]

    def run(self, records: Iterable[ResourceRecord]) -> PolicyReport:
        records = list(records)
        results: list[PolicyResult] = []
        not_applicable: list[tuple[str, str]] = []
        for record in records:
            found, skipped = self.analyze(record)
            results.extend(found)
            not_applicable.extend(skipped)
        found, skipped = self.analyze_stack(records)
        return PolicyReport(results + found, not_applicable + skipped)


def _analyzer_resource(record: ResourceRecord) -> proto.AnalyzerResource:
    resource = proto.AnalyzerResource(
        type=record.typ,
        name=record.name,
        urn=record.urn,
        parent=record.parent,
        dependencies=list(record.dependencies),
    )
    resource.properties.update(_wire_props(record.outputs or record.inputs))
    for key, urns in record.property_dependencies.items():
        resource.propertyDependencies[key].urns.extend(urns)
    return resource


def _result(diagnostic: Any, name: str, typ: str, stage: str, urn: str) -> PolicyResult:
    return PolicyResult(
        policy_name=diagnostic.policyName,
        level=_LEVEL_NAMES.get(diagnostic.enforcementLevel, "advisory"),
        message=diagnostic.message,
        urn=urn,
        resource_name=name,
        resource_type=typ,
        stage=stage,
    )


def run_policies(
    records: Iterable[ResourceRecord], config: PolicyPackConfig | None = None, pack_dir: Path = POLICY_PACK_DIR
) -> PolicyReport:
    """Run the whole pack (Configure, Analyze per resource, AnalyzeStack) over the records."""
    return PolicyRunner(config, pack_dir).run(records)


def format_report(report: PolicyReport) -> str:
    """Human-readable lines: mandatory first, then advisory."""
    lines = []
    for result in sorted(report.results, key=lambda r: (r.level != "mandatory", r.policy_name, r.resource_name)):
        where = f"{result.resource_type} {result.resource_name}".strip() or "stack"
        lines.append(f"[{result.level}] {result.policy_name} ({where}): {result.detail}")
    counts = f"{len(report.mandatory)} mandatory, {len(report.advisory)} advisory"
    return "\n".join([*lines, f"policy results: {counts}"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the policy pack over resource records (JSON list).")
    parser.add_argument("records", type=Path, help="JSON list of records with the ResourceRecord fields")
    parser.add_argument("--policy-pack-config", type=Path, help="a --policy-pack-config JSON file")
    args = parser.parse_args(argv)
    config = load_policy_config(args.policy_pack_config) if args.policy_pack_config else None
    records = [Record(**r) for r in json.loads(args.records.read_text(encoding="utf-8"))]
    report = run_policies(records, config)
    print(format_report(report))
    return 1 if report.mandatory else 0


if __name__ == "__main__":
    raise SystemExit(main())
