"""The drain sequence (components/pool_drain/drain.py) through its injected Batch calls and clock: each pool state
the drain can meet, and what it asks Batch to do about it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from components.pool_drain.batch import AzureBatchPools, PoolState
from components.pool_drain.drain import DELETE_WAIT, Drain, DrainError
from components.pool_drain.spec import DRAIN_STARTED_METADATA, DrainSpec

START = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
STEADY = PoolState("active", "steady", False, 2, 0, 2, 0)


class FakeClock:
    """The providers' one Clock (components/common/stopping.py): time moves only when the drain sleeps."""

    def __init__(self) -> None:
        self.moment = START

    def monotonic(self) -> float:
        return (self.moment - START).total_seconds()

    def now(self) -> datetime:
        return self.moment

    def cancelled(self) -> bool:
        return False

    def sleep(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


class ScriptedPools:
    """Returns the scripted states one GET after the other (the last one sticks): the first is what the drain finds,
    each next one what a poll finds after the drain's previous step. Records every other call."""

    def __init__(self, *states: PoolState | None, refuse_resizes: int = 0) -> None:
        self.states = list(states)
        self.calls: list[str] = []
        self.metadata: Mapping[str, str] = {}
        self.resize_timeouts: list[timedelta] = []
        self.refuse_resizes = refuse_resizes  # the first n resizes are refused (a 409 lost race)

    def get(self, pool_id: str) -> PoolState | None:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return None if state is None else replace(state, metadata={**state.metadata, **self.metadata})

    def disable_auto_scale(self, pool_id: str) -> None:
        self.calls.append("disable_auto_scale")

    def stop_resize(self, pool_id: str) -> None:
        self.calls.append("stop_resize")

    def resize_to_zero(self, pool_id: str, resize_timeout: timedelta, metadata: Mapping[str, str] | None) -> bool:
        if self.refuse_resizes:
            self.refuse_resizes -= 1
            self.calls.append("resize_to_zero refused")
            return False
        self.calls.append("resize_to_zero" + (" + metadata" if metadata is not None else ""))
        self.resize_timeouts.append(resize_timeout)
        if metadata is not None:
            self.metadata = dict(metadata)
        return True

    def delete(self, pool_id: str) -> None:
        self.calls.append("delete")


def _drain(pools: ScriptedPools, timeout: str = "PT2H") -> tuple[Drain, FakeClock]:
    clock = FakeClock()
    return Drain(DrainSpec("pool-1", "acct.westeurope.batch.azure.com", timeout), pools, clock, 15.0), clock


def test_a_pool_still_growing_is_stopped_then_resized_to_zero():
    growing = replace(STEADY, allocation_state="resizing", target_dedicated=4, current_dedicated=1)
    shrinking = replace(STEADY, allocation_state="resizing", target_dedicated=0)
    empty = replace(STEADY, target_dedicated=0, current_dedicated=0)
    pools = ScriptedPools(growing, replace(STEADY, current_dedicated=1), shrinking, empty, None)

    trail = _drain(pools)[0].run()

    assert pools.calls == ["stop_resize", "resize_to_zero + metadata", "delete"]
    assert trail[-2:] == ["delete requested", "the pool is gone"]


def test_a_resize_that_timed_out_with_nodes_left_is_requested_again_with_what_is_left_of_the_timeout():
    timed_out = replace(STEADY, target_dedicated=0, current_dedicated=1)  # steady again, one node still busy
    empty = replace(timed_out, current_dedicated=0)
    pools = ScriptedPools(STEADY, timed_out, empty, None)

    _drain(pools, "PT1H")[0].run()

    assert pools.calls == ["resize_to_zero + metadata", "resize_to_zero", "delete"]
    assert pools.resize_timeouts == [timedelta(hours=1), timedelta(minutes=59, seconds=45)]


def test_the_resize_timeout_is_never_under_batchs_five_minutes():
    pools = ScriptedPools(STEADY, replace(STEADY, current_dedicated=0, target_dedicated=0), None)

    _drain(pools, "PT2M")[0].run()

    assert pools.resize_timeouts == [timedelta(minutes=5)]


def test_zero_timeout_deletes_at_once_without_a_resize():
    pools = ScriptedPools(STEADY, None)

    trail = _drain(pools, "PT0S")[0].run()

    assert pools.calls == ["delete"]
    assert "drainTimeout PT0S reached with 2 node(s) left" in trail


def test_a_pool_already_deleting_is_only_waited_for():
    deleting = replace(STEADY, state="deleting")
    pools = ScriptedPools(deleting, None)

    _drain(pools)[0].run()

    assert pools.calls == []


def test_a_pool_already_gone_needs_nothing():
    pools = ScriptedPools(None)

    assert _drain(pools)[0].run() == ["the pool was already gone"]
    assert pools.calls == []


def test_a_recorded_start_keeps_its_deadline():
    recorded = replace(STEADY, metadata={DRAIN_STARTED_METADATA: "2026-12-01T09:00:00Z", "owner": "team-a"})
    pools = ScriptedPools(recorded, None)

    trail = _drain(pools, "PT2H")[0].run()  # started 3 hours ago: the 2-hour deadline has passed

    assert pools.calls == ["delete"]
    assert trail[0] == "resumed the drain started 2026-12-01T09:00:00Z"


def test_the_drain_start_keeps_the_pools_other_metadata():
    tagged = replace(STEADY, metadata={"owner": "team-a"})
    pools = ScriptedPools(tagged, replace(tagged, current_dedicated=0, target_dedicated=0), None)

    _drain(pools)[0].run()

    assert pools.metadata == {"owner": "team-a", DRAIN_STARTED_METADATA: "2026-12-01T12:00:00Z"}


def test_a_refused_resize_records_no_start_and_the_deadline_starts_with_the_accepted_one():
    """Issue 24 point 2: the drain's clock starts when Batch accepts the resize to zero, in the same request."""
    shrinking = replace(STEADY, allocation_state="resizing", target_dedicated=0, current_dedicated=1)
    empty = replace(STEADY, target_dedicated=0, current_dedicated=0)
    pools = ScriptedPools(STEADY, STEADY, shrinking, empty, None, refuse_resizes=1)
    _drain(pools, "PT1H")[0].run()

    assert pools.calls == ["resize_to_zero refused", "resize_to_zero + metadata", "delete"]
    assert pools.metadata == {DRAIN_STARTED_METADATA: "2026-12-01T12:00:15Z"}  # the second try, one poll later
    assert pools.resize_timeouts == [timedelta(hours=1)]  # the whole drainTimeout, not what the refused try left


def test_autoscale_is_disabled_before_the_resize():
    autoscaled = replace(STEADY, auto_scale=True)
    pools = ScriptedPools(autoscaled, STEADY, replace(STEADY, current_dedicated=0), None)

    _drain(pools)[0].run()

    assert pools.calls == ["disable_auto_scale", "resize_to_zero + metadata", "delete"]


def test_a_deletion_that_never_ends_fails_with_what_to_do():
    deleting = replace(STEADY, state="deleting")
    pools = ScriptedPools(deleting)
    drain, clock = _drain(pools)

    with pytest.raises(DrainError, match="still being deleted after 0:30:00; run the same command again"):
        drain.run()
    assert clock.moment - START >= DELETE_WAIT


# --- the management-plane adapter: a pool that changed between the drain's read and its call ----------------------


class _RacingClient:
    """A BatchManagementClient whose pool changed under the drain: every pool call fails as ARM answers."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        self.status, self.code, self.message, self.calls = status, code, message or code, 0
        self.pool = self

    def __getattr__(self, name: str) -> object:
        def call(*_args: object, **_kwargs: object) -> None:
            self.calls += 1
            error = (ResourceNotFoundError if self.status == 404 else HttpResponseError)(message=self.message)
            error.status_code, error.reason = self.status, self.code
            raise error

        return call


@pytest.mark.parametrize(
    ("status", "code"), [(404, "PoolNotFound"), (409, "PoolBeingDeleted"), (409, "PoolBeingResized")]
)
def test_a_lost_race_is_left_to_the_next_poll(status: int, code: str) -> None:
    client = _RacingClient(status, code)
    pools = AzureBatchPools(client, "rg", "acct")  # type: ignore[arg-type]
    pools.disable_auto_scale("old")
    pools.stop_resize("old")
    accepted = pools.resize_to_zero("old", timedelta(minutes=5), {"k": "v"})
    pools.delete("old")
    assert client.calls == 4 and accepted is False  # each call was made, none stopped the drain, nothing recorded


def test_other_batch_errors_still_fail_the_drain() -> None:
    pools = AzureBatchPools(_RacingClient(500, "InternalServerError"), "rg", "acct")  # type: ignore[arg-type]
    with pytest.raises(HttpResponseError):
        pools.resize_to_zero("old", timedelta(minutes=5), None)
