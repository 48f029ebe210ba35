"""The plan against what is deployed: read and write `pulumi stack export` files, and compare a planned run with one.

    python -m tools.plan --stack dev --against EXPORT.json    # create / update / replace / delete, with the reasons
    python -m tools.plan --stack dev --as-deployed FILE       # the export a successful `pulumi up` would leave

The export format (Pulumi's "untyped deployment", `apitype.UntypedDeployment` / `DeploymentV3` / `ResourceV3` in
pulumi/pulumi sdk/go/common/apitype; written from knowledge of that source, not checked against it here):

    {"version": 3,
     "deployment": {"manifest": {"time", "magic", "version"}, "secrets_providers": {...},
                    "resources": [{"urn", "custom", "delete", "id", "type", "inputs", "outputs", "parent",
                                   "dependencies", "propertyDependencies", "provider", "protect", ...}],
                    "pending_operations": [...]}}

What is read: `version` (3; 4, which newer CLIs write when a state uses newer features, has the same resource
shape), `deployment` (null in the export of a stack never updated: empty), `deployment.resources` (absent for an
empty stack), and of each resource `urn` and `type` (required), `custom`, `delete`, `id`, `inputs`, `outputs`,
`parent`; and `deployment.pending_operations` (`apitype.OperationV2`: `{"resource": <ResourceV3>, "type":
"creating" | "updating" | "deleting" | "reading" | "importing"}`, what an interrupted update left in flight).
A resource with `delete: true` is an old copy of a replaced resource (or one a failed update was deleting): the next
`up` deletes it, so it is shown as a delete (`pendingDeletion`). Pending operations are listed apart: an interrupted
create may have made a cloud resource the state doesn't hold. The stack resource (`pulumi:pulumi:Stack`) and provider
resources (`pulumi:providers:*`) are not compared. Everything else in the file is ignored.

What is written: version 3; a manifest with a fixed time (so the file is the same on every run); `secrets_providers`
when the state holds a secret; the stack resource with the stack outputs; then every planned resource, dependencies
first, with urn, custom, id, type, inputs, outputs, parent, dependencies, propertyDependencies, the explicit provider
resources the program registers (as `pulumi:providers:*` resources, with `provider` references from the resources
that use them; the default providers a real export also holds are left out), `created`/`modified` (the fixed time).
Secrets are written as `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext":
"[offline plan: not encrypted]"}` under a `secrets_providers` of type `tools.plan-offline`: the file is for review
and for `--against`, never for `pulumi stack import`.

Aliases: a planned resource whose URN is not in the export is matched under its aliases (`ResourceOptions.aliases`,
the URNs the engine computes from them), as the engine's step generator does, so a renamed resource is compared (an
update or a replace) instead of deleted and created.

What is compared (the way the engine diffs, minus the provider's own Check and Diff): each planned resource's
inputs with the deployed resource's `inputs`, top-level key by key (internal `__*` keys such as the dynamic
provider's `__provider` left out; two secrets compare equal, as their ciphertext cannot be read offline). A changed
key replaces the resource when it is in the resource's replace set (`replace_keys`), else updates it. A path the
program ignores (`ResourceOptions.ignore_changes`, e.g. the gallery versions' excludeFromLatest while the canary owns
it) keeps its deployed value, as the engine does. An input that
depends on an output of a replaced resource (the engine's property dependencies) is unknown until that resource is
re-created, so it counts as changed: replace when in the replace set, else update.
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pulumi.runtime import rpc

from components.canary.resource import CANARY_TYPE
from components.capture.resource import CAPTURE_TYPE, CLEANUP_TYPE
from components.capture.spec import REPLACE_KEYS as CAPTURE_REPLACE_KEYS
from components.common.progress import URN_KEY
from components.pool_drain.resource import DRAIN_TYPE
from components.pool_drain.spec import REPLACE_KEYS as DRAIN_REPLACE_KEYS
from components.pools import POOL_REPLACE_ON_CHANGES, POOL_REPLACE_REASON
from tools.plan import catalog
from tools.plan.offline import ProgramRun, RegisteredResource

EXPORT_VERSION = 3
READ_VERSIONS = (3, 4)
STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"

# Pulumi's wire signatures (pulumi.runtime.rpc: private names, but their one home), as state files carry them too.
SECRET_SIG = rpc._special_secret_sig
SPECIAL_SIG_KEY = rpc._special_sig_key
RESOURCE_REF_SIG = rpc._special_resource_sig
OFFLINE_CIPHERTEXT = "[offline plan: not encrypted]"
OFFLINE_SECRETS_PROVIDER = "tools.plan-offline"
FIXED_TIME = "1970-01-01T00:00:00Z"  # the written export is the same on every run
_SECRET = "[secret]"

Action = Literal["create", "update", "replace", "delete", "same"]
ACTIONS: tuple[Action, ...] = ("create", "update", "replace", "delete", "same")

POOL_TYPE = "azure-native:batch:Pool"
# What a user with long-lived jobs or job schedules does when a pool is replaced (README "Rolling a pool to a new
# image"): Batch keeps a job on the pool it names, and changes a job's pool only while the job is disabled.
JOBS_GUIDANCE = (
    "jobs and job schedules stay bound to the old pool id: disable each job (disableTasks: wait), patch its "
    "poolInfo.poolId to the new pool (stack output pools.<name>.poolName), then enable it; for a job schedule patch "
    "jobSpecification.poolInfo, and move its current job the same way"
)

# Replacements and deletions that destroy something users depend on: named in the plan's warnings.
DEPENDED_ON = {
    POOL_TYPE: (
        "Batch pool",
        "jobs and tasks run on its nodes: its drain lets running tasks finish (up to drainTimeout), then deletes it",
    ),
    "azure-native:compute:GalleryImageVersion": ("gallery image version", "pools boot their nodes from it"),
    "azure-native:batch:BatchAccount": ("Batch account", "every pool, job and task lives in it"),
}

# The canary's inputs whose change replaces it (components/canary/resource.py: a new version is canaried from the start;
# its provider also replaces a canary that failed, which the plan can't see offline).
CANARY_REPLACE_KEYS = ("image_version", "image_version_id")

# Inputs a provider cannot update in place (its forceNew properties), for the types the catalog's ARM ids don't cover.
_FORCE_NEW = {
    "tls:index/privateKey:PrivateKey": ("algorithm", "rsaBits", "ecdsaCurve"),  # every tls key input is ForceNew
    "azure-native:authorization:RoleAssignment": ("scope", "principalId", "roleDefinitionId", "roleAssignmentName"),
    "azure-native:resources:ResourceGroup": ("resourceGroupName", "location"),
}


class ExportError(ValueError):
    """The export file is missing or not a `pulumi stack export` document: names the file and what is wrong."""


@dataclass(frozen=True)
class DeployedResource:
    urn: str
    typ: str
    custom: bool
    resource_id: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    parent: str
    pending_deletion: bool = False  # `delete: true`: an old copy the next `up` deletes


@dataclass(frozen=True)
class PendingOperation:
    """An operation an interrupted update left in flight (`deployment.pending_operations`)."""

    urn: str
    typ: str
    operation: str  # creating | updating | deleting | reading | importing

    @property
    def meaning(self) -> str:
        return _PENDING_MEANING.get(self.operation, "the engine left this operation unfinished")


_PENDING_MEANING = {
    "creating": "an interrupted create: the cloud resource may exist without being in the state; the next `up` "
    "reports it and creates it again (delete or `pulumi import` the orphan first)",
    "updating": "an interrupted update: the cloud resource may differ from the state; `pulumi refresh` reads it back",
    "deleting": "an interrupted delete: the cloud resource may be gone already; `pulumi refresh` drops it",
    "reading": "an interrupted read",
    "importing": "an interrupted import: the cloud resource exists, the state may not hold it",
}


@dataclass(frozen=True)
class PropertyChange:
    key: str  # top-level input key
    reason: str  # why it replaces ("" when it only updates)
    diffs: list[tuple[str, Any, Any]]  # (dotted path, deployed value, planned value); values shown, secrets masked
    depends_on_replaced: str = ""  # the replaced resource whose output this input waits for

    @property
    def replaces(self) -> bool:
        return bool(self.reason)


@dataclass(frozen=True)
class Change:
    urn: str
    typ: str
    name: str
    action: Action
    properties: list[PropertyChange] = field(default_factory=list)
    pending_deletion: bool = False  # an old copy marked `delete: true` in the state (a replace or delete unfinished)
    was: str = ""  # the deployed URN it is compared with, when matched under an alias

    @property
    def warning(self) -> str:
        """What is destroyed, for a replacement or deletion of something users depend on ("" otherwise)."""
        if self.action not in ("replace", "delete") or self.typ not in DEPENDED_ON:
            return ""
        what, consequence = DEPENDED_ON[self.typ]
        verb = "replaced" if self.action == "replace" else "deleted"
        because = [f"{p.key} ({p.reason})" for p in self.properties if p.replaces]
        reason = f"; because of {', '.join(because)}" if because else ""
        jobs = (
            f". {JOBS_GUIDANCE[0].upper()}{JOBS_GUIDANCE[1:]}" if self.typ == POOL_TYPE and verb == "replaced" else ""
        )
        return f"{self.name} ({what}) is {verb}: {consequence}{reason}{jobs}"


@dataclass(frozen=True)
class Comparison:
    export: str
    changes: list[Change]  # by URN
    pending: list[PendingOperation] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def warnings(self) -> list[Change]:
        return [c for c in self.changes if c.warning]


# --- reading an export -------------------------------------------------------------------------------------------


def load_export(path: Path) -> list[DeployedResource]:
    """The deployed resources of a `pulumi stack export` file (stack and provider resources left out); old copies
    pending deletion (`delete: true`) are kept apart under their own key, since they share the live copy's URN."""
    resources = _export_resources(path)
    found: dict[str, DeployedResource] = {}
    for index, entry in enumerate(resources):
        if entry["type"] == STACK_TYPE or entry["type"].startswith(PROVIDER_PREFIX):
            continue
        urn = engine_urn(entry["urn"])
        key = f"{urn}#delete{index}" if entry.get("delete") else urn
        if key in found:
            raise ExportError(f'{path}: "deployment.resources[{index}]": {entry["urn"]} appears twice')
        found[key] = DeployedResource(
            urn=urn,
            typ=entry["type"],
            custom=bool(entry.get("custom", False)),
            resource_id=str(entry.get("id") or ""),
            inputs=entry.get("inputs") or {},
            outputs=entry.get("outputs") or {},
            parent=engine_urn(str(entry.get("parent") or "")),
            pending_deletion=bool(entry.get("delete")),
        )
    return list(found.values())


def engine_urn(urn: str) -> str:
    """A URN as the engine writes it. Exports written by this tool before it made URNs as the engine does carry the
    SDK mock's `pulumi:pulumi:Stack$` before the type of the stack's children; a real export never does."""
    return urn.replace(f"::{STACK_TYPE}$", "::", 1)


def load_pending_operations(path: Path) -> list[PendingOperation]:
    """`deployment.pending_operations`: what an interrupted update left in flight."""
    operations = _deployment(path).get("pending_operations") or []
    if not isinstance(operations, list):
        raise ExportError(f'{path}: "deployment.pending_operations" must be a list')
    found = []
    for index, entry in enumerate(operations):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("urn"), str) or not entry.get("type"):
            raise ExportError(f'{path}: "deployment.pending_operations[{index}]" has no resource urn and type')
        found.append(PendingOperation(engine_urn(resource["urn"]), str(resource.get("type") or ""), str(entry["type"])))
    return found


def load_stack_outputs(path: Path) -> dict[str, Any]:
    """The stack's own outputs in the export: what the program reads back through its reference to its own stack
    (the record of published image versions). Empty when the stack has none."""
    stacks = [entry for entry in _export_resources(path) if entry["type"] == STACK_TYPE]
    return dict(stacks[0].get("outputs") or {}) if stacks else {}


def _export_resources(path: Path) -> list[dict[str, Any]]:
    """The checked `deployment.resources` entries of an export file."""
    deployment = _deployment(path)
    resources = deployment.get("resources")
    resources = [] if resources is None else resources  # an empty stack's export has none
    if not isinstance(resources, list):
        raise ExportError(f'{path}: "deployment.resources" must be a list, got {type(resources).__name__}')
    for index, entry in enumerate(resources):
        where = f'{path}: "deployment.resources[{index}]"'
        if not isinstance(entry, dict):
            raise ExportError(f"{where} must be an object, got {type(entry).__name__}")
        for key in ("urn", "type"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise ExportError(f'{where} has no "{key}" string')
        for key in ("inputs", "outputs"):
            if not isinstance(entry.get(key) or {}, dict):  # absent or null: none
                raise ExportError(f'{where} ({entry["urn"]}): "{key}" must be an object')
    return resources


def _deployment(path: Path) -> dict[str, Any]:
    """The `deployment` object of an export file ({} for a stack never updated, whose export holds null)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ExportError(f"{path}: cannot read the export file ({error.strerror or error})") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ExportError(f"{path}: not JSON ({error}); expected `pulumi stack export` output") from error
    if not isinstance(document, dict) or "deployment" not in document:
        raise ExportError(f'{path}: not a `pulumi stack export` document (no "deployment" object at the top level)')
    version = document.get("version")
    if version not in READ_VERSIONS:
        raise ExportError(
            f"{path}: export format version {version!r} is not supported; expected one of "
            f"{', '.join(map(str, READ_VERSIONS))} (`pulumi stack export` of a current CLI)"
        )
    deployment = document["deployment"]
    if deployment is None:  # `pulumi stack export` of a stack never updated
        return {}
    if not isinstance(deployment, dict):
        raise ExportError(f'{path}: "deployment" must be an object, got {type(deployment).__name__}')
    return deployment


def check_stack(path: Path, deployed: Sequence[DeployedResource], stack: str, project: str) -> None:
    """An export of another stack, or of another project's stack of the same name, would show everything deleted
    and re-created: refuse it with the reason."""
    stacks = sorted({_urn_stack(r.urn) for r in deployed})
    if stacks and stack not in stacks:
        raise ExportError(
            f"{path}: the export holds resources of stack {', '.join(map(repr, stacks))}, the plan is for stack "
            f"{stack!r} (plan that stack with --stack, or export this one: `pulumi stack export --stack {stack}`)"
        )
    projects = sorted({_urn_project(r.urn) for r in deployed})
    if projects and project not in projects:
        raise ExportError(
            f"{path}: the export holds resources of project {', '.join(map(repr, projects))}, the plan is for "
            f"project {project!r} (Pulumi.yaml): export this project's stack, `pulumi stack export --stack "
            f"<org>/{project}/{stack}`"
        )


def _urn_stack(urn: str) -> str:
    match = re.match(r"urn:pulumi:([^:]*)::", urn)
    return match.group(1) if match else ""


def _urn_project(urn: str) -> str:
    match = re.match(r"urn:pulumi:[^:]*::([^:]*)::", urn)
    return match.group(1) if match else ""


# --- writing the export an `up` would leave --------------------------------------------------------------------


def as_deployed(run: ProgramRun, stack: str, project: str) -> dict[str, Any]:
    """The `pulumi stack export` document (version 3) a successful `pulumi up` of the planned run would leave."""
    stack_urn = f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"
    stamp = {"created": FIXED_TIME, "modified": FIXED_TIME}  # ResourceV3 created/modified (CLIs since early 2023)
    resources: list[dict[str, Any]] = [
        {"urn": stack_urn, "custom": False, "type": STACK_TYPE, "outputs": _stored(run.outputs), **stamp}
    ]
    for record in _dependencies_first(run.resources):
        entry: dict[str, Any] = {"urn": record.urn, "custom": record.custom}
        if record.custom:
            entry["id"] = record.resource_id
        entry.update(
            type=record.typ,
            inputs=_stored(record.inputs),
            outputs=_stored(record.outputs),
            parent=record.parent or stack_urn,
        )
        if record.dependencies:
            entry["dependencies"] = list(record.dependencies)
        if record.property_dependencies:
            entry["propertyDependencies"] = {k: list(v) for k, v in sorted(record.property_dependencies.items())}
        if record.options.get("provider"):
            entry["provider"] = record.options["provider"]
        entry.update(stamp)
        resources.append(entry)
    deployment: dict[str, Any] = {
        "manifest": {"time": FIXED_TIME, "magic": "", "version": "tools.plan (offline)"},
    }
    if _holds_secret([run.outputs, *(r.inputs for r in run.resources), *(r.outputs for r in run.resources)]):
        deployment["secrets_providers"] = {
            "type": OFFLINE_SECRETS_PROVIDER,
            "state": {"note": "secrets are not encrypted and can't be read back: not for `pulumi stack import`"},
        }
    deployment["resources"] = resources
    return {"version": EXPORT_VERSION, "deployment": deployment}


def _holds_secret(values: Sequence[Any]) -> bool:
    def secret(value: Any) -> bool:
        if isinstance(value, Mapping):
            return value.get(SPECIAL_SIG_KEY) == SECRET_SIG or any(secret(v) for v in value.values())
        if isinstance(value, list | tuple):
            return any(secret(v) for v in value)
        return False

    return any(secret(v) for v in values)


def _dependencies_first(records: Sequence[RegisteredResource]) -> list[RegisteredResource]:
    """Parents and dependencies before dependents (the order the engine keeps its state in), ties by URN."""
    by_urn = {r.urn: r for r in records}
    waits_for = {r.urn: {u for u in (r.parent, *r.dependencies) if u in by_urn and u != r.urn} for r in records}
    dependents: dict[str, list[str]] = {u: [] for u in by_urn}
    for urn, before in waits_for.items():
        for other in before:
            dependents[other].append(urn)
    ready = [u for u, before in waits_for.items() if not before]
    heapq.heapify(ready)
    ordered: list[RegisteredResource] = []
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for dependent in dependents[urn]:
            waits_for[dependent].discard(urn)
            if not waits_for[dependent]:
                heapq.heappush(ready, dependent)
    if len(ordered) != len(records):
        raise ValueError("dependency cycle among the planned resources")
    return ordered


def _stored(value: Any) -> Any:
    """A value as the state file holds it: secrets as an (unreadable) ciphertext, keys sorted."""
    if isinstance(value, Mapping):
        if value.get(SPECIAL_SIG_KEY) == SECRET_SIG:
            return {SPECIAL_SIG_KEY: SECRET_SIG, "ciphertext": OFFLINE_CIPHERTEXT}
        return {str(k): _stored(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_stored(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the SDK sends every number as a float; the state holds 4096, not 4096.0
    return value


# --- comparing -----------------------------------------------------------------------------------------------------


# A canary whose last run failed (output `passed: false`) is replaced by the next `up`, whatever its inputs: the
# provider's diff retries it from the start (components/canary/provider.py).
CANARY_FAILED_REASON = "its last run failed: the next `up` runs the canary again from the start (canary/provider.py)"


def replace_keys(record: RegisteredResource) -> dict[str, str]:
    """The inputs whose change replaces this resource, each with the reason."""
    keys: dict[str, str] = {}
    if record.typ == CAPTURE_TYPE:
        keys.update(dict.fromkeys(CAPTURE_REPLACE_KEYS, "the capture provider replaces on it (capture/spec.py)"))
    if record.typ == CLEANUP_TYPE:
        keys["vm_id"] = "a new builder VM is a new clean-up resource (capture/diffing.py)"
    if record.typ == DRAIN_TYPE:
        keys.update(dict.fromkeys(DRAIN_REPLACE_KEYS, "a new pool is a new drain resource (pool_drain/spec.py)"))
    if record.typ == CANARY_TYPE:
        keys.update(dict.fromkeys(CANARY_REPLACE_KEYS, "a new version is canaried from the start (canary/resource.py)"))
    for key in _FORCE_NEW.get(record.typ, ()):
        keys[key] = "the provider cannot change it in place"
    arm = catalog.arm_path(record.typ)
    if arm is not None:
        template, name_key = arm
        for key in ["resourceGroupName", *re.findall(r"\{(\w+)\}", template)]:
            keys[key] = "part of the resource's ARM id"
        keys[name_key] = "the resource's name"
        keys["location"] = "an Azure resource cannot move region"
    for key in record.options.get("replaceOnChanges") or ():
        keys[key] = "marked replaceOnChanges in the program"
    if record.typ == POOL_TYPE:  # the program marks these; say why (the ARM id keep their own reason)
        for key in POOL_REPLACE_ON_CHANGES:
            if keys.get(key) in (None, "marked replaceOnChanges in the program"):
                keys[key] = POOL_REPLACE_REASON
    return keys


def compare(
    run: ProgramRun,
    deployed: Sequence[DeployedResource],
    export: str,
    pending: Sequence[PendingOperation] = (),
) -> Comparison:
    """Create / update / replace / delete / same for every planned and every deployed resource."""
    live = {r.urn: r for r in deployed if not r.pending_deletion}
    # Provider configurations are not Azure resources: left out on both sides (load_export skips them too).
    planned = {r.urn: r for r in run.resources if not r.typ.startswith(PROVIDER_PREFIX)}
    # As the engine: a planned resource not in the state under its URN is looked up under its aliases.
    old: dict[str, DeployedResource] = {}
    claimed: set[str] = set()
    for urn in planned:
        if urn in live:
            old[urn] = live[urn]
            claimed.add(urn)
    for urn, record in planned.items():
        if urn in old:
            continue
        alias = next((a for a in record.options.get("aliases") or () if a in live and a not in claimed), None)
        if alias is not None:
            old[urn] = live[alias]
            claimed.add(alias)
    decided: dict[str, Change] = {}

    def decide(urn: str) -> Change:
        if urn in decided:
            return decided[urn]
        record = planned[urn]
        before = old.get(urn)
        if before is None:
            decided[urn] = Change(urn, record.typ, record.name, "create")
            return decided[urn]
        replaced_inputs = {}
        for key, sources in sorted(record.property_dependencies.items()):
            replaced = [
                decide(source).name
                for source in sources
                # A replaced resource's outputs are unknown until it is re-created, but its URN never changes.
                if source in planned and source != urn and record.inputs.get(key) != source
                if decide(source).action == "replace"
            ]
            if replaced:
                replaced_inputs[key] = replaced[0]
        news, olds = _comparable(record.inputs), _comparable(before.inputs)
        for path in record.options.get("ignoreChanges") or ():
            news = _with_old_value(news, olds, path.split("."))
        replace_set = replace_keys(record)
        properties = []
        for key in sorted(set(news) | set(olds)):
            diffs = _diffs(key, olds.get(key), news.get(key))
            if not diffs and key not in replaced_inputs:
                continue
            star = "*" in replace_set and "marked replaceOnChanges in the program"
            reason = replace_set.get(key) or star or ""
            properties.append(PropertyChange(key, reason, diffs, replaced_inputs.get(key, "")))
        if record.typ == CANARY_TYPE and before.outputs.get("passed") is False:  # canary/provider.py diff
            properties.append(PropertyChange("passed", CANARY_FAILED_REASON, [("passed", False, "(unknown)")]))
        action: Action = "replace" if any(p.replaces for p in properties) else "update" if properties else "same"
        was = before.urn if before.urn != urn else ""
        decided[urn] = Change(urn, record.typ, record.name, action, properties, was=was)
        return decided[urn]

    changes = [decide(urn) for urn in planned]
    changes += [Change(r.urn, r.typ, _urn_name(r.urn), "delete") for r in live.values() if r.urn not in claimed]
    changes += [
        Change(r.urn, r.typ, _urn_name(r.urn), "delete", pending_deletion=True) for r in deployed if r.pending_deletion
    ]
    return Comparison(export, sorted(changes, key=lambda c: (c.urn, c.pending_deletion)), list(pending))


def _with_old_value(news: dict[str, Any], olds: Mapping[str, Any], path: list[str]) -> dict[str, Any]:
    """`news` with the value at `path` taken from `olds` (or left out where `olds` has none), as the engine applies
    ignoreChanges: the resource keeps its old input there, so no diff comes from it."""
    head, rest = path[0], path[1:]
    inner_old = olds.get(head, _MISSING) if isinstance(olds, Mapping) else _MISSING
    if not rest:
        return {k: v for k, v in news.items() if k != head} | ({} if inner_old is _MISSING else {head: inner_old})
    inner_new = news.get(head)
    if not isinstance(inner_new, dict) or not isinstance(inner_old, Mapping):
        return news
    return {**news, head: _with_old_value(inner_new, inner_old, rest)}


def _urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _comparable(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs as compared: internal `__*` keys and the URN the dynamic resources carry for progress reports (their
    diffs ignore it: components/common/progress.py) left out, secrets and resource references reduced to what is
    known."""
    return {k: _normalized(v) for k, v in inputs.items() if not str(k).startswith("__") and k != URN_KEY}


def _normalized(value: Any) -> Any:
    if isinstance(value, Mapping):
        sig = value.get(SPECIAL_SIG_KEY)
        if sig == SECRET_SIG:
            return _SECRET
        if sig == RESOURCE_REF_SIG:
            return value.get("id") or value.get("urn", "")
        return {str(k): _normalized(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalized(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the SDK sends every number as a float; a state file holds 4096, not 4096.0
    return value


_MISSING = "(none)"


def _diffs(path: str, old: Any, new: Any) -> list[tuple[str, Any, Any]]:
    """The leaf paths where two values differ (old, new); a missing value is shown as "(none)"."""
    if old == new:
        return []
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found: list[tuple[str, Any, Any]] = []
        for key in sorted(set(old) | set(new)):
            found += _diffs(f"{path}.{key}", old.get(key, _MISSING), new.get(key, _MISSING))
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found += _diffs(f"{path}[{index}]", a, b)
        return found
    return [(path, _MISSING if old is None else old, _MISSING if new is None else new)]


# --- rendering -----------------------------------------------------------------------------------------------------

SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " "}


def to_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "export": comparison.export,
        "summary": {action: comparison.count(action) for action in ACTIONS},
        "changes": [
            {
                "urn": c.urn,
                "type": c.typ,
                "name": c.name,
                "action": c.action,
                **({"pendingDeletion": True} if c.pending_deletion else {}),
                **({"was": c.was} if c.was else {}),
                "properties": [
                    {
                        "key": p.key,
                        "replaces": p.replaces,
                        "reason": p.reason,
                        **({"dependsOnReplaced": p.depends_on_replaced} if p.depends_on_replaced else {}),
                        "diffs": [{"path": path, "old": a, "new": b} for path, a, b in p.diffs],
                    }
                    for p in c.properties
                ],
            }
            for c in comparison.changes
        ],
        "warnings": [
            {"urn": c.urn, "name": c.name, "action": c.action, "message": c.warning} for c in comparison.warnings
        ],
        "pendingOperations": [
            {"urn": p.urn, "type": p.typ, "operation": p.operation, "meaning": p.meaning} for p in comparison.pending
        ],
    }


def render(comparison: Comparison, markdown: bool) -> list[str]:
    head = "## " if markdown else ""
    counts = ", ".join(f"{comparison.count(a)} to {a}" for a in ACTIONS if a != "same")
    lines = [
        f"{head}Against {comparison.export}: {counts}, {comparison.count('same')} unchanged",
        "",
    ]
    if markdown:
        lines.append("```diff")
    severity = {"delete": 0, "replace": 1, "update": 2, "create": 3}  # what destroys something first
    for change in sorted(comparison.changes, key=lambda c: (severity.get(c.action, 4), c.urn)):
        if change.action == "same":
            continue
        symbol = SYMBOLS[change.action]
        note = ""
        if change.pending_deletion:
            note = " [old copy marked delete: true: a replace or delete an earlier update did not finish]"
        if change.was:
            note = f" [was {_urn_name(change.was)}: matched under its alias]"
        lines.append(f"{symbol:<2} {change.action:<7} {change.name} ({change.typ.rsplit(':', 1)[-1]}){note}")
        for prop in change.properties:
            why = f"replaces: {prop.reason}" if prop.replaces else "updates in place"
            lines.append(f"     {prop.key}: {why}")
            if prop.depends_on_replaced:
                lines.append(f"       (known after apply: waits for {prop.depends_on_replaced}, which is replaced)")
            for path, old, new in prop.diffs[:6]:
                lines.append(f"       {path}: {' => '.join(_shown_pair(old, new))}")
            if len(prop.diffs) > 6:
                lines.append(f"       ... and {len(prop.diffs) - 6} more")
    if markdown:
        lines.append("```")
    lines += ["", f"{head}Warnings: what this destroys that users depend on", ""]
    warnings = comparison.warnings
    lines += [f"- {c.warning}" for c in warnings] or ["none"]
    if comparison.pending:
        lines += ["", f"{head}Interrupted operations (pending_operations): what the next `up` must clean up", ""]
        lines += [
            f"- {p.operation} {_urn_name(p.urn)} ({p.typ.rsplit(':', 1)[-1]}): {p.meaning}" for p in comparison.pending
        ]
    return lines


def _shown_pair(old: Any, new: Any, width: int = 100) -> tuple[str, str]:
    """Both values as text; long ones cut around where they first differ, so the difference stays visible."""
    texts = [
        repr(v) if isinstance(v, str) else json.dumps(v, separators=(",", ":"), sort_keys=True) for v in (old, new)
    ]
    if max(len(t) for t in texts) <= width:
        return texts[0], texts[1]
    first = next((i for i, (a, b) in enumerate(zip(*texts, strict=False)) if a != b), min(len(t) for t in texts))
    start = max(0, first - width // 2)
    cut = [
        ("..." if start else "") + t[start : start + width] + ("..." if len(t) > start + width else "") for t in texts
    ]
    return cut[0], cut[1]
