"""A local HTTPS fake of Batch, on 127.0.0.1 with trustme certificates: the data-plane operations `tools.smoke` calls
(api-version 2025-06-01) and the management-plane (ARM, api-version 2024-07-01) pool operations the pool drain calls,
both on one pool state, so a job submitted on the data plane during a drain behaves as in Batch.

Data plane: GET /supportedimages (paged), GET /pools/{id}, GET /pools/{id}/nodes, POST /jobs, GET/DELETE /jobs/{id},
POST /jobs/{id}/tasks, GET /jobs/{id}/tasks/{task}, GET /jobs/{id}/tasks/{task}/files/{name}; POST
/pools/{id}/resize, /disableautoscale, /stopresize, PATCH /pools/{id} and DELETE /pools/{id}.
Management plane, under /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Batch/batchAccounts/{acct}:
GET/PATCH/DELETE pools/{pool}, POST pools/{pool}/disableAutoScale and /stopResize, GET poolOperationResults/{op} (the
LRO `Location` of a DELETE); and GET /subscriptions and GET /subscriptions/{sub}/providers/Microsoft.Batch/batchAccounts
(how a drain record without the pool's ARM id finds its account). Response bodies follow the spec examples in
fakes/data/batch (see SOURCE.md there).

Batch's rules the fake enforces (each traced):
- a resize timeout under 5 minutes is refused with 400 (data plane `BatchPoolResizeOptions.resizeTimeout`: "The
  minimum value is 5 minutes. If you specify a value less than 5 minutes, the Batch service returns an error; if you
  are calling the REST API directly, the HTTP status code is 400"; the same for ARM `fixedScale.resizeTimeout`);
- a resize of a pool that is resizing or stopping is a 409 `PoolBeingResized`; of an autoscaled pool a 409
  `AutoScalingEnabled` (`begin_resize_pool` docstring, azure-batch 15.1.0);
- a stop-resize moves the pool to allocation state `stopping`, then `steady` ("During the stop operation, the Pool
  allocation state changes first to stopping and then to steady", `begin_stop_pool_resize`);
- a resize up grows the pool: new nodes join after `FakePool.grow_seconds`;
- an update in place (ARM PATCH, data-plane PATCH) of anything but applicationPackages, certificates, metadata,
  scaleSettings and startTask (the data plane's names: applicationPackageReferences, certificateReferences, metadata,
  startTask) is refused while the pool has nodes ("Update Batch pool properties",
  learn.microsoft.com/azure/batch/batch-pool-update-properties: "all other updatable pool properties require the pool
  to be of size zero nodes to be accepted as part of the request"). The docs give the rule, not the error: the 409
  `PoolNotEmpty` is this fake's own name;
- `Scenario.data_plane_closed`: every data-plane request gets 403 `AuthorizationFailure`, as an account with
  `publicNetworkAccess: Disabled` or IP rules that don't list the caller answers; ARM still answers;
- `Scenario.data_plane_denied_first`: the first N data-plane requests get the same 403, as for a caller whose new
  role assignment has not reached Batch yet ("Troubleshoot Azure RBAC", learn.microsoft.com/azure/
  role-based-access-control/troubleshooting: when you assign roles "it can take up to 10 minutes for changes to take
  effect"); the code Batch answers meanwhile is not documented, this fake reuses `AuthorizationFailure`;
- ARM Pool - Create (PUT, the canary's) refuses with 400 what the spec refuses (`_refused_pool_body`); the pool it
  creates is `Scenario.created_pool` under the new id, with one node per targeted node;
- `Scenario.arm_denied`: ARM answers 403 `AuthorizationFailed` naming the action (Microsoft.Batch/batchAccounts/pools/
  read, write, delete; disableAutoScale and stopResize are `.../pools/<name>/action`) for the actions listed;
- `Scenario.arm_throttled`: ARM answers 429 `TooManyRequests` with `Retry-After: 60` for the actions listed
  ("Understand how Azure Resource Manager throttles requests", learn.microsoft.com/azure/azure-resource-manager/
  management/request-limits-and-throttling: a throttled request gets 429 and a Retry-After in seconds).

Two clocks. A smoke pool's simulated time advances per request, not per second: the n-th GET of a pool (or of its
nodes) returns the n-th entry of the scenario's sequence, so a pool "boots" in a few polls. A pool with `task_seconds`
(the drain tests) lives in wall-clock time instead: its nodes are up, a task takes a free node and runs that many
seconds, a resize down with `taskcompletion` removes each node once its task is done (and schedules nothing new on
the pool), `requeue`/`terminate` and a pool delete stop what runs at once (recorded in `FakeBatch.stopped_tasks`).
The check task really runs: its command line is executed with /bin/sh, with /opt/batch-image/ pointing at a scratch
directory that holds the scenario's marker.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from components.common.iso_duration import duration_seconds
from components.common.loopback import TEST_PRINCIPAL_OBJECT_ID as TEST_PRINCIPAL
from fakes.tls import LoopbackHttpsServer
from fakes.tokens import accepts_test_token

DATA = Path(__file__).resolve().parent / "data" / "batch"
API_VERSION = "2025-06-01"
ARM_API_VERSION = "2024-07-01"  # the management-plane spec the drain is written against
SUBSCRIPTIONS_API_VERSION = "2022-12-01"  # GET /subscriptions (Microsoft.Resources subscriptions)
SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
RESOURCE_GROUP = "rg-batch"
ACCOUNT = "acct"
ACCOUNT_ENDPOINT = "acct.westeurope.batch.azure.com"
ACCOUNT_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Batch/batchAccounts/{ACCOUNT}"
)
MIN_RESIZE_TIMEOUT_SECONDS = 300
# What Batch updates in place on a pool with nodes (batch-pool-update-properties, API 2024-07-01 and later): ARM
# property names, and the data plane's for the same things.
IN_PLACE_WITH_NODES = {"applicationPackages", "certificates", "metadata", "scaleSettings", "startTask"}
DATA_IN_PLACE_WITH_NODES = {"applicationPackageReferences", "certificateReferences", "metadata", "startTask"}
PAGE_SIZE = 2
ALLOCATED_AT = datetime(2026, 11, 26, 7, 0, 0, tzinfo=UTC)
MARKER_DIR = "/opt/batch-image/"
# The audience of an Entra ID token for the Batch data plane (the SDK asks for https://batch.core.windows.net//.default).
BATCH_AUDIENCE = "https://batch.core.windows.net/"


def _authorized(auth: str) -> bool:
    """A bearer JWT for the Batch audience, not expired (the unsigned test tokens of components.common.loopback)."""
    return accepts_test_token(auth, BATCH_AUDIENCE)


def _example(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def _status(name: str) -> int:
    """The success status of a spec example (e.g. 202 for a pool resize)."""
    return int(next(iter(_example(name)["responses"])))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def supported_image(sku: str, end_of_life: str | None = None) -> dict[str, Any]:
    """An entry shaped like the example's first image, for another node agent SKU."""
    entry = copy.deepcopy(
        _example("BatchData_Account_ListSupportedImages.json")["responses"]["200"]["body"]["value"][0]
    )
    entry["nodeAgentSKUId"] = sku
    entry["osType"] = "windows" if "windows" in sku else "linux"
    entry.pop("batchSupportEndOfLife", None)
    if end_of_life:
        entry["batchSupportEndOfLife"] = end_of_life
    return entry


def default_supported_images() -> list[dict[str, Any]]:
    """The example's images plus the SKUs this project supports (ubuntu 22.04 ends 2027-06-30)."""
    images = _example("BatchData_Account_ListSupportedImages.json")["responses"]["200"]["body"]["value"]
    return [
        *images,
        supported_image("batch.node.ubuntu 24.04"),
        supported_image("batch.node.ubuntu 22.04", "2027-06-30T00:00:00.0Z"),
        supported_image("batch.node.el 9"),
        supported_image("batch.node.windows amd64"),
    ]


@dataclass
class FakeNode:
    id: str
    states: list[str]  # state returned by the n-th node listing; the last one sticks
    boot_seconds: int = 95  # simulated allocation -> idle time
    errors: list[dict[str, Any]] = field(default_factory=list)  # reported once unusable
    # set for a start task that fails: the node ends `starttaskfailed` (waitForSuccess true) or, when its states end
    # `idle`, is idle with the failed start task (waitForSuccess false: Batch `StartTask.waitForSuccess`)
    start_task_exit_code: int | None = None
    start_task_stderr: str = ""  # the node's startup/stderr.txt (the start task's error output)


@dataclass
class FakePool:
    pool_id: str
    nodes: list[FakeNode]
    allocation_states: list[str] = field(default_factory=lambda: ["resizing", "steady"])
    node_agent_sku_id: str = "batch.node.ubuntu 24.04"
    marker: str | None = "1.0.0\n"  # content of /opt/batch-image/VERSION on the nodes; None: no marker
    task_polls: int = 1  # GETs of the task that still answer "running"
    resize_errors: list[dict[str, Any]] = field(default_factory=list)
    reject_tasks: bool = False  # answer task creation with 400 (e.g. a malformed command line)
    # More pool GET properties (networkConfiguration, identity, ...; virtualMachineConfiguration merged key by key),
    # e.g. from fakes/data/batch/BatchData_Pool_Get_PrivateNetwork.json.
    properties: dict[str, Any] = field(default_factory=dict)
    # -- the wall-clock model of the drain tests (used when task_seconds > 0) --
    task_seconds: float = 0.0  # how long a task runs on a node
    enable_auto_scale: bool = False
    delete_seconds: float = 0.3  # a deleted pool is listed (state deleting) this long before it is gone
    metadata: list[dict[str, str]] = field(default_factory=list)
    state: str = "active"
    resize: dict[str, Any] | None = None  # the last resize request's body while it is under way
    target: tuple[int, int] | None = None  # (dedicated, low-priority) targets once resized; None: one per node
    removed: set[str] = field(default_factory=set)  # nodes that left the pool
    deleted_at: float | None = None  # time.monotonic() of the DELETE
    stopping_until: float | None = None  # a stop-resize leaves the pool `stopping` until then
    stop_seconds: float = 0.3
    grow_seconds: float = 0.3  # a resize up adds its nodes this long after it was accepted
    grown_at: float | None = None
    busy: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # node -> (job, task, ends at)
    arm_body: dict[str, Any] | None = None  # the ARM PUT body a pool created through ARM was created with

    @property
    def live(self) -> bool:
        return self.task_seconds > 0

    def live_nodes(self) -> list[FakeNode]:
        return [n for n in self.nodes if n.id not in self.removed]

    def running_on(self, node: FakeNode, now: float) -> bool:
        return node.id in self.busy and self.busy[node.id][2] > now

    def allocation_state(self) -> str:
        if self.stopping_until is not None and time.monotonic() < self.stopping_until:
            return "stopping"
        return "resizing" if self.resize is not None else "steady"

    @property
    def arm_id(self) -> str:
        return f"{ACCOUNT_ID}/pools/{self.pool_id}"


@dataclass
class Scenario:
    pools: list[FakePool]
    supported_images: list[dict[str, Any]] = field(default_factory=default_supported_images)
    forbid_jobs: bool = False  # the caller may read pools but not create jobs (no Job Submitter role)
    forbid_pools: bool = False  # the caller may not read pools (an IP rule or no data-plane role): 403 on GET
    data_plane_closed: bool = False  # publicNetworkAccess Disabled / IP rules without the caller: 403 on every call
    arm_denied: set[str] = field(default_factory=set)  # ARM actions the caller's role lacks: 403 AuthorizationFailed
    arm_throttled: set[str] = field(default_factory=set)  # ARM actions answered 429 with a minute's Retry-After
    # What a pool created by ARM PUT becomes: this pool's nodes (their state sequences, errors, start task), marker
    # and task polls, under the new pool's id; None: a PUT is answered 404 (no fake for it).
    created_pool: FakePool | None = None
    data_plane_denied_first: int = 0  # the first N data-plane requests get 403 (a role assignment propagating)


@dataclass
class FakeJob:
    id: str
    pool_id: str
    body: dict[str, Any]
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: bool = False


class FakeBatch:
    """Scenario state plus the request log; the HTTP handler reads and updates it under a lock."""

    def __init__(self, scenario: Scenario, workdir: Path) -> None:
        self.scenario = scenario
        self.workdir = workdir
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        self.jobs: dict[str, FakeJob] = {}
        self.pool_reads: dict[str, int] = {}
        self.node_reads: dict[str, int] = {}
        self.task_reads: dict[tuple[str, str], int] = {}
        self.bodies: list[tuple[str, str, dict[str, Any]]] = []  # (method, path, JSON body) of POST and PATCH
        self.stopped_tasks: list[tuple[str, str]] = []  # (job, task) stopped before their end: requeued
        self.base_url = ""
        self.data_plane_denied = 0  # 403s answered so far under Scenario.data_plane_denied_first

    # -- helpers for tests --------------------------------------------------------------------------------------
    def calls(self, method: str, prefix: str) -> list[str]:
        return [path for m, path in self.requests if m == method and path.startswith(prefix)]

    def pool(self, pool_id: str) -> FakePool | None:
        """The pool as Batch lists it: None once a deleted pool is gone."""
        pool = next((p for p in self.scenario.pools if p.pool_id == pool_id), None)
        gone_at = None if pool is None or pool.deleted_at is None else pool.deleted_at + pool.delete_seconds
        if gone_at is not None and time.monotonic() >= gone_at:
            return None
        return pool

    def bodies_of(self, method: str, path: str) -> list[dict[str, Any]]:
        return [body for m, p, body in self.bodies if m == method and p == path]

    # -- the wall-clock model -----------------------------------------------------------------------------------
    def settle(self, pool: FakePool) -> None:
        """Nodes leave a pool resized down: at once, or under taskcompletion once their task has ended. A pool
        resized up gets its new nodes `grow_seconds` after the resize."""
        if pool.stopping_until is not None and time.monotonic() >= pool.stopping_until:
            pool.stopping_until = None
        if pool.resize is None:
            return
        now = time.monotonic()
        target = sum(pool.target or (0, 0))
        if len(pool.live_nodes()) < target:
            if pool.grown_at is not None and now >= pool.grown_at:
                for _ in range(target - len(pool.live_nodes())):
                    pool.nodes.append(FakeNode(f"{pool.pool_id}-node{len(pool.nodes)}", ["idle"]))
                pool.resize = pool.grown_at = None
            return
        option = str(pool.resize.get("nodeDeallocationOption", "")).lower()
        wait_for_tasks = option in ("taskcompletion", "retaineddata")
        for node in pool.live_nodes():
            if len(pool.live_nodes()) <= target:
                break
            if pool.running_on(node, now):
                if wait_for_tasks:
                    continue
                self.stop_task(pool, node)
            pool.removed.add(node.id)
            pool.busy.pop(node.id, None)
        if len(pool.live_nodes()) <= target:
            pool.resize = None

    def stop_task(self, pool: FakePool, node: FakeNode) -> None:
        job_id, task_id, _ = pool.busy.pop(node.id)
        self.stopped_tasks.append((job_id, task_id))
        self.jobs[job_id].tasks[task_id]["_requeued"] = True

    def schedule(self, pool: FakePool, job: FakeJob, task: dict[str, Any]) -> None:
        """A free node of an active pool that is not shrinking takes the task; otherwise it waits (state active)."""
        now = time.monotonic()
        self.settle(pool)
        if pool.state != "active" or pool.resize is not None:
            return
        node = next((n for n in pool.live_nodes() if not pool.running_on(n, now)), None)
        if node is not None:
            pool.busy[node.id] = (job.id, task["id"], now + pool.task_seconds)
            task.update(_node=node.id, _started=now, _ends=now + pool.task_seconds)

    # -- pool operations shared by the data plane and ARM: (status, code, message) of a refusal, or None ----------
    def resize(self, pool: FakePool, body: dict[str, Any]) -> tuple[int, str, str] | None:
        """A resize (data-plane body or ARM fixedScale, same names) of a pool that is not being deleted."""
        self.settle(pool)
        timeout = body.get("resizeTimeout", "PT15M")
        try:
            too_short = duration_seconds(timeout) < MIN_RESIZE_TIMEOUT_SECONDS
        except ValueError:
            too_short = True
        if too_short:
            return 400, "InvalidPropertyValue", f"resizeTimeout {timeout!r}: the minimum value is 5 minutes"
        if pool.enable_auto_scale:
            return 409, "AutoScalingEnabled", "The specified pool has automatic scaling enabled."
        if pool.allocation_state() != "steady":
            return 409, "PoolBeingResized", "The specified pool is already being resized."
        pool.resize = dict(body)
        pool.target = (int(body.get("targetDedicatedNodes", 0)), int(body.get("targetLowPriorityNodes", 0)))
        pool.grown_at = time.monotonic() + pool.grow_seconds
        self.settle(pool)
        return None

    def stop_resize(self, pool: FakePool) -> None:
        self.settle(pool)
        if pool.resize is not None:
            pool.resize = pool.grown_at = None
            pool.target = (len(pool.live_nodes()), 0)
            pool.stopping_until = time.monotonic() + pool.stop_seconds

    def delete_pool(self, pool: FakePool) -> None:
        now = time.monotonic()
        for node in pool.live_nodes():  # running tasks are terminated and requeued
            if pool.running_on(node, now):
                self.stop_task(pool, node)
        pool.state, pool.deleted_at = "deleting", now

    def refused_with_nodes(self, pool: FakePool, keys: set[str], allowed: set[str]) -> tuple[int, str, str] | None:
        """An update in place of a property Batch changes only on an empty pool, while the pool has nodes."""
        self.settle(pool)
        blocked = sorted(keys - allowed)
        if blocked and (pool.live_nodes() or pool.allocation_state() != "steady"):
            return 409, "PoolNotEmpty", f"{', '.join(blocked)} can only be updated when the pool has no nodes"
        return None

    def create_pool(self, pool_id: str, body: dict[str, Any]) -> tuple[int, str, str] | FakePool:
        """Pool - Create (ARM PUT, 2024-07-01) of a new pool: the scenario's `created_pool` under this id, with one node
        per targeted node (`fixedScale`), or the refusal of a body the spec rejects."""
        refused = _refused_pool_body(pool_id, body)
        if refused:
            return refused
        template = self.scenario.created_pool
        if template is None:
            return 404, "NotFound", "no created_pool in this fake's scenario"
        fixed = body["properties"].get("scaleSettings", {}).get("fixedScale", {})
        count = int(fixed.get("targetDedicatedNodes", 0)) + int(fixed.get("targetLowPriorityNodes", 0))
        nodes = [
            dataclasses.replace(node, id=f"tvmps_{pool_id}_{i}")
            for i, node in enumerate((template.nodes * count)[:count] if template.nodes else [])
        ]
        pool = dataclasses.replace(
            copy.deepcopy(template),
            pool_id=pool_id,
            nodes=nodes,
            metadata=list(body["properties"].get("metadata") or []),
            arm_body=copy.deepcopy(body),
        )
        self.scenario.pools = [p for p in self.scenario.pools if p.pool_id != pool_id] + [pool]
        return pool

    def deny_data_plane(self) -> bool:
        """True while the first `data_plane_denied_first` data-plane requests are being refused."""
        if self.data_plane_denied < self.scenario.data_plane_denied_first:
            self.data_plane_denied += 1
            return True
        return False

    # -- resource bodies ----------------------------------------------------------------------------------------
    def pool_body(self, pool: FakePool) -> dict[str, Any]:
        reads = self.pool_reads.get(pool.pool_id, 0)
        self.pool_reads[pool.pool_id] = reads + 1
        if pool.live:
            return self.live_pool_body(pool)
        allocation = pool.allocation_states[min(reads, len(pool.allocation_states) - 1)]
        spec = copy.deepcopy(_example("BatchData_Pool_Add_VirtualMachineConfiguration.json")["parameters"]["pool"])
        spec.update(
            id=pool.pool_id,
            url=f"{self.base_url}/pools/{pool.pool_id}",
            eTag="0x8D45765A6A2DC04",
            lastModified=_iso(ALLOCATED_AT),
            creationTime=_iso(ALLOCATED_AT - timedelta(minutes=2)),
            state="active",
            stateTransitionTime=_iso(ALLOCATED_AT),
            allocationState=allocation,
            allocationStateTransitionTime=_iso(ALLOCATED_AT),
            targetDedicatedNodes=len(pool.nodes),
            targetLowPriorityNodes=0,
            currentDedicatedNodes=len(pool.nodes) if allocation == "steady" else 0,
            currentLowPriorityNodes=0,
            enableInterNodeCommunication=False,
        )
        spec["virtualMachineConfiguration"] = {
            "imageReference": {
                "virtualMachineImageId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg"
                "/providers/Microsoft.Compute/galleries/gallery/images/app-node/versions/1.0.0"
            },
            "nodeAgentSKUId": pool.node_agent_sku_id,
        }
        extra = copy.deepcopy(pool.properties)
        spec["virtualMachineConfiguration"].update(extra.pop("virtualMachineConfiguration", {}))
        spec.update(extra)
        if allocation == "steady" and pool.resize_errors:
            spec["resizeErrors"] = pool.resize_errors
        return spec

    def live_pool_body(self, pool: FakePool) -> dict[str, Any]:
        """The spec example's pool (fakes/data/batch/BatchData_Pool_Get_Basic.json) in the pool's current state."""
        self.settle(pool)
        body = copy.deepcopy(_example("BatchData_Pool_Get_Basic.json")["responses"]["200"]["body"])
        dedicated, low_priority = pool.target if pool.target is not None else (len(pool.nodes), 0)
        body.update(
            id=pool.pool_id,
            url=f"{self.base_url}/pools/{pool.pool_id}",
            state=pool.state,
            allocationState=pool.allocation_state(),
            enableAutoScale=pool.enable_auto_scale,
            targetDedicatedNodes=dedicated,
            targetLowPriorityNodes=low_priority,
            currentDedicatedNodes=len(pool.live_nodes()),
            currentLowPriorityNodes=0,
            metadata=pool.metadata,
        )
        body["virtualMachineConfiguration"]["nodeAgentSKUId"] = pool.node_agent_sku_id
        if pool.enable_auto_scale:
            body["autoScaleFormula"] = "$TargetDedicatedNodes = 2;"
        return body

    def arm_pool_body(self, pool: FakePool) -> dict[str, Any]:
        """The management-plane pool (fakes/data/batch/Batch_Pool_Get.json's shape) in the pool's current state."""
        self.settle(pool)
        body = copy.deepcopy(_example("Batch_Pool_Get.json")["responses"]["200"]["body"])
        props = body["properties"]
        for key in ("networkConfiguration", "resizeOperationStatus", "userAccounts", "startTask", "autoScaleRun"):
            props.pop(key, None)
        dedicated, low_priority = pool.target if pool.target is not None else (len(pool.nodes), 0)
        if pool.enable_auto_scale:
            props["scaleSettings"] = {
                "autoScale": {"formula": "$TargetDedicatedNodes = 2;", "evaluationInterval": "PT5M"}
            }
        else:
            props["scaleSettings"] = {
                "fixedScale": {
                    "targetDedicatedNodes": dedicated,
                    "targetLowPriorityNodes": low_priority,
                    "resizeTimeout": (pool.resize or {}).get("resizeTimeout", "PT15M"),
                }
            }
        if pool.resize is not None:
            props["resizeOperationStatus"] = {
                "targetDedicatedNodes": dedicated,
                "targetLowPriorityNodes": low_priority,
                "resizeTimeout": pool.resize.get("resizeTimeout", "PT15M"),
                "nodeDeallocationOption": pool.resize.get("nodeDeallocationOption", "Requeue"),
                "startTime": _iso(ALLOCATED_AT),
            }
        allocation = pool.allocation_state()
        props.update(
            provisioningState="Deleting" if pool.state == "deleting" else "Succeeded",
            allocationState=allocation.capitalize(),
            currentDedicatedNodes=len(pool.live_nodes()),
            currentLowPriorityNodes=0,
            metadata=pool.metadata,
        )
        props["deploymentConfiguration"]["virtualMachineConfiguration"]["nodeAgentSkuId"] = pool.node_agent_sku_id
        if pool.arm_body is not None:  # a pool created through ARM reads back what it was created with
            created = pool.arm_body["properties"]
            props["vmSize"] = created.get("vmSize", props.get("vmSize"))
            props["deploymentConfiguration"] = copy.deepcopy(created["deploymentConfiguration"])
        body.update(id=pool.arm_id, name=pool.pool_id)
        return body

    def nodes_body(self, pool: FakePool) -> dict[str, Any]:
        reads = self.node_reads.get(pool.pool_id, 0)
        self.node_reads[pool.pool_id] = reads + 1
        template = _example("BatchData_ComputeNode_List.json")["responses"]["200"]["body"]["value"][0]
        value = []
        for node in pool.nodes:
            state = node.states[min(reads, len(node.states) - 1)]
            body = copy.deepcopy(template)
            body.update(
                id=node.id,
                url=f"{self.base_url}/pools/{pool.pool_id}/nodes/{node.id}",
                state=state,
                allocationTime=_iso(ALLOCATED_AT),
                stateTransitionTime=_iso(ALLOCATED_AT + timedelta(seconds=node.boot_seconds)),
                lastBootTime=_iso(ALLOCATED_AT + timedelta(seconds=30)),
            )
            body["startTask"]["commandLine"] = "/bin/sh -c 'echo start task'"
            if state == "unusable" and node.errors:
                body["errors"] = node.errors
            if state in ("starttaskfailed", "idle") and node.start_task_exit_code is not None:
                body["startTaskInfo"].update(
                    exitCode=node.start_task_exit_code,
                    result="failure",
                    failureInfo={
                        "category": "usererror",
                        "code": "FailureExitCode",
                        "message": f"The task process exited with an unexpected exit code {node.start_task_exit_code}",
                    },
                )
            value.append(body)
        return {"value": value}

    def run_task(self, job: FakeJob, task: dict[str, Any]) -> dict[str, Any]:
        """Run the task's command line as a node would, with /opt/batch-image/ mapped to the pool's scratch dir."""
        pool = self.pool(job.pool_id)
        root = self.workdir / f"node-{job.pool_id}"
        (root / "opt/batch-image").mkdir(parents=True, exist_ok=True)
        marker = root / "opt/batch-image/VERSION"
        if pool is not None and pool.marker is not None:
            marker.write_text(pool.marker)
        elif marker.exists():
            marker.unlink()
        argv = [arg.replace(MARKER_DIR, f"{root}{MARKER_DIR}") for arg in shlex.split(task["commandLine"])]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        env.update({s["name"]: s.get("value", "") for s in task.get("environmentSettings", [])})
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)

        def as_on_node(text: str) -> str:
            return text.replace(f"{root}{MARKER_DIR}", MARKER_DIR)

        return {"exitCode": done.returncode, "stdout": as_on_node(done.stdout), "stderr": as_on_node(done.stderr)}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate TLS records
    fake: FakeBatch  # set on the subclass created per server
    _payload: bytes = b""

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    # -- plumbing ---------------------------------------------------------------------------------------------
    def _send(
        self,
        status: int,
        body: Any = None,
        content_type: str = "application/json;odata=minimalmetadata",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("request-id", "00000000-0000-0000-0000-000000000000")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if data:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"code": code, "message": {"lang": "en-US", "value": message}})

    def _body(self) -> dict[str, Any]:
        return json.loads(self._payload or b"{}")

    def _route(self, method: str) -> None:
        # Read the body first, whatever the answer: an unread body would corrupt the next request on the connection.
        self._payload = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        fake = self.fake
        with fake.lock:
            fake.requests.append((method, path))
            if method in ("POST", "PATCH", "PUT") and self._payload:
                fake.bodies.append((method, path, json.loads(self._payload)))
        segments = [s for s in path.split("/") if s]
        if segments[:1] == ["subscriptions"]:
            self._arm(method, segments, parse_qs(parts.query))
            return
        if fake.scenario.data_plane_closed:
            self._error(403, "AuthorizationFailure", "This request is not authorized to perform this operation.")
            return
        if not _authorized(self.headers.get("Authorization", "")):
            self._error(401, "AuthenticationFailed", "Server failed to authenticate the request.")
            return
        with fake.lock:
            denied = fake.deny_data_plane()
        if denied:
            self._error(403, "AuthorizationFailure", "This request is not authorized to perform this operation.")
            return
        if parse_qs(parts.query).get("api-version") != [API_VERSION]:
            self._error(400, "InvalidQueryParameterValue", f"api-version must be {API_VERSION}")
            return
        with fake.lock:
            handler = getattr(self, f"_{method.lower()}", None)
            if handler is None or not handler(segments, parse_qs(parts.query)):
                self._error(404, "ResourceNotFound", f"no fake for {method} {path}")

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def do_PUT(self) -> None:
        self._route("PUT")

    # -- operations (return False for "no such route") ----------------------------------------------------------
    def _get(self, seg: list[str], query: dict[str, list[str]]) -> bool:
        fake = self.fake
        if seg == ["supportedimages"]:
            start = int(query.get("$skiptoken", ["0"])[0])
            images = fake.scenario.supported_images
            body: dict[str, Any] = {"value": images[start : start + PAGE_SIZE]}
            if start + PAGE_SIZE < len(images):
                body["odata.nextLink"] = f"{fake.base_url}/supportedimages?$skiptoken={start + PAGE_SIZE}"
            self._send(200, body)
            return True
        if seg[:1] == ["pools"] and len(seg) >= 6 and seg[2] == "nodes" and seg[4] == "files":
            pool = fake.pool(seg[1])
            if pool is None:
                self._error(404, "PoolNotFound", "The specified pool does not exist.")
            else:
                self._node_file(pool, seg[3], "/".join(seg[5:]))
            return True
        if seg[:1] == ["pools"] and len(seg) in (2, 3):
            pool = fake.pool(seg[1])
            if fake.scenario.forbid_pools:
                self._error(403, "AuthorizationFailure", "This request is not authorized to perform this operation.")
            elif pool is None:
                self._error(404, "PoolNotFound", "The specified pool does not exist.")
            elif len(seg) == 2:
                self._send(200, fake.pool_body(pool))
            elif seg[2] == "nodes":
                self._send(200, fake.nodes_body(pool))
            else:
                return False
            return True
        if seg[:1] == ["jobs"] and len(seg) >= 2:
            job = fake.jobs.get(seg[1])
            if job is None or job.deleted:
                self._error(404, "JobNotFound", "The specified job does not exist.")
                return True
            if len(seg) == 2:
                self._send(200, {**job.body, "state": "active", "url": f"{fake.base_url}/jobs/{job.id}"})
                return True
            if len(seg) >= 4 and seg[2] == "tasks" and seg[3] in job.tasks:
                return self._get_task(job, seg[3], seg[4:])
        return False

    def _node_file(self, pool: FakePool, node_id: str, path: str) -> None:
        """Get File From Compute Node: the start task's output (`startup/stderr.txt`, `startup/stdout.txt`)."""
        node = next((n for n in pool.nodes if n.id == node_id), None)
        if node is None:
            self._error(404, "NodeNotFound", "The specified node does not exist.")
        elif path not in ("startup/stderr.txt", "startup/stdout.txt"):
            self._error(404, "FileNotFound", "The specified file does not exist.")
        else:
            content = (node.start_task_stderr if path.endswith("stderr.txt") else "").encode()
            self._send(200, content, content_type="application/octet-stream")

    def _get_task(self, job: FakeJob, task_id: str, rest: list[str]) -> bool:
        task = job.tasks[task_id]
        if rest[:1] == ["files"] and len(rest) == 2 and rest[1] in ("stdout.txt", "stderr.txt"):
            content = task["result"][rest[1].removesuffix(".txt")].encode()
            self._send(200, content, content_type="application/octet-stream")
            return True
        if rest:
            return False
        reads = self.fake.task_reads.get((job.id, task_id), 0)
        self.fake.task_reads[(job.id, task_id)] = reads + 1
        pool = self.fake.pool(job.pool_id)
        running = reads < (pool.task_polls if pool else 0)
        body = {k: v for k, v in task.items() if k != "result" and not k.startswith("_")}
        body.update(url=f"{self.fake.base_url}/jobs/{job.id}/tasks/{task_id}", creationTime=_iso(ALLOCATED_AT))
        if "_started" in task or task.get("_live"):
            self._send(200, {**body, **_live_task_state(task)})
            return True
        if running:
            body.update(
                state="running", executionInfo={"startTime": _iso(ALLOCATED_AT), "retryCount": 0, "requeueCount": 0}
            )
        else:
            code = task["result"]["exitCode"]
            info: dict[str, Any] = {
                "startTime": _iso(ALLOCATED_AT),
                "endTime": _iso(ALLOCATED_AT),
                "exitCode": code,
                "retryCount": 0,
                "requeueCount": 0,
                "result": "success" if code == 0 else "failure",
            }
            if code != 0:
                info["failureInfo"] = {
                    "category": "usererror",
                    "code": "FailureExitCode",
                    "message": f"The task process exited with an unexpected exit code {code}",
                }
            body.update(state="completed", executionInfo=info)
        self._send(200, body)
        return True

    def _post(self, seg: list[str], query: dict[str, list[str]]) -> bool:
        fake = self.fake
        headers = {"ETag": "0x8D45765A6A2DC04", "Last-Modified": "Fri, 17 Feb 2017 00:00:00 GMT"}
        if len(seg) == 3 and seg[0] == "pools" and seg[2] in ("resize", "disableautoscale", "stopresize"):
            return self._pool_action(seg[1], seg[2])
        if seg == ["jobs"] and fake.scenario.forbid_jobs:
            self._error(403, "AuthorizationFailure", "This request is not authorized to perform this operation.")
            return True
        if seg == ["jobs"]:
            body = self._body()
            if body["id"] in fake.jobs:
                self._error(409, "JobExists", "The specified job already exists.")
                return True
            fake.jobs[body["id"]] = FakeJob(id=body["id"], pool_id=body["poolInfo"]["poolId"], body=body)
            self._send(201, headers={**headers, "DataServiceId": f"{fake.base_url}/jobs/{body['id']}"})
            return True
        if len(seg) == 3 and seg[0] == "jobs" and seg[2] == "tasks" and seg[1] in fake.jobs:
            job = fake.jobs[seg[1]]
            pool = fake.pool(job.pool_id)
            if pool is not None and pool.reject_tasks:
                self._error(400, "InvalidPropertyValue", "The value provided for one of the properties is invalid.")
                return True
            task = self._body()
            task["result"] = fake.run_task(job, task)
            job.tasks[task["id"]] = task
            if pool is not None and pool.live:
                task.update(_live=True, _pool=pool.pool_id)
                fake.schedule(pool, job, task)
            self._send(201, headers=headers)
            return True
        return False

    def _pool_action(self, pool_id: str, action: str) -> bool:
        fake = self.fake
        pool = self._pool_to_change(pool_id)
        if pool is None:
            return True
        if action == "disableautoscale":
            pool.enable_auto_scale = False
            self._send(_status("BatchData_Pool_DisableAutoScale.json"))
        elif action == "stopresize":
            fake.stop_resize(pool)
            self._send(202)
        else:
            refused = fake.resize(pool, self._body())
            if refused:
                self._error(*refused)
            else:
                self._send(_status("BatchData_Pool_Resize.json"))
        return True

    def _pool_to_change(self, pool_id: str) -> FakePool | None:
        """The pool a PATCH or DELETE may change, or None after answering 404 (no such pool) or 409 (being deleted)."""
        pool = self.fake.pool(pool_id)
        if pool is None:
            self._error(404, "PoolNotFound", "The specified pool does not exist.")
        elif pool.state == "deleting":
            self._error(409, "PoolBeingDeleted", "The specified pool has been marked for deletion.")
        else:
            return pool
        return None

    def _patch(self, seg: list[str], query: dict[str, list[str]]) -> bool:
        if len(seg) != 2 or seg[0] != "pools":
            return False
        pool = self._pool_to_change(seg[1])
        if pool is not None:
            body = self._body()
            refused = self.fake.refused_with_nodes(pool, set(body), DATA_IN_PLACE_WITH_NODES)
            if refused:
                self._error(*refused)
                return True
            if "metadata" in body:  # Batch: "If this element is present, it replaces any existing metadata"
                pool.metadata = body["metadata"]
            self._send(_status("BatchData_Pool_Update.json"))
        return True

    def _delete(self, seg: list[str], query: dict[str, list[str]]) -> bool:
        if len(seg) == 2 and seg[0] == "pools":
            pool = self._pool_to_change(seg[1])
            if pool is not None:
                self.fake.delete_pool(pool)
                self._send(_status("BatchData_Pool_Delete.json"))
            return True
        if len(seg) == 2 and seg[0] == "jobs":
            job = self.fake.jobs.get(seg[1])
            if job is None or job.deleted:
                self._error(404, "JobNotFound", "The specified job does not exist.")
            else:
                job.deleted = True
                self._send(202)
            return True
        return False

    # -- the management plane (ARM) ---------------------------------------------------------------------------
    def _arm_error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, {"error": {"code": code, "message": message}}, "application/json", headers)

    def _arm(self, method: str, seg: list[str], query: dict[str, list[str]]) -> None:
        fake = self.fake
        if not accepts_test_token(self.headers.get("Authorization", ""), fake.base_url):
            self._arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.")
            return
        version = SUBSCRIPTIONS_API_VERSION if seg == ["subscriptions"] else ARM_API_VERSION
        if query.get("api-version") != [version]:
            self._arm_error(400, "InvalidApiVersionParameter", f"api-version must be {version}")
            return
        with fake.lock:
            if not self._arm_route(method, seg):
                self._arm_error(404, "NotFound", f"no fake for {method} /{'/'.join(seg)}")

    def _denied(self, action: str, scope: str) -> bool:
        if action in self.fake.scenario.arm_throttled:
            self._arm_error(
                429,
                "TooManyRequests",
                "The request is being throttled as the limit has been reached for operation type.",
                {"Retry-After": "60"},
            )
            return True
        if action not in self.fake.scenario.arm_denied:
            return False
        self._arm_error(
            403,
            "AuthorizationFailed",
            f"The client '{TEST_PRINCIPAL}' with object id '{TEST_PRINCIPAL}' does not have authorization to perform "
            f"action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please "
            "refresh your credentials.",
        )
        return True

    def _arm_route(self, method: str, seg: list[str]) -> bool:
        fake = self.fake
        path = "/" + "/".join(seg)
        if method == "GET" and seg == ["subscriptions"]:
            self._send(
                200,
                {
                    "value": [
                        {
                            "id": f"/subscriptions/{SUBSCRIPTION}",
                            "subscriptionId": SUBSCRIPTION,
                            "displayName": "batch",
                            "state": "Enabled",
                        }
                    ]
                },
                "application/json",
            )
            return True
        if method == "GET" and path == f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Batch/batchAccounts":
            account = {
                "id": ACCOUNT_ID,
                "name": ACCOUNT,
                "type": "Microsoft.Batch/batchAccounts",
                "location": "westeurope",
                "properties": {"accountEndpoint": ACCOUNT_ENDPOINT},
            }
            self._send(200, {"value": [account]}, "application/json")
            return True
        if not path.lower().startswith(ACCOUNT_ID.lower() + "/"):
            return False
        rest = path[len(ACCOUNT_ID) + 1 :].split("/")
        if method == "GET" and len(rest) == 2 and rest[0] == "poolOperationResults":
            pool = fake.pool(rest[1].split("-", 1)[1].rsplit("-", 1)[0])
            self._send(202 if pool is not None else 200, headers={"Retry-After": "1"} if pool is not None else None)
            return True
        if method == "GET" and rest == ["pools"]:
            if self._denied("Microsoft.Batch/batchAccounts/pools/read", ACCOUNT_ID):
                return True
            listed = [fake.arm_pool_body(p) for p in fake.scenario.pools if fake.pool(p.pool_id) is not None]
            self._send(200, {"value": listed}, "application/json")
            return True
        if rest[0] != "pools" or len(rest) not in (2, 3):
            return False
        pool_id, action = rest[1], (rest[2] if len(rest) == 3 else "")
        scope = f"{ACCOUNT_ID}/pools/{pool_id}"
        verb = {"GET": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}.get(method, "")
        permission = (
            f"Microsoft.Batch/batchAccounts/pools/{action}/action"
            if action
            else f"Microsoft.Batch/batchAccounts/pools/{verb}"
        )
        if self._denied(permission, scope):
            return True
        pool = fake.pool(pool_id)
        if method == "PUT" and not action:
            created = fake.create_pool(pool_id, self._body())
            if isinstance(created, tuple):
                self._arm_error(*created)
            else:
                self._send(200, fake.arm_pool_body(created), "application/json", {"ETag": 'W/"0x8D4EDFEBFADF4AB"'})
            return True
        if method == "DELETE" and not action:
            if pool is None:
                self._send(204)
            elif pool.state == "deleting":
                self._arm_error(409, "PoolBeingDeleted", "The specified pool has been marked for deletion.")
            else:
                fake.delete_pool(pool)
                example = _example("BatchMgmt_Pool_Delete.json")["responses"]["202"]["headers"]
                operation = f"{ACCOUNT_ID}/poolOperationResults/delete-{pool_id}-8D4EDFF164A11C9"
                location = f"{fake.base_url}{operation}?api-version={ARM_API_VERSION}"
                self._send(202, headers={"Retry-After": example["Retry-After"], "Location": location})
            return True
        if pool is None:
            self._arm_error(404, "PoolNotFound", "The specified pool does not exist.")
            return True
        if method == "GET" and not action:
            self._send(200, fake.arm_pool_body(pool), "application/json", {"ETag": 'W/"0x8D4EDFEBFADF4AB"'})
            return True
        if pool.state == "deleting":
            self._arm_error(409, "PoolBeingDeleted", "The specified pool has been marked for deletion.")
            return True
        if method == "POST" and action == "disableAutoScale":
            pool.enable_auto_scale = False
        elif method == "POST" and action == "stopResize":
            fake.stop_resize(pool)
        elif method == "PATCH" and not action:
            refused = self._arm_update(pool, self._body().get("properties") or {})
            if refused:
                self._arm_error(*refused)
                return True
        else:
            return False
        self._send(200, fake.arm_pool_body(pool), "application/json")
        return True

    def _arm_update(self, pool: FakePool, props: dict[str, Any]) -> tuple[int, str, str] | None:
        """Pool - Update (PATCH): only the properties given change, all or none."""
        fake = self.fake
        refused = fake.refused_with_nodes(pool, set(props), IN_PLACE_WITH_NODES)
        if refused:
            return refused
        fixed = (props.get("scaleSettings") or {}).get("fixedScale")
        if fixed is not None:
            refused = fake.resize(pool, fixed)
            if refused:
                return refused
        if "metadata" in props:  # a PATCH replaces the list it names
            pool.metadata = props["metadata"]
        return None


_POOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _refused_pool_body(pool_id: str, body: dict[str, Any]) -> tuple[int, str, str] | None:
    """What Pool - Create (2024-07-01, fakes/data/batch/Batch_Pool_Create_SharedImageGallery.json) refuses with 400:
    a pool name outside the spec's `poolName` pattern `^[a-zA-Z0-9_-]+$` and maxLength 64; a virtualMachineConfiguration
    without its required `imageReference` and `nodeAgentSkuId`; a metadata item without `name` or `value` (both
    required by `MetadataItem`)."""
    if not _POOL_NAME.match(pool_id):
        return 400, "InvalidPropertyValue", f"pool name {pool_id!r} must match ^[a-zA-Z0-9_-]+$, at most 64 characters"
    props = body.get("properties") or {}
    vm = (props.get("deploymentConfiguration") or {}).get("virtualMachineConfiguration") or {}
    missing = [key for key in ("imageReference", "nodeAgentSkuId") if not vm.get(key)]
    if missing:
        return 400, "MissingRequiredProperty", f"virtualMachineConfiguration lacks {', '.join(missing)}"
    if any("name" not in item or "value" not in item for item in props.get("metadata") or []):
        return 400, "MissingRequiredProperty", "a metadata item needs a name and a value"
    return None


def _live_task_state(task: dict[str, Any]) -> dict[str, Any]:
    """A wall-clock task: waiting for a node, running, requeued (its node was taken away) or completed."""
    now = time.monotonic()
    info: dict[str, Any] = {"retryCount": 0, "requeueCount": 0}
    if task.get("_requeued"):
        return {"state": "active", "executionInfo": {**info, "requeueCount": 1}}
    if "_started" not in task:
        return {"state": "active", "executionInfo": info}
    started = ALLOCATED_AT + timedelta(seconds=task["_started"])
    if now < task["_ends"]:
        return {"state": "running", "executionInfo": {**info, "startTime": _iso(started)}, "nodeInfo": _node(task)}
    code = task["result"]["exitCode"]
    ended = ALLOCATED_AT + timedelta(seconds=task["_ends"])
    return {
        "state": "completed",
        "executionInfo": {
            **info,
            "startTime": _iso(started),
            "endTime": _iso(ended),
            "exitCode": code,
            "result": "success" if code == 0 else "failure",
        },
        "nodeInfo": _node(task),
    }


def _node(task: dict[str, Any]) -> dict[str, Any]:
    return {"nodeId": task["_node"], "poolId": task["_pool"]}


@contextmanager
def fake_batch_servers(workdir: Path) -> Iterator[Callable[[Scenario], FakeBatchServer]]:
    """Start fake Batch servers for scenarios (`start(scenario)`); all are stopped when the block ends."""
    servers: list[FakeBatchServer] = []

    def start(scenario: Scenario) -> FakeBatchServer:
        server = FakeBatchServer(scenario, workdir).__enter__()
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.__exit__()


class FakeBatchServer(LoopbackHttpsServer):
    """`with FakeBatchServer(scenario, tmp_path) as server:` gives server.url and server.ca_file for the client."""

    def __init__(self, scenario: Scenario, workdir: Path) -> None:
        self.fake = FakeBatch(scenario, workdir)
        super().__init__(_Handler, self.fake, workdir, "fake-batch-ca.pem")
        self.fake.base_url = self.url

    def provider_env(self, **overrides: str) -> dict[str, str]:
        """The BCI_* variables that point a provider's ARM and data-plane calls here (and keep tests fast)."""
        env = {
            "BCI_ARM_ENDPOINT": self.url,
            "BCI_BATCH_ENDPOINT_URL": self.url,
            "BCI_CA_BUNDLE": str(self.ca_file),
            "BCI_FAKE_CREDENTIAL": "1",
            "BCI_POLL_SECONDS": "0.1",
            "BCI_PROGRESS_SECONDS": "0.6",  # status lines at most every 0.1 s (components/common/progress.py)
        }
        return {**env, **overrides}
