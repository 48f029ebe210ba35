"""The pool drain under what the Pulumi engine does, against the fake Batch (the drain on its management plane, the
consumer on its data plane), through the real dynamic-provider server: a version bump (new pool's drain created, old
one deleted at the end of the update), the drain timeout, Ctrl-C (SIGINT, 5 s, SIGKILL) and the rerun, refresh after
the pool is gone."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from components.common.iso_duration import duration_seconds
from components.pool_drain.spec import DRAIN_STARTED_METADATA
from tests.pool_drain.conftest import NEW_POOL, OLD_POOL, live_pool, wait_for


def _recorded(provider, props):
    """The drain resource as an earlier `pulumi up` left it in the state."""
    checked, failures = provider.check(props)
    assert failures == []
    return provider.create(checked)


def _resizes(world, pool_id):
    return world.resizes(pool_id)


def test_a_version_bump_lets_the_running_task_finish_then_deletes_the_old_pool_while_new_jobs_land_on_the_new_one(
    batch, start_provider, drain_props
):
    world = batch(live_pool(OLD_POOL, nodes=2, task_seconds=1.5), live_pool(NEW_POOL, nodes=1, task_seconds=0.5))
    world.submit(OLD_POOL, "before-rollout")
    assert world.task("before-rollout").state == "running"
    provider = start_provider(world)
    old_id, old_state = _recorded(provider, drain_props(OLD_POOL))

    # `pulumi up` after the bump: the new pool and its drain resource first, the old drain resource deleted at the end.
    new_id, _ = _recorded(provider, drain_props(NEW_POOL))
    pending = provider.delete_async(old_id, old_state)
    wait_for(lambda: _resizes(world, OLD_POOL))
    world.submit(NEW_POOL, "during-drain")  # a consumer following the poolName output, which already moved
    pending.result(timeout=60)

    assert new_id != old_id
    (resize,) = _resizes(world, OLD_POOL)
    fixed = resize["scaleSettings"]["fixedScale"]
    assert fixed == {
        "targetDedicatedNodes": 0,
        "targetLowPriorityNodes": 0,
        "resizeTimeout": fixed["resizeTimeout"],
        "nodeDeallocationOption": "TaskCompletion",
    }
    assert 2 * 3600 - 30 <= duration_seconds(fixed["resizeTimeout"]) <= 2 * 3600  # what is left of drainTimeout PT2H
    finished = world.task("before-rollout")
    assert (finished.state, finished.execution_info.exit_code, finished.execution_info.requeue_count) == (
        "completed",
        0,
        0,
    )
    assert world.pool(OLD_POOL).deleted_at >= world.task_ends("before-rollout"), "deleted before its task ended"
    assert world.gone(OLD_POOL) and world.fake.stopped_tasks == []
    landed = world.task("during-drain")
    assert landed.node_info.pool_id == NEW_POOL and landed.state in ("running", "completed")
    assert not world.gone(NEW_POOL) and _resizes(world, NEW_POOL) == []


def test_the_drain_timeout_deletes_the_pool_with_a_task_still_running_and_says_so(batch, start_provider, drain_props):
    world = batch(live_pool(OLD_POOL, nodes=1, task_seconds=120.0))
    world.submit(OLD_POOL, "long")
    provider = start_provider(world)
    old_id, old_state = _recorded(provider, drain_props(OLD_POOL, "PT2S"))

    started = time.monotonic()
    provider.delete(old_id, old_state)

    assert time.monotonic() - started < 15  # the 2-second timeout, not the task's 2 minutes
    assert world.gone(OLD_POOL) and world.fake.stopped_tasks == [("long", "work")]
    assert world.task("long").state == "active"  # Batch requeues what a pool deletion stopped
    assert f"pool '{OLD_POOL}': drainTimeout PT2S reached with 1 node(s) still in the pool" in provider.stderr()


def test_an_autoscaled_pool_gets_autoscale_disabled_before_its_resize(batch, start_provider, drain_props):
    world = batch(live_pool(OLD_POOL, nodes=2, task_seconds=1.0, enable_auto_scale=True))
    world.submit(OLD_POOL, "job")
    provider = start_provider(world)
    old_id, old_state = _recorded(provider, drain_props(OLD_POOL))

    provider.delete(old_id, old_state)

    posts = world.fake.calls("POST", f"{world.arm_path(OLD_POOL)}/")
    assert posts == [f"{world.arm_path(OLD_POOL)}/disableAutoScale"] and len(_resizes(world, OLD_POOL)) == 1
    assert world.gone(OLD_POOL) and world.task("job").state == "completed" and world.fake.stopped_tasks == []


def test_sigint_during_the_drain_exits_within_the_grace_and_the_rerun_resumes_and_finishes(
    batch, start_provider, drain_props
):
    world = batch(live_pool(OLD_POOL, nodes=2, task_seconds=4.0))
    world.submit(OLD_POOL, "running")
    provider = start_provider(world)
    old_id, old_state = _recorded(provider, drain_props(OLD_POOL))
    pending = provider.delete_async(old_id, old_state)
    wait_for(lambda: _resizes(world, OLD_POOL))

    signalled = time.monotonic()
    assert provider.interrupt(grace=5.0) == "exited"  # ended on its own, never needed SIGKILL
    assert time.monotonic() - signalled < 5.0
    with pytest.raises(grpc.RpcError):
        pending.result()
    assert "the drain of pool" in provider.stderr() and "resumes the wait" in provider.stderr()
    assert not world.gone(OLD_POOL) and world.pool(OLD_POOL).state == "active"  # still draining, not deleted

    # The delete did not finish, so the resource is still in the state: the next `up` (or `destroy`) deletes it again.
    start_provider(world).delete(old_id, old_state)

    assert len(_resizes(world, OLD_POOL)) == 1, "the rerun left the resize under way alone"
    assert ["metadata" in r for r in _resizes(world, OLD_POOL)] == [True], "the drain start was recorded once"
    assert world.task("running").state == "completed" and world.fake.stopped_tasks == []
    assert world.gone(OLD_POOL) and world.pool(OLD_POOL).deleted_at >= world.task_ends("running")


def test_a_rerun_keeps_the_first_runs_deadline(batch, start_provider, drain_props):
    world = batch(live_pool(OLD_POOL, nodes=1, task_seconds=600.0))
    world.submit(OLD_POOL, "long")
    first = start_provider(world)
    old_id, old_state = _recorded(first, drain_props(OLD_POOL, "PT10M"))
    pending = first.delete_async(old_id, old_state)
    wait_for(lambda: _resizes(world, OLD_POOL))
    assert first.interrupt() == "exited"
    with pytest.raises(grpc.RpcError):
        pending.result()
    recorded = {item["name"]: item["value"] for item in world.pool(OLD_POOL).metadata}
    assert DRAIN_STARTED_METADATA in recorded
    # The rerun comes 11 minutes after the first run started the drain: its PT10M deadline has passed.
    started = datetime.fromisoformat(recorded[DRAIN_STARTED_METADATA].replace("Z", "+00:00")) - timedelta(minutes=11)
    recorded[DRAIN_STARTED_METADATA] = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    world.pool(OLD_POOL).metadata = [{"name": name, "value": value} for name, value in recorded.items()]

    rerun = start_provider(world)
    resumed = time.monotonic()
    rerun.delete(old_id, old_state)

    # Restarted, the deadline would hold the task (and this delete) for 10 more minutes
    assert time.monotonic() - resumed < 60, "the deadline restarted instead of resuming (PT10M from the first run)"
    assert f"resumed the drain started {recorded[DRAIN_STARTED_METADATA]}" in rerun.stderr()
    assert world.gone(OLD_POOL) and world.fake.stopped_tasks == [("long", "work")]


def test_refresh_drops_the_drain_resource_once_its_pool_is_gone(batch, start_provider, drain_props):
    world = batch(live_pool(OLD_POOL, nodes=1), live_pool(NEW_POOL, nodes=1))
    provider = start_provider(world)
    old_id, old_state = _recorded(provider, drain_props(OLD_POOL))
    new_id, new_state = _recorded(provider, drain_props(NEW_POOL))
    world.client.begin_delete_pool(OLD_POOL)  # deleted out of band (the portal, a script)
    wait_for(lambda: world.gone(OLD_POOL))

    gone_id, _, _ = provider.read(old_id, old_state)
    kept_id, kept_props, kept_inputs = provider.read(new_id, new_state)

    assert gone_id == ""  # an empty id: the engine drops the resource from the state without calling delete
    assert kept_id == new_id and kept_props["pool_name"] == NEW_POOL and kept_inputs["pool_name"] == NEW_POOL
    assert world.fake.calls("DELETE", world.arm_path(NEW_POOL)) == []


def test_refresh_keeps_the_drain_resource_when_the_pool_cannot_be_read(batch, start_provider, drain_props):
    world = batch(live_pool(OLD_POOL, nodes=1))
    provider = start_provider(world)
    old_id, old_state = _recorded(provider, drain_props(OLD_POOL))
    world.fake.scenario.arm_denied = {"Microsoft.Batch/batchAccounts/pools/read"}  # no role on the account

    kept_id, kept_props, _ = provider.read(old_id, old_state)

    assert kept_id == old_id and kept_props["pool_name"] == OLD_POOL  # `pulumi refresh` goes on with the rest
    assert "not read" in provider.stderr()


def test_check_and_diff_as_the_engine_sees_them(batch, start_provider, drain_props):
    world = batch()
    provider = start_provider(world)
    _, failures = provider.check(drain_props(OLD_POOL, "2 hours"))
    old_id, old_state = _recorded(provider, drain_props(OLD_POOL))

    new_pool = provider.diff(old_id, old_state, provider.check(drain_props(NEW_POOL))[0])
    new_timeout = provider.diff(old_id, old_state, provider.check(drain_props(OLD_POOL, "PT4H"))[0])

    assert failures == [("drain_timeout", "'2 hours' is not an ISO 8601 duration such as PT5M or PT1H")]
    assert list(new_pool.replaces) == ["pool_name"] and new_pool.deleteBeforeReplace is False
    assert new_timeout.changes == provider_pb2.DiffResponse.DIFF_SOME and list(new_timeout.replaces) == []
    assert world.fake.requests == []  # check, diff and create never call Batch
