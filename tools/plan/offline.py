"""Run the program (`__main__.py`) offline under Pulumi mocks whose outputs look like Azure's, and record everything.

The same engine interface `pulumi up` uses, minus the cloud: the program's real SDK serialization goes through a
recording `MockMonitor`, and each registered resource comes back as a `RegisteredResource` (type token, name, URN,
the inputs exactly as the SDK sent them, the mock's outputs, parent and dependencies). Records are sorted by URN and
their dependencies sorted: the program registers from concurrent tasks, in an order that varies between runs.
The offline plan (tools/plan/cli.py), the policy runner and the tests all use this one harness.

Mocked outputs follow Azure's shapes: ARM ids built from the resource's names (the paths are in
tools/plan/catalog.py), auto-names with a suffix, blob and Batch endpoints, Key Vault URIs, and for the capture step
and the pool drains the outputs their providers would return.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import os
import re
import runpy
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings

from components.canary.resource import CANARY_TYPE, LATEST_TYPE
from components.capture.resource import CAPTURE_TYPE
from components.capture.spec import expected_outputs
from components.common.project import NAMESPACE, PROJECT_ROOT
from components.pool_drain.resource import DRAIN_TYPE
from components.pool_drain.spec import drain_resource_id
from tools.plan import catalog

STACK_TYPE = "pulumi:pulumi:Stack"
_CONFIG_PREFIX = f"{NAMESPACE}:"  # config keys without a namespace belong to the project (its name, in Pulumi.yaml)

# The identity the mocked Azure reports (azure-native:authorization:getClientConfig and the Batch principal lookup).
SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001"
TENANT_ID = "00000000-0000-4000-8000-000000000002"
DEPLOYER_OBJECT_ID = "00000000-0000-4000-8000-000000000003"
BATCH_PRINCIPAL_OBJECT_ID = "00000000-0000-4000-8000-0000000000ba"
# What the mocked pulumi-random provider draws for a generated password (the Windows builder's).
MOCKED_PASSWORD = "Mocked-password-0!"
# The marketplace's current version of every base image, as the mocked lookup reports it (baseImage.version latest).
MARKETPLACE_VERSION = "24.04.202611200"
# The node-minutes a passing mocked canary reports (a typical boot, start task and marker check; tools/plan/report.py
# estimates its own figure from the settings).
MOCKED_CANARY_NODE_MINUTES = 9.0


@dataclass
class RegisteredResource:
    """One resource as the engine would see it (the record tools/plan/policy_runner.py reads)."""

    typ: str
    name: str
    urn: str
    inputs: dict[str, Any]  # deserialized RegisterResource inputs: secrets stay wrapped, unknowns are sentinels
    outputs: dict[str, Any]  # what the (mocked) provider returned
    parent: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    custom: bool
    options: dict[str, Any] = field(default_factory=dict)
    resource_id: str = ""  # the (mocked) provider's id; "" for components


@dataclass
class ProgramRun:
    resources: list[RegisteredResource]
    outputs: dict[str, Any]
    config: dict[str, Any]
    stack_outputs: dict[str, Any] = field(default_factory=dict)  # the last update's outputs the run read back

    def of_type(self, typ: str) -> list[RegisteredResource]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> RegisteredResource:
        found = self.of_type(typ)
        if len(found) != 1:
            raise AssertionError(f"expected one {typ}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> RegisteredResource:
        return next(r for r in self.resources if r.urn == urn)


# --- stack configuration -------------------------------------------------------------------------------------------


def load_stack_config(stack: str, project_root: Path = PROJECT_ROOT, stack_file: Path | None = None) -> dict[str, Any]:
    """Pulumi.yaml project defaults overlaid with Pulumi.<stack>.yaml (or `stack_file`), keys namespaced."""
    project_file = yaml.safe_load((project_root / "Pulumi.yaml").read_text()) or {}
    config: dict[str, Any] = {}
    for key, spec in (project_file.get("config") or {}).items():
        full_key = key if ":" in key else _CONFIG_PREFIX + key
        if isinstance(spec, Mapping):
            if "value" in spec:
                config[full_key] = spec["value"]
            elif "default" in spec:
                config[full_key] = spec["default"]
        else:
            config[full_key] = spec
    stack_path = stack_file or project_root / f"Pulumi.{stack}.yaml"
    if not stack_path.is_file():
        raise FileNotFoundError(f"no stack file {stack_path} (create it with `pulumi stack init {stack}`)")
    stack_document = yaml.safe_load(stack_path.read_text()) or {}
    config.update(stack_document.get("config") or {})
    return config


def merge_config(base: Mapping[str, Any], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Deep-merge overrides (keys with or without the project namespace; dicts merge, lists and scalars replace)."""
    merged = copy.deepcopy(dict(base))
    for key, value in (overrides or {}).items():
        full_key = key if ":" in key else _CONFIG_PREFIX + key
        merged[full_key] = _deep_merge(merged.get(full_key), value)
    return merged


def _deep_merge(base: Any, override: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        out = dict(base)
        for key, value in override.items():
            out[key] = _deep_merge(base.get(key), value)
        return out
    return copy.deepcopy(override)


# --- Azure-shaped mocks --------------------------------------------------------------------------------------------

# Gallery names may not hold hyphens: an auto-name for one uses letters and digits only.
_ALNUM_AUTONAME = {"azure-native:compute:Gallery"}


def _suffix(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _autoname(typ: str, name: str) -> str:
    base = name.replace("-", "") if typ in _ALNUM_AUTONAME else name
    return f"{base}{_suffix(typ + name)}"


class AzureMocks(pulumi.runtime.Mocks):
    """Outputs shaped like Azure's: inputs echoed, plus ids, names and endpoints computed the way ARM does.

    With `preview`, like the engine planning a create: inputs stay known, everything Azure computes is unknown.
    """

    def __init__(
        self,
        location: str,
        preview: bool = False,
        stack_outputs: Mapping[str, Any] | None = None,
        other_stacks: Mapping[str, Mapping[str, Any]] | None = None,
        canary_failure: str | None = None,
    ):
        self.location = location
        # The canary's answer: passed, or failed with this message (the provider's `failure` output).
        self.canary_failure = canary_failure
        self.preview = preview
        # The outputs of the stack's last update, as the program's reference to its own stack reads them.
        self.stack_outputs = dict(stack_outputs or {})
        # Other stacks' outputs by full name (<organization>/<project>/<stack>): a pool stack's image stack.
        self.other_stacks = {name: dict(outputs) for name, outputs in (other_stacks or {}).items()}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":  # a read: known in a preview too
            # Another stack's outputs when given; a stack not given reads as one without outputs (the program then
            # says it has published nothing). The engine fails a reference to a stack that does not exist.
            name = args.resource_id or ""
            own = name.split("/")[-1] == pulumi.get_stack() and name not in self.other_stacks
            outputs = self.stack_outputs if own else self.other_stacks.get(name, {})
            return args.resource_id, {"name": args.resource_id, "outputs": outputs, "secretOutputNames": []}
        resource_id, outputs = self._created(args)
        if not self.preview:
            return resource_id, outputs
        return "", {k: (v if k in args.inputs else rpc.UNKNOWN) for k, v in outputs.items()}

    def _created(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        outputs = dict(args.inputs)
        typ = args.typ
        if typ.startswith("pulumi-python:dynamic"):
            outputs.pop("__provider", None)
            if typ == CAPTURE_TYPE:
                outputs.update(_capture_outputs(args.inputs))
            if typ == DRAIN_TYPE:  # its provider returns its inputs, under the id spec.drain_resource_id gives
                return drain_resource_id(args.inputs), outputs
            if typ == CANARY_TYPE:
                outputs.update(_canary_outputs(args.name, args.inputs, self.canary_failure))
            if typ == LATEST_TYPE:  # every version but latest_version excluded, as its provider leaves Azure
                latest = args.inputs.get("latest_version")
                outputs["excluded"] = [v for v in args.inputs.get("versions", []) if v != latest]
            return f"{args.name}-capture", outputs
        if typ == "random:index/randomPassword:RandomPassword":  # the SDK marks result secret itself
            outputs["result"] = MOCKED_PASSWORD
            return f"{args.name}-password", outputs
        if typ == "tls:index/privateKey:PrivateKey":
            outputs["publicKeyOpenssh"] = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDmockedkey builder\n"
            outputs["privateKeyPem"] = pulumi.Output.secret("-----BEGIN RSA PRIVATE KEY-----mocked")
            return f"{args.name}-key", outputs
        if typ == "azure-native:resources:ResourceGroup":
            rg_name = args.inputs.get("resourceGroupName") or _autoname(typ, args.name)
            outputs.update(name=rg_name, resourceGroupName=rg_name)
            return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg_name}", outputs
        if typ == "azure-native:authorization:RoleAssignment":
            ra_name = args.inputs.get("roleAssignmentName") or _guid_like(args.name)
            outputs["name"] = ra_name
            scope = args.inputs.get("scope", "")
            return f"{scope}/providers/Microsoft.Authorization/roleAssignments/{ra_name}", outputs
        arm = catalog.arm_path(typ)
        if arm is not None:
            return self._arm_resource(args, outputs, *arm)
        return f"{args.name}-id", outputs

    def _arm_resource(
        self, args: pulumi.runtime.MockResourceArgs, outputs: dict[str, Any], template: str, name_key: str
    ) -> tuple[str, dict[str, Any]]:
        own_name = args.inputs.get(name_key) or _autoname(args.typ, args.name)
        values = {k: v for k, v in args.inputs.items() if isinstance(v, str)}
        values[name_key] = own_name
        path = template.format_map(_Default(values))
        rg = args.inputs.get("resourceGroupName", "rg")
        arm_id = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/{path}"
        outputs.update(name=own_name, id=arm_id)
        outputs.setdefault("location", self.location)
        outputs.update(_extra_outputs(args.typ, own_name, outputs, self.location))
        outputs.update(_identity_outputs(outputs))
        return arm_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        # (result, no failures): a None failure list would make the SDK raise TypeError.
        return self._invoke(args), []

    def _invoke(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        if args.token == "azure-native:authorization:getClientConfig":
            return {
                "subscriptionId": SUBSCRIPTION_ID,
                "tenantId": TENANT_ID,
                "objectId": DEPLOYER_OBJECT_ID,
                "clientId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            }
        if args.token == "azuread:index/getServicePrincipal:getServicePrincipal":
            return {
                "objectId": BATCH_PRINCIPAL_OBJECT_ID,
                "clientId": args.args.get("clientId"),
                "displayName": "Microsoft Azure Batch",
                "id": f"/servicePrincipals/{BATCH_PRINCIPAL_OBJECT_ID}",
            }
        if args.token == "azure:compute/getPlatformImage:getPlatformImage":
            location, publisher, offer, sku = (args.args.get(k) for k in ("location", "publisher", "offer", "sku"))
            image_path = f"Publishers/{publisher}/ArtifactTypes/VMImage/Offers/{offer}/Skus/{sku}"
            return {
                **{k: args.args.get(k) for k in ("location", "publisher", "offer", "sku")},
                "version": MARKETPLACE_VERSION,
                "id": f"/Subscriptions/{SUBSCRIPTION_ID}/Providers/Microsoft.Compute/Locations/{location}/{image_path}"
                f"/Versions/{MARKETPLACE_VERSION}",
            }
        return {}


class _Default(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def _guid_like(seed: str) -> str:
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def _extra_outputs(typ: str, name: str, outputs: Mapping[str, Any], location: str) -> dict[str, Any]:
    if typ == "azure-native:storage:StorageAccount":
        return {"primaryEndpoints": {"blob": f"https://{name}.blob.core.windows.net/"}}
    if typ == "azure-native:keyvault:Vault":
        properties = dict(outputs.get("properties") or {})
        properties["vaultUri"] = f"https://{name}.vault.azure.net/"
        return {"properties": properties}
    if typ == "azure-native:batch:BatchAccount":
        return {"accountEndpoint": f"{name}.{outputs.get('location', location)}.batch.azure.com"}
    if typ == "azure-native:managedidentity:UserAssignedIdentity":  # Azure computes both ids and the tenant
        return {"clientId": _guid_like(f"client {name}"), "principalId": _guid_like(f"principal {name}"),
                "tenantId": TENANT_ID}  # fmt: skip
    return {}


def _identity_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """User-assigned identities as the provider returns them: the input's id list (pulumi-azure-native#1833) comes
    back as ARM's map of id -> {principalId, clientId}."""
    identity = outputs.get("identity")
    if not isinstance(identity, Mapping) or not isinstance(identity.get("userAssignedIdentities"), list):
        return {}
    ids = identity["userAssignedIdentities"]
    if not all(isinstance(i, str) for i in ids):  # an identity not created yet (preview): its ids are unknown
        return {"identity": {**identity, "userAssignedIdentities": rpc.UNKNOWN}}
    returned = {i: {"principalId": _guid_like(f"principal {i}"), "clientId": _guid_like(f"client {i}")} for i in ids}
    return {"identity": {**identity, "userAssignedIdentities": returned}}


def _capture_outputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """What the capture provider returns: computed by the capture's own contract (components/capture/spec.py)."""
    vm_id = str(inputs.get("vm_id", ""))
    vm_name = vm_id.rsplit("/", 1)[-1]
    rg_prefix = vm_id.split("/providers/")[0]
    os_disk_id = f"{rg_prefix}/providers/Microsoft.Compute/disks/{vm_name}_OsDisk_1"
    os_vhd_uri = f"{inputs.get('blob_endpoint', '')}builder-disks/{vm_name}-osdisk.vhd"
    outputs = expected_outputs(inputs, _guid_like(vm_id), os_disk_id, os_vhd_uri)
    return {**outputs, "generalized_time": "2026-01-01T00:00:00Z"}


def _canary_outputs(name: str, inputs: Mapping[str, Any], failure: str | None) -> dict[str, Any]:
    """What the canary provider returns (components/canary/resource.py ImageCanary): passed, or the failure message
    with the canary pool kept (its name in `pool_name`)."""
    pool_name = f"{name}-{str(inputs.get('image_version', '')).replace('.', '-')}-{_suffix(name, 6)}"
    outcome = {"passed": True, "failure": ""} if failure is None else {"passed": False, "failure": failure}
    return {**outcome, "pool_name": pool_name, "node_minutes": MOCKED_CANARY_NODE_MINUTES, "job_id": ""}


def _wire_unknowns(value: Any) -> Any:
    """Unknown values as the engine passes them on (the sentinel string), not as SDK `Unknown` objects."""
    if isinstance(value, pulumi.output.Unknown):
        return rpc.UNKNOWN
    if isinstance(value, Mapping):
        return {k: _wire_unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire_unknowns(v) for v in value]
    return value


def _alias_urns(request: Any, urn: str) -> list[str]:
    """The URNs a RegisterResource request's aliases stand for, computed as the engine does (pulumi/pulumi
    sdk/go/common/resource/alias.go `Alias.GetURN`): each spec's name, type, parent, stack and project default to
    the resource's own; a parent other than the stack prefixes its qualified type (`parent$type`)."""
    match = re.fullmatch(r"urn:pulumi:([^:]*)::([^:]*)::(.*)::([^:]*)", urn)
    if match is None:
        return []
    stack, project, qualified, name = match.groups()
    own_type = qualified.rsplit("$", 1)[-1]
    found = []
    for alias in request.aliases:
        if alias.WhichOneof("alias") == "urn":
            found.append(alias.urn)
            continue
        spec = alias.spec
        typ = spec.type or own_type
        parent = "" if spec.noParent else (spec.parentUrn or request.parent)
        parent_type = parent.split("::")[2] if parent.count("::") >= 3 else ""
        prefix = f"{parent_type}$" if parent_type and parent_type != STACK_TYPE else ""
        found.append(f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::{prefix}{typ}::{spec.name or name}")
    return found


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that keeps every RegisterResource request with the mock's response."""

    def __init__(self, mocks: pulumi.runtime.Mocks, records: list[RegisteredResource] | None = None):
        super().__init__(mocks)
        self.records: list[RegisteredResource] = [] if records is None else records

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the engine makes them (pulumi/pulumi sdk/go/common/resource/urn.go `NewURN`): a child of the stack
        has its own type, a deeper resource its parent's whole qualified type before its own (`comp$type`). The SDK's
        MockMonitor puts `pulumi:pulumi:Stack$` before stack children and only the parent's last type before others,
        which no real `pulumi stack export` holds."""
        if parent:
            qualified = parent.split("::")[2]
            if qualified != STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.records.append(
                RegisteredResource(
                    typ=request.type,
                    name=request.name,
                    urn=response.urn,
                    inputs=_wire_unknowns(rpc.deserialize_properties(request.object, keep_unknowns=True)),
                    outputs=_wire_unknowns(rpc.deserialize_properties(response.object, keep_unknowns=True)),
                    parent=request.parent,
                    # The SDK gathers dependencies asynchronously: sorted, so two runs record the same lists.
                    dependencies=sorted(set(request.dependencies)),
                    property_dependencies={
                        key: sorted(set(request.propertyDependencies[key].urns))
                        for key in sorted(request.propertyDependencies)
                    },
                    custom=request.custom,
                    resource_id=response.id,
                    options={
                        "deleteBeforeReplace": request.deleteBeforeReplace,
                        "replaceOnChanges": list(request.replaceOnChanges),
                        "ignoreChanges": list(request.ignoreChanges),
                        "additionalSecretOutputs": list(request.additionalSecretOutputs),
                        "protect": request.protect,
                        "retainOnDelete": request.retainOnDelete,
                        "provider": request.provider,  # "<provider urn>::<id>" when given explicitly
                        "aliases": _alias_urns(request, response.urn),
                    },
                )
            )
        return response


# --- running the program -------------------------------------------------------------------------------------------


def run_program(
    config_overrides: Mapping[str, Any] | None = None,
    *,
    stack: str = "dev",
    preview: bool = False,
    config: Mapping[str, Any] | None = None,
    project_root: Path = PROJECT_ROOT,
    records: list[RegisteredResource] | None = None,
    stack_outputs: Mapping[str, Any] | None = None,
    other_stacks: Mapping[str, Mapping[str, Any]] | None = None,
    canary_failure: str | None = None,
) -> ProgramRun:
    """Evaluate `__main__.py` for a stack's config (plus overrides) under Azure-shaped mocks.

    `config` replaces the stack file entirely (namespaced keys); otherwise Pulumi.yaml + Pulumi.<stack>.yaml are read.
    Exceptions from the program (a SettingsError for bad config) propagate unchanged; pass `records` to see what
    had been registered by then. `stack_outputs` are the outputs of the stack's last update (its record of published
    image versions among them): none, as for a new stack, unless given. `other_stacks` answers StackReferences to
    other stacks (full name -> outputs): a pool stack's image stack (components/image_stack.py). `canary_failure`:
    the mocked canary fails with this message (it passes otherwise).
    """
    full_config = dict(config) if config is not None else load_stack_config(stack, project_root)
    full_config = merge_config(full_config, config_overrides)
    location = str(full_config.get("azure-native:location", "westeurope"))

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    settings.ROOT.set(None)  # a fresh root Stack for every run
    mocks = AzureMocks(location, preview, stack_outputs, other_stacks, canary_failure)
    monitor = RecordingMonitor(mocks, records)
    pulumi.runtime.set_mocks(mocks, project=NAMESPACE, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in full_config.items()})
    settings.ROOT.set(None)  # set_mocks made a root Stack of its own; run_in_stack below makes the program's

    root = str(project_root)
    if root not in sys.path:
        sys.path.insert(0, root)

    stacks: list[Any] = []

    def _program() -> None:
        stacks.append(settings.get_root_resource())  # set in run_in_stack's task context, not visible out here
        previous = os.getcwd()
        os.chdir(root)  # the language host runs the program from its directory
        try:
            runpy.run_path(str(project_root / "__main__.py"), run_name="__main__")
        finally:
            os.chdir(previous)

    async def _exports() -> dict[str, Any]:
        exports: dict[str, Any] = dict(getattr(stacks[0], "outputs", {}) if stacks else {})  # pulumi.export()
        values = await asyncio.gather(*(pulumi.Output.from_input(v).future() for v in exports.values()))
        return dict(zip(exports, values, strict=True))

    try:
        # As the language host runs a program: the module, then the entrypoint it gave pulumi.run, in a Stack.
        loop.run_until_complete(pulumi.runtime.run_in_stack(_program))
        outputs = loop.run_until_complete(_exports())
    finally:
        pulumi.runtime.set_all_config({})
        # A run that failed inside an apply (the canary's CanaryFailed) leaves tasks of this loop in the runtime's
        # bookkeeping, which the next run would wait for on a closed loop: each run starts with none.
        settings.SETTINGS.outputs.clear()
        settings.SETTINGS.rpc_manager.clear()
        loop.close()
    # The program registers resources from concurrent tasks, in an order that varies from run to run: the records are
    # sorted by URN (unique in a stack) so that everything derived from them is the same on every run.
    monitor.records.sort(key=lambda r: r.urn)
    return ProgramRun(
        resources=monitor.records, outputs=outputs, config=full_config, stack_outputs=dict(stack_outputs or {})
    )
