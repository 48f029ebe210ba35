"""The canary sequence (what `create` does), with the node and task checks `make smoke` uses
(components/canary/checks.py):

1. leftovers: delete the pools of this account whose metadata marks them as canary pools of this image definition made
   by this resource (a SIGKILLed attempt's, or the pool a failed canary kept), so a rerun starts from the start.
2. pool: create `canary-<version with dashes>-<6 hex>` through ARM from `pool_body`, its image reference set to the
   version under test and its metadata marking it (spec.CANARY_METADATA, VERSION_METADATA, URN_METADATA).
3. node: wait until its one node is `idle` (a start task with waitForSuccess ran and succeeded); `unusable` (with its
   errors) or `starttaskfailed` (exit code, the tail of startup/stderr.txt) fail at once.
4. task: a job bound to the pool with one task running `command` as a non-admin auto-user (as `make smoke`); wait for
   it to complete; exit code 0 passes. The timeout runs from the pool's creation.
5. clean-up: the job's delete is requested either way; a passed canary's pool delete is requested (not waited for), a
   failed one's pool is KEPT for inspection and `failure` says how to look at it.

Ctrl-C (the engine's SIGINT): every wait ends within CHECK_SECONDS; the pool's and the job's deletes are requested
and the error says what was left. The create did not finish, so nothing is recorded: the next `up` sweeps leftovers.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError

from components.canary import checks
from components.canary.batch import CanaryPools, DataPlane
from components.canary.checks import (
    NodeCheckError,
    assess_pool,
    start_task_running,
    tail,
    task_failure,
    wire_value,
)
from components.canary.commands import LINUX_MARKER, WINDOWS_MARKER, linux_marker_check, windows_marker_check
from components.canary.errors import CanaryInterrupted
from components.canary.spec import CANARY_METADATA, URN_METADATA, VERSION_METADATA, CanarySpec
from components.common.progress import Progress, silent
from components.common.stopping import Clock
from components.common.stopping import SystemClock as _SystemClock

log = logging.getLogger("components.canary")

TASK_ID = "canary"
# A Spot node Azure reclaimed is `preempted` until Spot capacity returns ("The Spot/Low-priority Compute Node has been
# preempted", BatchNodeState): not a fault of the image, so the timeout says what to do about it.
PREEMPTED_HINT = (
    ". Its Spot node was preempted (Azure took the capacity back; Batch waits for Spot capacity to return): nothing "
    "says the image is at fault. Run `pulumi up` again, or set image.canary.spot to false for a dedicated node"
)
POOL_NAME_MAX = 64  # Pool - Create: poolName ^[a-zA-Z0-9_-]+$, at most 64 characters


class SystemClock(_SystemClock):
    """The shared clock (components/common/stopping.py), interrupted with `CanaryInterrupted`."""

    def __init__(self) -> None:
        super().__init__(lambda: CanaryInterrupted("the canary was interrupted (Ctrl-C or a cancelled update)"))


def canary_pool_name(image_version: str) -> str:
    """canary-1-4-0-3fa9c2: the version with dashes and a random suffix (a rerun never meets a pool being deleted)."""
    suffix = "-" + secrets.token_hex(3)
    return ("canary-" + image_version.replace(".", "-"))[: POOL_NAME_MAX - len(suffix)] + suffix


@dataclass(frozen=True)
class Outcome:
    passed: bool
    failure: str
    pool_name: str
    node_minutes: float
    job_id: str  # "" once its delete was requested

    def outputs(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Canary:
    spec: CanarySpec
    urn: str
    pools: CanaryPools
    data: DataPlane
    clock: Clock
    poll_seconds: float
    progress: Progress = field(default_factory=silent)
    trail: list[str] = field(default_factory=list)
    pool_name: str = ""
    job_id: str = ""
    node_id: str = ""
    _created_at: float = 0.0

    @property
    def _client(self) -> Any:
        return self.data.client

    def run(self) -> Outcome:
        self.sweep()
        try:
            self._create_pool()
            failure = self._node() or self._task()
            return self._finish(failure)
        except CanaryInterrupted as err:
            raise CanaryInterrupted(f"{err}; {self._abandon()}") from None
        except Exception:
            log.warning("the canary stopped on an error; %s", self._abandon())
            raise

    # --- 1. leftovers -----------------------------------------------------------------------------------------------

    def sweep(self) -> list[str]:
        """Request the delete of every canary pool of this image definition made by this resource."""
        self.progress.phase("leftovers", "looking for canary pools of earlier attempts")
        swept = []
        for pool in self.pools.listed():
            marks = pool.metadata
            if marks.get(CANARY_METADATA, "").lower() != self.spec.image_definition_id.lower():
                continue
            if marks.get(URN_METADATA, "") != self.urn:
                continue
            if self.pools.delete(pool.name):
                swept.append(pool.name)
                self.progress.status(f"deleting leftover canary pool {pool.name}")
        if swept:
            self.trail.append(f"requested the delete of leftover canary pool(s) {', '.join(swept)}")
            log.warning("canary: deleting leftover canary pool(s) of an earlier attempt: %s", ", ".join(swept))
        return swept

    # --- 2. the pool ------------------------------------------------------------------------------------------------

    def _create_pool(self) -> None:
        self.pool_name = canary_pool_name(self.spec.image_version)
        body = copy.deepcopy(self.spec.pool_body)
        properties = body["properties"]
        vm = properties["deploymentConfiguration"]["virtualMachineConfiguration"]
        vm["imageReference"] = {"id": self.spec.image_version_id}
        marks = {
            CANARY_METADATA: self.spec.image_definition_id,
            VERSION_METADATA: self.spec.image_version,
            URN_METADATA: self.urn,
        }
        kept = [item for item in properties.get("metadata") or [] if item.get("name") not in marks]
        properties["metadata"] = kept + [{"name": k, "value": v} for k, v in marks.items()]
        self.progress.phase("pool", f"creating canary pool {self.pool_name} on image version {self.spec.image_version}")
        self._created_at = self.clock.monotonic()
        self.pools.create(self.pool_name, body)
        self.trail.append(f"created pool {self.pool_name}")

    def _remaining(self) -> float:
        return self._created_at + self.spec.timeout_seconds - self.clock.monotonic()

    # --- 3. the node ------------------------------------------------------------------------------------------------

    def _node(self) -> str | None:
        """None once the node is idle; otherwise what failed."""
        self.progress.phase("node", f"waiting for the node of {self.pool_name} (timeout {self.spec.timeout})")
        name = self.pool_name
        while True:
            pool = self.data.call("read the canary pool", lambda: self._client.get_pool(name))
            nodes = self.data.call("list the canary pool's nodes", lambda: list(self._client.list_nodes(name)))
            try:
                snapshot = assess_pool(pool, nodes)
            except NodeCheckError as err:
                return self._node_failure(err)
            starting = any(start_task_running(n) for n in nodes)  # idle already when waitForSuccess is false
            if snapshot.ready and not starting:
                self.node_id = str(nodes[0].id)
                self.trail.append(f"node {self.node_id} idle")
                return None
            self.progress.status(snapshot.describe() + (", start task running" if starting else ""))
            if self._remaining() <= 0:
                late = f"the canary node was not ready within {self.spec.timeout} ({snapshot.describe()})"
                return late + (PREEMPTED_HINT if snapshot.node_states["preempted"] else "")
            self.clock.sleep(max(0.0, min(self.poll_seconds, self._remaining())))

    def _node_failure(self, err: NodeCheckError) -> str:
        self.node_id = err.node_id or ""
        if err.kind != checks.START_TASK_FAILED or not err.node_id:
            return err.message
        node_id = err.node_id
        stderr = self.data.download(
            lambda: self._client.download_node_file(self.pool_name, node_id, "startup/stderr.txt")
        )
        return f"{err.message}. The end of startup/stderr.txt:\n{tail(stderr) or '(empty)'}"

    # --- 4. the task ------------------------------------------------------------------------------------------------

    def _task(self) -> str | None:
        from azure.batch.models import (
            AutoUserSpecification,
            BatchJobCreateOptions,
            BatchPoolInfo,
            BatchTaskConstraints,
            BatchTaskCreateOptions,
            UserIdentity,
        )

        self.progress.phase("task", f"running the canary command on node {self.node_id}")
        self.job_id = self.pool_name
        job = BatchJobCreateOptions(
            id=self.job_id,
            display_name=f"canary of image version {self.spec.image_version}",
            pool_info=BatchPoolInfo(pool_id=self.pool_name),
        )
        self.data.call("create the canary job", lambda: self._client.create_job(job))
        task = BatchTaskCreateOptions(
            id=TASK_ID,
            command_line=self.spec.command,
            constraints=BatchTaskConstraints(
                max_wall_clock_time=timedelta(seconds=max(1, int(self._remaining()))), max_task_retry_count=0
            ),
            user_identity=UserIdentity(auto_user=AutoUserSpecification(scope="task", elevation_level="nonadmin")),
        )
        self.data.call("add the canary task", lambda: self._client.create_task(self.job_id, task))
        return self._wait_for_task()

    def _wait_for_task(self) -> str | None:
        while True:
            task = self.data.call("read the canary task", lambda: self._client.get_task(self.job_id, TASK_ID))
            state = wire_value(task.state)
            if state == "completed":
                return self._judge(task)
            self.progress.status(f"task {state}")
            if self._remaining() <= 0:
                timeout = self.spec.timeout
                return f"the canary command did not finish within {timeout} (task {state} on node {self.node_id})"
            self.clock.sleep(max(0.0, min(self.poll_seconds, self._remaining())))

    def _task_file(self, name: str) -> str:
        return self.data.download(lambda: self._client.download_task_file(self.job_id, TASK_ID, name))

    def _judge(self, task: Any) -> str | None:
        files = {name: self._task_file(name) for name in ("stdout.txt", "stderr.txt")}
        version = self.spec.image_version
        windows = self.spec.command == windows_marker_check(version)
        marker = windows or self.spec.command == linux_marker_check(version)
        failure = task_failure(
            self.pool_name,
            task,
            files["stdout.txt"],
            files["stderr.txt"],
            expected_version=version if marker else None,
            what="the canary command",
            marker_path=WINDOWS_MARKER if windows else LINUX_MARKER,
        )
        if failure is None:
            self.trail.append("the canary command exited with 0")
            return None
        tails = "".join(f"\nThe end of its {name}:\n{tail(text)}" for name, text in files.items() if text.strip())
        return f"{failure.message}{tails}"

    # --- 5. clean-up ------------------------------------------------------------------------------------------------

    def _finish(self, failure: str | None) -> Outcome:
        self.progress.phase("clean-up", "deleting the canary job" + ("" if failure else " and pool"))
        job_left = self._delete_job()
        minutes = round(max(0.0, self.clock.monotonic() - self._created_at) / 60, 2)
        if failure is None:
            self.pools.delete(self.pool_name)
            self.trail.append(f"requested the delete of pool {self.pool_name}")
            return Outcome(True, "", self.pool_name, minutes, job_left)
        self.trail.append(f"kept pool {self.pool_name}")
        return Outcome(False, self._failure_message(failure), self.pool_name, minutes, job_left)

    def _delete_job(self) -> str:
        """Request the job's delete; its id when that failed (delete tries again), "" otherwise."""
        if not self.job_id:
            return ""
        try:
            self.data.call("delete the canary job", lambda: self._client.begin_delete_job(self.job_id))
        except ResourceNotFoundError:
            pass
        except AzureError as err:
            log.warning("canary job %r not deleted (%s); `pulumi destroy` tries again", self.job_id, err)
            return self.job_id
        self.trail.append(f"requested the delete of job {self.job_id}")
        return ""

    def _failure_message(self, what: str) -> str:
        spec, pool = self.spec, self.pool_name
        node = self.node_id or "<node id from the list>"
        ref = spec.account
        return (
            f"the canary of image version {spec.image_version} failed: {what}\n"
            f"The canary pool {pool!r} is kept for inspection: after `az batch account login --name {ref['account']} "
            f"--resource-group {ref['resource_group']}`, `az batch node list --pool-id {pool}` lists its node, "
            f"`az batch node file list --pool-id {pool} --node-id {node} --recursive` its files (startup/ holds the "
            f"start task's), and `az batch node file download --pool-id {pool} --node-id {node} --file-path "
            "startup/stderr.txt --destination stderr.txt` fetches one (or the Azure portal: the Batch account, Pools, "
            f"{pool}, Nodes). Production pools and the gallery's `latest` are untouched. The next `pulumi up` retries "
            "the canary from the start on a new pool; `pulumi destroy` deletes this one."
        )

    # --- Ctrl-C, or an error mid-way ---------------------------------------------------------------------------------

    def _abandon(self) -> str:
        """Request the deletes of what this attempt made; says what was left."""
        said = []
        for what, name, delete in (
            ("job", self.job_id, self._client.begin_delete_job),
            ("canary pool", self.pool_name, self.pools.delete),
        ):
            if not name:
                continue
            try:
                delete(name)
            except Exception as err:  # best effort inside the engine's grace
                said.append(f"{what} {name} left ({type(err).__name__})")
            else:
                said.append(f"requested the delete of {what} {name}")
        left = "; ".join(said) or "nothing was created"
        return f"{left}; the next `pulumi up` deletes any canary pool left and starts the canary from the start"
