"""The drain sequence: empty a replaced pool without killing its running tasks, then delete it.

1. Autoscale on: disable it (Batch refuses a resize of an autoscaled pool). A resize growing the pool: stop it, and
   wait while the pool is `stopping`.
2. Resize to 0 dedicated + 0 Spot nodes with nodeDeallocationOption `TaskCompletion`: running tasks finish, nothing
   new is scheduled on the pool, each node leaves once its tasks are done. The first accepted resize also records
   when the drain began in the pool's metadata (`spec.DRAIN_STARTED_METADATA`), in the same request: the deadline
   (that time + drainTimeout) starts when Batch accepts the resize, never before (a refused resize, a 403, a lost
   race record nothing), and it survives a Ctrl-C, a crash and the next `up`/`destroy`. Idempotent: a pool already
   resizing to zero is left to it; one back at steady with nodes left (its resize timed out) is resized again.
3. Wait until the pool has no nodes, or until the deadline (whichever first), then delete the pool and wait until
   Batch no longer lists it. Past the deadline, deleting a pool terminates (and requeues) what still runs: the log says
   so, with the node count. A drainTimeout of zero deletes at once.

Every wait ends within `CHECK_SECONDS` of the engine's SIGINT with `DrainInterrupted`; the pool keeps draining in
Batch, and the drain resource stays in the state (its delete did not finish), so the next operation resumes here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from components.common.progress import Progress, silent
from components.common.stopping import Clock, utc_iso
from components.common.stopping import SystemClock as _SystemClock
from components.pool_drain.batch import PoolCalls, PoolState
from components.pool_drain.errors import DrainError, DrainInterrupted
from components.pool_drain.spec import DRAIN_STARTED_METADATA, DrainSpec

log = logging.getLogger("components.pool_drain")

MIN_RESIZE_TIMEOUT = timedelta(minutes=5)  # Batch refuses a shorter resizeTimeout (400)
DELETE_WAIT = timedelta(minutes=30)  # how long a deleting pool may take to disappear before the drain gives up


__all__ = ["DELETE_WAIT", "MIN_RESIZE_TIMEOUT", "Clock", "Drain", "DrainError", "DrainInterrupted", "SystemClock"]


class SystemClock(_SystemClock):
    """The shared clock (components/common/stopping.py), interrupted with `DrainInterrupted` naming the pool."""

    def __init__(self, pool_name: str) -> None:
        super().__init__(self._interrupted)
        self._pool_name = pool_name

    def _interrupted(self) -> DrainInterrupted:
        return DrainInterrupted(
            f"the drain of pool {self._pool_name!r} was interrupted (Ctrl-C or a cancelled update); the pool keeps "
            "draining in Batch, and the next `pulumi up` or `pulumi destroy` resumes the wait with the same deadline"
        )


def _deadline_text(started: datetime | None, timeout: timedelta) -> str:
    if started is None:
        return "deadline when Batch accepts the resize to zero"
    return f"deadline {utc_iso(started + timeout)[11:16]} UTC"


def _parse_iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class Drain:
    spec: DrainSpec
    pools: PoolCalls
    clock: Clock
    poll_seconds: float
    trail: list[str] = field(default_factory=list)
    progress: Progress = field(default_factory=silent)  # what `pulumi up` shows beside the drain resource

    @property
    def pool_id(self) -> str:
        return self.spec.pool_name

    def run(self) -> list[str]:
        """Drain and delete the pool; returns what was done, in order."""
        pool = self.pools.get(self.pool_id)
        if pool is None:
            self.trail.append("the pool was already gone")
            return self.trail
        if pool.state != "deleting":
            started = _parse_iso(pool.metadata.get(DRAIN_STARTED_METADATA, ""))
            timeout = timedelta(seconds=self.spec.timeout_seconds)
            self.progress.phase("drain", f"pool {self.pool_id}, {_deadline_text(started, timeout)}")
            pool = self._drain(pool)
            if pool is None:
                self.trail.append("the pool was deleted meanwhile")
                return self.trail
            if pool.state != "deleting":
                self.pools.delete(self.pool_id)
                self.trail.append("delete requested")
        self.progress.phase("delete", f"waiting for Batch to delete pool {self.pool_id}")
        self._wait_until_gone()
        self.trail.append("the pool is gone")
        return self.trail

    def _drain(self, pool: PoolState | None) -> PoolState | None:
        """Towards zero nodes until there are none or the deadline passed; the pool as last read."""
        timeout = timedelta(seconds=self.spec.timeout_seconds)
        started = _parse_iso(pool.metadata.get(DRAIN_STARTED_METADATA, "")) if pool else None
        if started is not None:
            self.trail.append(f"resumed the drain started {utc_iso(started)}")
        while pool is not None and pool.state != "deleting":
            if pool.allocation_state == "steady" and pool.nodes == 0:
                self.trail.append("no nodes left")
                return pool
            remaining = timeout if started is None else started + timeout - self.clock.now()
            if remaining <= timedelta(0):
                if pool.nodes:
                    log.warning(
                        "pool %r: drainTimeout %s reached with %d node(s) still in the pool; deleting it now "
                        "terminates the tasks still running there",
                        self.pool_id,
                        self.spec.drain_timeout,
                        pool.nodes,
                    )
                self.trail.append(f"drainTimeout {self.spec.drain_timeout} reached with {pool.nodes} node(s) left")
                return pool
            started = self._step(pool, remaining, started)
            self.progress.status(
                f"{pool.nodes} node(s) left ({pool.allocation_state}), {_deadline_text(started, timeout)}"
            )
            self.clock.sleep(min(self.poll_seconds, remaining.total_seconds()))
            pool = self.pools.get(self.pool_id)
        return pool

    def _step(self, pool: PoolState, remaining: timedelta, started: datetime | None) -> datetime | None:
        """One move towards zero nodes, or none when the pool is already on its way there (or stopping a resize).
        Returns when the drain started: now, when this step's resize was the first Batch accepted."""
        if pool.auto_scale:
            self.pools.disable_auto_scale(self.pool_id)
            self.trail.append("autoscale disabled")
        elif pool.allocation_state == "resizing" and not pool.targets_zero:
            self.pools.stop_resize(self.pool_id)
            self.trail.append(f"stopped a resize to {pool.target_dedicated}+{pool.target_spot} nodes")
        elif pool.allocation_state == "steady":
            resize_timeout = max(timedelta(seconds=int(remaining.total_seconds())), MIN_RESIZE_TIMEOUT)
            now = self.clock.now()
            record = None if started else {**pool.metadata, DRAIN_STARTED_METADATA: utc_iso(now)}
            if self.pools.resize_to_zero(self.pool_id, resize_timeout, record):
                if record is not None:
                    self.trail.append(f"drain started {utc_iso(now)}")
                    started = now
                self.trail.append(f"resized to 0 nodes with TaskCompletion ({pool.nodes} node(s) to leave)")
        return started

    def _wait_until_gone(self) -> None:
        give_up = self.clock.now() + DELETE_WAIT
        while self.pools.get(self.pool_id) is not None:
            if self.clock.now() >= give_up:
                raise DrainError(
                    f"pool {self.pool_id!r} is still being deleted after {DELETE_WAIT}; run the same command again "
                    "to wait for it"
                )
            self.clock.sleep(self.poll_seconds)
