"""Wait until every pool is steady with all its nodes usable; fail fast on unusable nodes and start-task failures.

While waiting, a progress display: a redrawn bar on a terminal, one line per change in logs (CI).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TextIO

from azure.batch import BatchClient
from azure.batch.models import BatchNode, BatchPool

from components.canary import checks
from components.canary.checks import NodeCheckError, PoolSnapshot, wire_value
from tools.smoke.errors import ExitCode, SmokeError, smoke_error
from tools.smoke.outputs import PoolTarget

BAR_WIDTH = 24


# --- the pools' state and its display ------------------------------------------------------------------------------


def render_bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def ready_fraction(snapshots: list[PoolSnapshot]) -> float:
    wanted = sum(max(s.target_nodes, 1) for s in snapshots)
    have = sum(max(s.target_nodes, 1) if s.ready else min(s.usable_nodes, s.target_nodes) for s in snapshots)
    return have / wanted if wanted else 0.0


def format_duration(seconds: float) -> str:
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class Progress:
    def __init__(self, stream: TextIO, interactive: bool) -> None:
        self._stream = stream
        self._interactive = interactive
        self._last_status = ""

    def update(self, snapshots: list[PoolSnapshot], elapsed: float, timeout: float) -> None:
        status = " | ".join(s.describe() for s in snapshots)
        clock = f"{format_duration(elapsed)}/{format_duration(timeout)}"
        if self._interactive:
            self._stream.write(f"\r\x1b[2K{render_bar(ready_fraction(snapshots))} {clock} {status}")
        elif status != self._last_status:
            self._stream.write(f"{render_bar(ready_fraction(snapshots))} {clock} {status}\n")
        self._last_status = status
        self._stream.flush()

    def finish(self) -> None:
        if self._interactive:
            self._stream.write("\n")
            self._stream.flush()


# --- waiting --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadyReport:
    pool_id: str
    waited_seconds: float  # from the start of `make smoke` until the pool was seen ready
    node_count: int
    slowest_node_boot: timedelta | None  # longest allocation -> idle time among the pool's nodes


def assess_pool(pool: BatchPool, nodes: Sequence[BatchNode]) -> PoolSnapshot:
    """The pool's state, or a SmokeError when it can no longer become ready (the checks the canary shares)."""
    try:
        return checks.assess_pool(pool, nodes)
    except NodeCheckError as err:
        raise smoke_error(err) from None


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
