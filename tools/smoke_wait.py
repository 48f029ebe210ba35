"""Wait until every pool is steady with all its nodes usable; fail fast on unusable nodes and start-task failures."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from azure.batch import BatchClient
from azure.batch.models import BatchNode, BatchPool

from tools.smoke_client import wire_value
from tools.smoke_errors import ExitCode, SmokeError
from tools.smoke_outputs import PoolTarget
from tools.smoke_progress import PoolSnapshot, Progress, format_duration

USABLE_STATES = frozenset({"idle", "running"})


@dataclass(frozen=True)
class ReadyReport:
    pool_id: str
    waited_seconds: float  # from the start of `make smoke` until the pool was seen ready
    node_count: int
    slowest_node_boot: timedelta | None  # longest allocation -> idle time among the pool's nodes


def assess_pool(pool: BatchPool, nodes: Sequence[BatchNode]) -> PoolSnapshot:
    """The pool's state, or a SmokeError when it can no longer become ready."""
    pool_id = pool.id
    if wire_value(pool.state) == "deleting":
        raise SmokeError(ExitCode.ALLOCATION_FAILED, f"pool '{pool_id}' is being deleted")
    for node in nodes:
        _raise_for_failed_node(pool_id, node)
    target = (pool.target_dedicated_nodes or 0) + (pool.target_low_priority_nodes or 0)
    states = Counter(wire_value(node.state) for node in nodes)
    allocation = wire_value(pool.allocation_state or "unknown")
    steady = allocation == "steady"
    if steady and pool.resize_errors:
        details = "; ".join(f"{e.code}: {e.message}" for e in pool.resize_errors)
        raise SmokeError(ExitCode.ALLOCATION_FAILED, f"pool '{pool_id}' could not allocate its nodes: {details}")
    current = (pool.current_dedicated_nodes or 0) + (pool.current_low_priority_nodes or 0)
    if steady and current == 0 and not nodes:
        raise SmokeError(
            ExitCode.ALLOCATION_FAILED,
            f"pool '{pool_id}' is steady with no nodes (target dedicated {pool.target_dedicated_nodes or 0}, "
            f"spot {pool.target_low_priority_nodes or 0}); the smoke test needs at least one node",
        )
    ready = steady and len(nodes) >= current and all(wire_value(node.state) in USABLE_STATES for node in nodes)
    return PoolSnapshot(
        pool_id=pool_id, allocation_state=allocation, target_nodes=max(target, current), node_states=states, ready=ready
    )


def _raise_for_failed_node(pool_id: str, node: BatchNode) -> None:
    state = wire_value(node.state)
    if state == "unusable":
        errors = "; ".join(f"{e.code}: {e.message}" for e in node.errors or []) or "no error details reported"
        raise SmokeError(
            ExitCode.NODE_UNUSABLE,
            f"pool '{pool_id}': node {node.id} is unusable ({errors}). A custom image usually makes nodes unusable "
            "when the node agent SKU does not match the image's OS or the image was not generalized",
        )
    if state == "starttaskfailed":
        info = node.start_task_info
        exit_code = info.exit_code if info else None
        failure = info.failure_info if info else None
        reason = f"{failure.code}: {failure.message}" if failure else "no failure details reported"
        raise SmokeError(
            ExitCode.START_TASK_FAILED,
            f"pool '{pool_id}': the start task failed on node {node.id} (exit code {exit_code}; {reason}); "
            "its output is in startup/stdout.txt and startup/stderr.txt on the node",
        )


def slowest_boot(nodes: Sequence[BatchNode]) -> timedelta | None:
    boots = [
        node.state_transition_time - node.allocation_time
        for node in nodes
        if wire_value(node.state) == "idle" and node.state_transition_time and node.allocation_time
    ]
    return max(boots) if boots else None


def observe(client: BatchClient, pool_id: str) -> tuple[BatchPool, list[BatchNode]]:
    return client.get_pool(pool_id), list(client.list_nodes(pool_id))


def wait_until_ready(
    client: BatchClient,
    pools: Sequence[PoolTarget],
    timeout: float,
    poll_interval: float,
    progress: Progress,
) -> dict[str, ReadyReport]:
    start = time.monotonic()
    deadline = start + timeout
    ready: dict[str, ReadyReport] = {}
    latest: dict[str, PoolSnapshot] = {}
    while True:
        for target in pools:
            if target.pool_id in ready:
                continue
            pool, nodes = observe(client, target.pool_id)
            latest[target.pool_id] = assess_pool(pool, nodes)
            if latest[target.pool_id].ready:
                ready[target.pool_id] = ReadyReport(
                    target.pool_id, time.monotonic() - start, len(nodes), slowest_boot(nodes)
                )
        now = time.monotonic()
        progress.update(list(latest.values()), now - start, timeout)
        if len(ready) == len(pools):
            progress.finish()
            return ready
        if now >= deadline:
            progress.finish()
            waiting = "; ".join(s.describe() for s in latest.values() if not s.ready)
            raise SmokeError(
                ExitCode.TIMEOUT,
                f"pools not ready after {format_duration(timeout)}: {waiting}. Raise --timeout if nodes are still "
                "starting, or look at the pool's resize and node state in the Azure portal",
            )
        time.sleep(max(0.0, min(poll_interval, deadline - now)))
