"""The judgement of a Batch pool's nodes and of a check task's result, shared by `make smoke` (tools/smoke) and the
canary (components/canary): pure functions over azure-batch data-plane models.

A failure is a `NodeCheckError` with a `kind` (one of `KINDS`) and one message; each caller maps the kind to its own
error (tools/smoke: an exit code of tools/errors.py; the canary: its failure message). What Batch reports:
- a node `unusable` carries `errors` (code, message), e.g. an agent that cannot start on the image;
- a node `starttaskfailed` carries `startTaskInfo.exitCode` and `failureInfo`; the start task's output stays on the
  node in `startup/stdout.txt` and `startup/stderr.txt` (Batch "Files and directories": the start task's directory);
- a pool that is `steady` with `resizeErrors` will not get its nodes (quota, image, allocation);
- a completed task carries `executionInfo.exitCode` and, when it failed, `failureInfo`.
The marker check's exit codes (components/canary/commands.py) name the marker's own failures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from azure.batch.models import BatchNode, BatchPool, BatchTask

from components.canary.commands import EXIT_MARKER_MISMATCH, EXIT_MARKER_MISSING, LINUX_MARKER

USABLE_STATES = frozenset({"idle", "running"})

POOL_DELETING = "pool-deleting"
ALLOCATION_FAILED = "allocation-failed"
NODE_UNUSABLE = "node-unusable"
START_TASK_FAILED = "start-task-failed"
MARKER_MISSING = "marker-missing"
MARKER_MISMATCH = "marker-mismatch"
TASK_FAILED = "task-failed"
KINDS = (
    POOL_DELETING,
    ALLOCATION_FAILED,
    NODE_UNUSABLE,
    START_TASK_FAILED,
    MARKER_MISSING,
    MARKER_MISMATCH,
    TASK_FAILED,
)
MARKER_FOUND_PREFIX = "image marker: "


class NodeCheckError(Exception):
    """A pool that can no longer become ready, or a check task that failed: `kind` says which (see `KINDS`)."""

    def __init__(self, kind: str, message: str, node_id: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.node_id = node_id  # the node it happened on, when one
        self.exit_code = exit_code  # the start task's or the task's, when one


def wire_value(value: object) -> str:
    """The REST value of an SDK enum field (`BatchNodeState.IDLE` -> "idle"); plain strings pass through."""
    return str(getattr(value, "value", value))


@dataclass(frozen=True)
class PoolSnapshot:
    pool_id: str
    allocation_state: str
    target_nodes: int
    node_states: Counter[str] = field(default_factory=Counter)
    ready: bool = False

    @property
    def usable_nodes(self) -> int:
        return self.node_states["idle"] + self.node_states["running"]

    def describe(self) -> str:
        states = ", ".join(f"{count} {state}" for state, count in sorted(self.node_states.items())) or "no nodes"
        marker = "ready" if self.ready else self.allocation_state
        return f"{self.pool_id}: {marker}, {self.usable_nodes}/{self.target_nodes} usable ({states})"


def assess_pool(pool: BatchPool, nodes: Sequence[BatchNode]) -> PoolSnapshot:
    """The pool's state, or a NodeCheckError when it can no longer become ready."""
    pool_id = pool.id
    if wire_value(pool.state) == "deleting":
        raise NodeCheckError(POOL_DELETING, f"pool '{pool_id}' is being deleted")
    for node in nodes:
        raise_for_failed_node(pool_id, node)
    target = (pool.target_dedicated_nodes or 0) + (pool.target_low_priority_nodes or 0)
    states = Counter(wire_value(node.state) for node in nodes)
    allocation = wire_value(pool.allocation_state or "unknown")
    steady = allocation == "steady"
    if steady and pool.resize_errors:
        details = "; ".join(f"{e.code}: {e.message}" for e in pool.resize_errors)
        raise NodeCheckError(ALLOCATION_FAILED, f"pool '{pool_id}' could not allocate its nodes: {details}")
    current = (pool.current_dedicated_nodes or 0) + (pool.current_low_priority_nodes or 0)
    if steady and current == 0 and not nodes:
        raise NodeCheckError(
            ALLOCATION_FAILED,
            f"pool '{pool_id}' is steady with no nodes (target dedicated {pool.target_dedicated_nodes or 0}, "
            f"spot {pool.target_low_priority_nodes or 0}); the check needs at least one node",
        )
    ready = steady and len(nodes) >= current and all(wire_value(node.state) in USABLE_STATES for node in nodes)
    return PoolSnapshot(
        pool_id=pool_id, allocation_state=allocation, target_nodes=max(target, current), node_states=states, ready=ready
    )


def raise_for_failed_node(pool_id: str, node: BatchNode) -> None:
    """A NodeCheckError for a node `unusable` (with its errors), or whose start task failed: state `starttaskfailed`
    (waitForSuccess true), or usable with a completed start task that exited non-zero (waitForSuccess false: "even if
    the StartTask fails, new Tasks will continue to be scheduled on the Compute Node", Batch `StartTask`)."""
    state = wire_value(node.state)
    if state == "unusable":
        errors = "; ".join(f"{e.code}: {e.message}" for e in node.errors or []) or "no error details reported"
        raise NodeCheckError(
            NODE_UNUSABLE,
            f"pool '{pool_id}': node {node.id} is unusable ({errors}). A custom image usually makes nodes unusable "
            "when the node agent SKU does not match the image's OS or the image was not generalized",
            node_id=node.id,
        )
    if state == "starttaskfailed" or start_task_failed(node):
        info = node.start_task_info
        exit_code = info.exit_code if info else None
        failure = info.failure_info if info else None
        reason = f"{failure.code}: {failure.message}" if failure else "no failure details reported"
        raise NodeCheckError(
            START_TASK_FAILED,
            f"pool '{pool_id}': the start task failed on node {node.id} (exit code {exit_code}; {reason}); "
            "its output is in startup/stdout.txt and startup/stderr.txt on the node",
            node_id=node.id,
            exit_code=exit_code,
        )


def start_task_failed(node: BatchNode) -> bool:
    """The node's start task completed with a non-zero exit code (whatever the node's state)."""
    info = node.start_task_info
    return info is not None and wire_value(info.state) == "completed" and info.exit_code not in (None, 0)


def start_task_running(node: BatchNode) -> bool:
    """The node's start task has not completed yet (a node is idle before it when waitForSuccess is false)."""
    info = node.start_task_info
    return info is not None and wire_value(info.state) == "running"


def task_failure(
    pool_id: str,
    task: BatchTask,
    stdout: str,
    stderr: str,
    expected_version: str | None,
    what: str = "the check task",
    marker_path: str = LINUX_MARKER,
) -> NodeCheckError | None:
    """The failure of a completed task, or None when it succeeded (exit code 0, no failureInfo).

    `expected_version`: the task is the image marker check for that version, whose exit codes 3 and 4 mean the marker
    is missing or names another version; None for any other command.
    """
    info = task.execution_info
    exit_code = info.exit_code if info else None
    if expected_version is not None and exit_code == EXIT_MARKER_MISSING:
        return NodeCheckError(
            MARKER_MISSING,
            f"pool '{pool_id}': {marker_path} is missing on the node; the pool is not running an image built by "
            "this stack's setup script",
            exit_code=exit_code,
        )
    if expected_version is not None and exit_code == EXIT_MARKER_MISMATCH:
        found = next(
            (
                line[len(MARKER_FOUND_PREFIX) :].strip()
                for line in stdout.splitlines()
                if line.startswith(MARKER_FOUND_PREFIX)
            ),
            "an unreadable value",
        )
        return NodeCheckError(
            MARKER_MISMATCH,
            f"pool '{pool_id}': the node's image marker says {found!r} but the stack deployed image version "
            f"{expected_version!r}; the pool is not running the new image (nodes keep their image until reimaged "
            "or recreated)",
            exit_code=exit_code,
        )
    if exit_code != 0 or (info and info.failure_info):
        reason = info.failure_info if info else None
        detail = f"{reason.code}: {reason.message}" if reason else (stderr.strip() or "no details reported")
        return NodeCheckError(
            TASK_FAILED, f"pool '{pool_id}': {what} failed (exit code {exit_code}; {detail})", exit_code=exit_code
        )
    return None


def tail(text: str, lines: int = 20, chars: int = 2000) -> str:
    """The end of a task's output: its last `lines` lines, at most `chars` characters ("" for no output)."""
    end = "\n".join(text.rstrip().splitlines()[-lines:])
    return end if len(end) <= chars else "..." + end[-chars:]
