"""The fleet manifest (`fleet.yaml`): image stacks and the pool stacks that take their images, read and checked as a
whole before any stack is planned or any workflow written.

    organization: contoso            # the Pulumi organization (StackReference names <organization>/<project>/<stack>)
    maxParallel: 4                   # at most this many stacks of one image's pool stacks deploy at once (workflow)
    defaultBranch: main              # `pulumi up` on pushes to it; `pulumi preview` on pull requests
    imageStacks:
      - stack: linux-image           # a stack name: letters, digits, hyphens
        subscription: <guid>         # the Azure subscription it deploys to
        region: westeurope           # its azure-native:location
        config: fleet/stacks/Pulumi.linux-image.yaml   # its stack config (`pulumi ... --config-file`)
        dependsOn: [base-image]      # optional: image stacks deployed before it
    poolStacks:
      - stack: pools-weu
        image: linux-image           # the image stack it takes its image from
        subscription: <guid>
        region: westeurope
        config: fleet/stacks/Pulumi.pools-weu.yaml
        policyPackConfig: policies/config.dev.json     # optional, per stack

Refused (ManifestError, exit 2, naming the stack and the key): an unknown key, a stack named twice, an `image` or
`dependsOn` naming a stack the manifest doesn't hold (or a pool stack), a cycle, a config file that is missing or
disagrees with the manifest (its azure-native:location, a pool stack's image.source / image.fromStack), and a pool
stack in a region its image stack does not replicate to (its location and image.replicas).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.common.project import NAMESPACE, PROJECT_ROOT
from components.settings import AZURE_REGIONS
from tools.errors import ExitCode, ToolError
from tools.plan.offline import load_stack_config

_STACK = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\Z")
_TOP = {"organization", "maxParallel", "defaultBranch", "imageStacks", "poolStacks"}
_COMMON = {"stack", "subscription", "region", "config", "policyPackConfig"}
_KEYS = {"image": _COMMON | {"dependsOn"}, "pools": _COMMON | {"image"}}


class ManifestError(ToolError):
    """The manifest can't be used: names the stack, the key, the value and what is allowed."""

    def __init__(self, message: str) -> None:
        super().__init__(ExitCode.BAD_INPUT, message)


@dataclass(frozen=True)
class FleetStack:
    name: str
    kind: str  # "image" or "pools"
    subscription: str
    region: str
    config_file: str  # as the manifest names it (relative to the project)
    config: dict[str, Any]  # the stack's config, namespaced keys (tools/plan/offline.py load_stack_config)
    image: str | None = None  # a pool stack's image stack
    depends_on: tuple[str, ...] = ()
    policy_pack_config: str | None = None

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.image,) if self.image else self.depends_on


@dataclass(frozen=True)
class Fleet:
    organization: str
    max_parallel: int
    default_branch: str
    stacks: dict[str, FleetStack] = field(default_factory=dict)  # in deployment order (dependencies first)
    source: str = "fleet.yaml"

    def full_name(self, stack: str) -> str:
        return f"{self.organization}/{NAMESPACE}/{stack}"

    @property
    def image_stacks(self) -> list[FleetStack]:
        return [s for s in self.stacks.values() if s.kind == "image"]

    @property
    def pool_stacks(self) -> list[FleetStack]:
        return [s for s in self.stacks.values() if s.kind == "pools"]

    def waves(self) -> list[list[FleetStack]]:
        """The stacks in waves: each wave's stacks need only stacks of earlier waves."""
        depth: dict[str, int] = {}
        for stack in self.stacks.values():  # dependencies come first
            depth[stack.name] = 1 + max((depth[n] for n in stack.needs), default=-1)
        return [
            [s for s in self.stacks.values() if depth[s.name] == d] for d in range(max(depth.values(), default=-1) + 1)
        ]


def load_manifest(path: Path, project_root: Path = PROJECT_ROOT) -> Fleet:
    """Read and check the manifest and every stack's config file (ManifestError for anything wrong)."""
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ManifestError(f"{path}: can't read the fleet manifest ({error})") from error
    return parse_manifest(document, str(path), lambda file: _read_config(file, project_root))


def _read_config(file: str, project_root: Path) -> dict[str, Any]:
    path = project_root / file
    if not path.is_file():
        raise FileNotFoundError(f"no stack config file {file}")
    return load_stack_config("", project_root, stack_file=path)


def parse_manifest(document: Any, source: str, read_config: Any) -> Fleet:
    """Check the manifest document; `read_config(file)` returns a stack's namespaced config (load_stack_config)."""
    if not isinstance(document, Mapping):
        raise ManifestError(f"{source}: a mapping with imageStacks and poolStacks is expected, not {document!r}")
    _unknown(source, "", document, _TOP)
    organization, max_parallel, branch = _top_level(source, document)
    entries = _entries(source, document)
    stacks = {name: _stack(source, name, kind, item, entries, read_config) for name, (kind, item) in entries.items()}
    ordered = _order(source, stacks)
    fleet = Fleet(organization, max_parallel, branch, {s.name: s for s in ordered}, source)
    for stack in fleet.pool_stacks:
        _check_pool_stack(fleet, stack)
    return fleet


def _top_level(source: str, document: Mapping[str, Any]) -> tuple[str, int, str]:
    organization = document.get("organization")
    if not isinstance(organization, str) or not re.match(r"^[A-Za-z0-9][-A-Za-z0-9_.]*\Z", organization):
        raise ManifestError(f"{source}: organization = {organization!r}: allowed: your Pulumi organization's name")
    max_parallel = document.get("maxParallel", 4)
    if not isinstance(max_parallel, int) or isinstance(max_parallel, bool) or not 1 <= max_parallel <= 256:
        raise ManifestError(f"{source}: maxParallel = {max_parallel!r}: allowed: a whole number from 1 to 256")
    branch = document.get("defaultBranch", "main")
    if not isinstance(branch, str) or not re.match(r"^[\w./-]+\Z", branch):
        raise ManifestError(f"{source}: defaultBranch = {branch!r}: allowed: a branch name")
    return organization, max_parallel, branch


def _entries(source: str, document: Mapping[str, Any]) -> dict[str, tuple[str, Mapping[str, Any]]]:
    """Every stack of imageStacks and poolStacks by name, with its kind: each named once, validly."""
    entries: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for list_key, kind in (("imageStacks", "image"), ("poolStacks", "pools")):
        items = document.get(list_key) or []
        if not isinstance(items, list):
            raise ManifestError(f"{source}: {list_key} = {items!r}: allowed: a list of stacks")
        for index, item in enumerate(items):
            where = f"{list_key}[{index}]"
            if not isinstance(item, Mapping):
                raise ManifestError(f"{source}: {where} = {item!r}: allowed: a mapping with stack, subscription, ...")
            _unknown(source, where, item, _KEYS[kind])
            name = item.get("stack")
            if not isinstance(name, str) or not _STACK.match(name):
                raise ManifestError(
                    f"{source}: {where}.stack = {name!r}: allowed: a stack name of lowercase letters, digits and "
                    "hyphens (it names the workflow's jobs)"
                )
            if name in entries:
                raise ManifestError(f"{source}: {where}.stack = {name!r}: a stack is named once in the manifest")
            entries[name] = (kind, item)
    if not any(kind == "image" for kind, _ in entries.values()):
        raise ManifestError(f"{source}: imageStacks is empty: a fleet needs at least one image stack")
    return entries


def _unknown(source: str, where: str, item: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(map(str, item)) - allowed)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ManifestError(
            f"{source}: {prefix}{unknown[0]} is not a manifest key; allowed: {', '.join(sorted(allowed))}"
        )


def _stack(
    source: str, name: str, kind: str, item: Mapping[str, Any], entries: Mapping[str, Any], read_config: Any
) -> FleetStack:
    where = f"{source}: stack {name}"
    subscription = item.get("subscription")
    if not isinstance(subscription, str) or not _GUID.match(subscription):
        raise ManifestError(f"{where}: subscription = {subscription!r}: allowed: an Azure subscription id (a GUID)")
    region = item.get("region")
    if not isinstance(region, str) or region not in AZURE_REGIONS:
        raise ManifestError(f"{where}: region = {region!r}: allowed: an Azure region name such as westeurope")
    refs = _references(where, kind, item, entries)
    config_file, config = _config(where, item, region, read_config)
    policy = item.get("policyPackConfig")
    if policy is not None and not isinstance(policy, str):
        raise ManifestError(f"{where}: policyPackConfig = {policy!r}: allowed: a policy pack config file's path")
    return FleetStack(
        name=name,
        kind=kind,
        subscription=subscription,
        region=region,
        config_file=config_file,
        config=config,
        image=refs[0] if kind == "pools" else None,
        depends_on=tuple(refs) if kind == "image" else (),
        policy_pack_config=policy,
    )


def _references(where: str, kind: str, item: Mapping[str, Any], entries: Mapping[str, Any]) -> list[str]:
    """A pool stack's image, an image stack's dependsOn: image stacks of the manifest."""
    refs: list[str] = []
    if kind == "pools":
        image = item.get("image")
        refs = [image] if isinstance(image, str) else []
        if not refs:
            raise ManifestError(f"{where}: image = {image!r}: allowed: the name of an image stack in imageStacks")
    else:
        depends = item.get("dependsOn") or []
        if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
            raise ManifestError(f"{where}: dependsOn = {depends!r}: allowed: a list of image stack names")
        refs = list(depends)
    key = "image" if kind == "pools" else "dependsOn"
    for ref in refs:
        if ref not in entries:
            raise ManifestError(f"{where}: {key} names {ref!r}, a stack the manifest does not hold (unknown stack)")
        if entries[ref][0] != "image":
            raise ManifestError(f"{where}: {key} names {ref!r}, a pool stack: allowed: an image stack in imageStacks")
    return refs


def _config(where: str, item: Mapping[str, Any], region: str, read_config: Any) -> tuple[str, dict[str, Any]]:
    """The stack's config file and its config, its location the manifest's region."""
    config_file = item.get("config")
    if not isinstance(config_file, str) or not config_file:
        raise ManifestError(f"{where}: config = {config_file!r}: allowed: the path of its Pulumi.<stack>.yaml")
    try:
        config = read_config(config_file)
    except (OSError, yaml.YAMLError) as error:
        raise ManifestError(f"{where}: config = {config_file!r}: {error}") from error
    location = config.get("azure-native:location")
    if location is not None and location != region:
        raise ManifestError(
            f"{where}: region = {region!r} but its config {config_file} sets azure-native:location {location!r}: "
            "make them the same"
        )
    config["azure-native:location"] = region
    return config_file, config


def _order(source: str, stacks: Mapping[str, FleetStack]) -> list[FleetStack]:
    """Dependencies first (depth-first, in manifest order); ManifestError naming a cycle."""
    ordered: list[FleetStack] = []
    state: dict[str, str] = {}

    def visit(name: str, path: Sequence[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = [*path[path.index(name) :], name]
            raise ManifestError(f"{source}: a cycle: {' -> '.join(cycle)} (dependsOn): no stack could deploy first")
        state[name] = "visiting"
        for need in stacks[name].needs:
            visit(need, [*path, name])
        state[name] = "done"
        ordered.append(stacks[name])

    for name in stacks:
        visit(name, [])
    return ordered


def image_regions(stack: FleetStack) -> list[str]:
    """Where an image stack's versions are replicated: its region and image.replicas (components/settings.py)."""
    image = stack.config.get(f"{NAMESPACE}:image") or {}
    replicas = image.get("replicas") if isinstance(image, Mapping) else None
    regions = [stack.region]
    for replica in replicas if isinstance(replicas, list) else []:
        if isinstance(replica, Mapping) and isinstance(replica.get("region"), str) and replica["region"] not in regions:
            regions.append(replica["region"])
    return regions


def _check_pool_stack(fleet: Fleet, stack: FleetStack) -> None:
    where = f"{fleet.source}: stack {stack.name}"
    image_stack = fleet.stacks[stack.image or ""]
    image = stack.config.get(f"{NAMESPACE}:image") or {}
    expected = fleet.full_name(image_stack.name)
    if not isinstance(image, Mapping) or image.get("source") != "stack" or image.get("fromStack") != expected:
        raise ManifestError(
            f"{where}: its config {stack.config_file} must set {NAMESPACE}:image.source stack and "
            f"image.fromStack {expected} (the manifest's image {image_stack.name})"
        )
    regions = image_regions(image_stack)
    if stack.region not in regions:
        raise ManifestError(
            f"{where}: region {stack.region}, which its image stack {image_stack.name} does not replicate to "
            f"({', '.join(regions)}): add {{region: {stack.region}, count: 1}} to {NAMESPACE}:image.replicas in "
            f"{image_stack.config_file}"
        )
