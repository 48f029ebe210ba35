"""The drain on Batch's management plane (issue 24, points 2 and 3) and its records: the data-plane endpoint closed,
a 403 as one message, the deadline that starts only when a resize is accepted, and drain records written before the
pool's ARM id was an input (the props exactly as main at 962c36f wrote them)."""

from __future__ import annotations

import time

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from components.pool_drain.spec import DRAIN_STARTED_METADATA
from fakes.provider_process import ProviderError
from tests.pool_drain.conftest import NEW_POOL, OLD_POOL, live_pool


def _recorded(provider, props):
    checked, failures = provider.check(props)
    assert failures == []
    return provider.create(checked)


def _data_plane_requests(world, since: int) -> list[tuple[str, str]]:
    return [(m, p) for m, p in world.fake.requests[since:] if not p.startswith("/subscriptions")]


def test_the_drain_works_with_the_accounts_data_plane_endpoint_closed(batch, start_provider, drain_props):
    world = batch(live_pool(OLD_POOL, nodes=2, task_seconds=2.0))
    world.submit(OLD_POOL, "running")
    provider = start_provider(world)
    old_id, old_state = _recorded(provider, drain_props(OLD_POOL))
    world.fake.scenario.data_plane_closed = True  # publicNetworkAccess: Disabled, as the policy pack advises
    before = len(world.fake.requests)

    provider.delete(old_id, old_state)

    assert world.gone(OLD_POOL) and world.fake.stopped_tasks == []
    assert world.pool(OLD_POOL).deleted_at >= world.task_ends("running"), "deleted before its task ended"
    assert _data_plane_requests(world, before) == []  # every call went to ARM
    assert world.fake.calls("DELETE", world.arm_path(OLD_POOL)) == [world.arm_path(OLD_POOL)]


def test_a_403_from_arm_is_one_message_naming_the_pool_and_the_role_and_the_pool_is_untouched(
    batch, start_provider, drain_props
):
    world = batch(live_pool(OLD_POOL, nodes=1, task_seconds=2.0))
    world.fake.scenario.arm_denied = {"Microsoft.Batch/batchAccounts/pools/write"}  # a Reader on the account
    provider = start_provider(world)
    old_id, old_state = _recorded(provider, drain_props(OLD_POOL))

    with pytest.raises(ProviderError) as failed:
        provider.delete(old_id, old_state)

    last_line = failed.value.details.strip().splitlines()[-1]
    assert last_line.startswith(f"components.pool_drain.errors.DrainError: pool '{OLD_POOL}': Azure refused the action")
    assert "Microsoft.Batch/batchAccounts/pools/write" in last_line and "grant" in last_line
    assert "Contributor on the Batch account" in last_line
    assert "azure/core" not in failed.value.details and "HttpResponseError" not in failed.value.details
    assert not world.gone(OLD_POOL) and world.pool(OLD_POOL).metadata == []  # nothing recorded, nothing deleted


def test_the_deadline_starts_when_the_resize_is_accepted_not_when_a_refused_drain_ran(
    batch, start_provider, drain_props
):
    """A drain that fails at its resize (here a 403), fixed and rerun later, gives the running task the whole
    drainTimeout from the rerun: the first run's clock never started."""
    props = drain_props(OLD_POOL, "PT2S")  # before the task starts: the first call runs the program (seconds)
    world = batch(live_pool(OLD_POOL, nodes=1, task_seconds=4.0))
    world.fake.scenario.arm_denied = {"Microsoft.Batch/batchAccounts/pools/write"}
    first = start_provider(world)
    old_id, old_state = _recorded(first, props)
    world.submit(OLD_POOL, "running")
    with pytest.raises(ProviderError):
        first.delete(old_id, old_state)
    time.sleep(2.5)  # the role is granted a while later: past the first run + drainTimeout
    world.fake.scenario.arm_denied = set()

    rerun_started = time.time()
    start_provider(world).delete(old_id, old_state)

    assert world.task("running").state == "completed" and world.fake.stopped_tasks == []
    recorded = {item["name"]: item["value"] for item in world.pool(OLD_POOL).metadata}[DRAIN_STARTED_METADATA]
    assert recorded >= time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(rerun_started)))


def test_the_drain_start_travels_in_the_resize_request_with_the_pools_other_metadata(
    batch, start_provider, drain_props
):
    world = batch(live_pool(OLD_POOL, nodes=1, task_seconds=0.5, metadata=[{"name": "owner", "value": "team-a"}]))
    provider = start_provider(world)
    old_id, old_state = _recorded(provider, drain_props(OLD_POOL))

    provider.delete(old_id, old_state)

    patches = world.fake.bodies_of("PATCH", world.arm_path(OLD_POOL))
    assert len(patches) == 1, "one request: the resize and the drain start together"
    assert set(patches[0]["properties"]) == {"scaleSettings", "metadata"}
    assert [item["name"] for item in patches[0]["properties"]["metadata"]] == ["owner", DRAIN_STARTED_METADATA]


# --- drain records written before the pool's ARM id was an input -------------------------------------------------


def test_adding_the_pool_arm_id_to_a_record_written_by_main_is_an_update_never_a_replace(
    batch, start_provider, drain_props, main_drain_props
):
    world = batch(live_pool(OLD_POOL, nodes=1, task_seconds=1.0))
    provider = start_provider(world)
    old_id, old_state = _recorded(provider, main_drain_props(OLD_POOL))
    news, failures = provider.check(drain_props(OLD_POOL), old_state)

    diff = provider.diff(old_id, old_state, news)
    updated = provider.update(old_id, old_state, news)

    assert failures == [] and diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == [], "a replacement would drain and delete the live pool"
    assert updated["pool_resource_id"] == world.pool(OLD_POOL).arm_id
    assert not world.gone(OLD_POOL) and world.fake.requests == []  # check, diff and update never call Batch


def test_a_record_written_by_main_still_drains_through_arm_finding_its_account_by_endpoint(
    batch, start_provider, main_drain_props
):
    """The first `up` after the upgrade also replaces the pool: the engine deletes the old drain with its old state."""
    world = batch(live_pool(OLD_POOL, nodes=1, task_seconds=1.5), live_pool(NEW_POOL, nodes=1))
    world.submit(OLD_POOL, "running")
    world.fake.scenario.data_plane_closed = True
    provider = start_provider(world)
    old_props = main_drain_props(OLD_POOL)
    old_id = f"{old_props['account_endpoint']}/pools/{OLD_POOL}/drain"  # the id main gave it

    provider.delete(old_id, old_props)

    assert world.gone(OLD_POOL) and not world.gone(NEW_POOL) and world.fake.stopped_tasks == []
    assert world.fake.calls("GET", "/subscriptions") and len(world.resizes(OLD_POOL)) == 1


def test_a_record_written_by_main_whose_account_is_not_visible_fails_with_one_message_and_leaves_the_pool(
    batch, start_provider, main_drain_props
):
    world = batch(live_pool(OLD_POOL, nodes=1, task_seconds=1.0))
    provider = start_provider(world)
    old_props = {**main_drain_props(OLD_POOL), "account_endpoint": "other.westeurope.batch.azure.com"}

    with pytest.raises(ProviderError) as failed:
        provider.delete("other.westeurope.batch.azure.com/pools/x/drain", old_props)

    last_line = failed.value.details.strip().splitlines()[-1]
    assert f"pool '{OLD_POOL}': its drain record predates the pool's ARM id" in last_line
    assert "'other.westeurope.batch.azure.com'" in last_line and "run the same command again" in last_line
    assert world.fake.calls("PATCH", "/subscriptions") == [] and world.fake.calls("DELETE", "/subscriptions") == []
    assert not world.gone(OLD_POOL)


def test_the_drain_stops_a_growing_pool_waits_while_it_is_stopping_then_drains_it(batch, start_provider, drain_props):
    """Against the fake's spec rules: a resize up really grows the pool, a stop-resize passes through `stopping`."""
    grower = live_pool(OLD_POOL, nodes=1, task_seconds=1.0)
    grower.grow_seconds, grower.stop_seconds = 60.0, 1.0
    world = batch(grower)
    world.client.begin_resize_pool(OLD_POOL, _resize(4), polling_interval=3600)  # an autoscale-like growth under way
    provider = start_provider(world)
    old_id, old_state = _recorded(provider, drain_props(OLD_POOL))

    provider.delete(old_id, old_state)

    arm = [(m, p.rsplit("/", 1)[-1]) for m, p in world.fake.requests if p.startswith(world.arm_path(OLD_POOL))]
    actions = [a for a in arm if a[0] != "GET"]
    assert actions == [("POST", "stopResize"), ("PATCH", OLD_POOL), ("DELETE", OLD_POOL)]
    assert "the pool is gone" in provider.stderr() and world.gone(OLD_POOL)


def _resize(dedicated: int, timeout_minutes: int = 15):
    from datetime import timedelta

    from azure.batch.models import BatchPoolResizeOptions

    return BatchPoolResizeOptions(target_dedicated_nodes=dedicated, resize_timeout=timedelta(minutes=timeout_minutes))


def test_sigint_while_arm_throttles_the_resize_exits_within_the_grace_and_says_what_it_gave_up(
    batch, start_provider, drain_props
):
    """azure-core's default retry would sleep out the 60 s Retry-After in one call, past the engine's 5 s grace."""
    world = batch(live_pool(OLD_POOL, nodes=1, task_seconds=30.0))
    world.fake.scenario.arm_throttled = {"Microsoft.Batch/batchAccounts/pools/write"}
    provider = start_provider(world)
    old_id, old_state = _recorded(provider, drain_props(OLD_POOL))
    pending = provider.delete_async(old_id, old_state)
    path = world.arm_path(OLD_POOL)
    deadline = time.monotonic() + 30
    while not world.fake.calls("PATCH", path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert world.fake.calls("PATCH", path), "the drain never asked for the resize"

    signalled = time.monotonic()
    assert provider.interrupt(grace=5.0) == "exited"
    assert time.monotonic() - signalled < 5.0
    with pytest.raises(grpc.RpcError):
        pending.result()
    assert "stopped retrying" in provider.stderr() and "HTTP 429" in provider.stderr()
    assert world.pool(OLD_POOL).metadata == [], "no drain start recorded: the resize was never accepted"
