"""The fake Batch follows Batch's REST spec, not kinder (issue 24, point 16): the rules the drain meets, on the data
plane (2025-06-01, the consumer's and `make smoke`'s client) and the management plane (2024-07-01, the drain's)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from azure.batch.models import BatchPoolResizeOptions, BatchPoolUpdateOptions
from azure.core.exceptions import HttpResponseError
from azure.mgmt.batch import BatchManagementClient

from components.common.loopback import LoopbackTestCredential
from fakes.batch import ACCOUNT, RESOURCE_GROUP, SUBSCRIPTION
from tests.pool_drain.conftest import OLD_POOL, live_pool, wait_for


def _resize(dedicated: int, minutes: float = 15) -> BatchPoolResizeOptions:
    return BatchPoolResizeOptions(target_dedicated_nodes=dedicated, resize_timeout=timedelta(minutes=minutes))


def _arm(world) -> BatchManagementClient:
    return BatchManagementClient(
        LoopbackTestCredential(),
        SUBSCRIPTION,
        base_url=world.server.url,
        credential_scopes=[f"{world.server.url}/.default"],
        connection_verify=str(world.server.ca_file),
        api_version="2024-07-01",
    )


def test_a_resize_timeout_under_five_minutes_is_refused_with_400(batch):
    world = batch(live_pool(OLD_POOL, nodes=2))

    with pytest.raises(HttpResponseError) as refused:
        world.client.begin_resize_pool(OLD_POOL, _resize(0, minutes=2), polling_interval=3600)
    arm_refused = _arm_patch_status(
        world, {"scaleSettings": {"fixedScale": {"targetDedicatedNodes": 0, "resizeTimeout": "PT4M"}}}
    )

    assert refused.value.status_code == 400 and arm_refused == 400
    assert world.client.get_pool(OLD_POOL).allocation_state == "steady"


def test_a_resize_of_a_resizing_pool_is_a_409_pool_being_resized(batch):
    world = batch(live_pool(OLD_POOL, nodes=1))
    world.pool(OLD_POOL).grow_seconds = 60.0
    world.client.begin_resize_pool(OLD_POOL, _resize(3), polling_interval=3600)

    with pytest.raises(HttpResponseError) as conflict:
        world.client.begin_resize_pool(OLD_POOL, _resize(0), polling_interval=3600)

    assert conflict.value.status_code == 409 and conflict.value.error is not None
    assert conflict.value.error.code == "PoolBeingResized"


def test_a_resize_up_grows_the_pool(batch):
    world = batch(live_pool(OLD_POOL, nodes=1))

    world.client.begin_resize_pool(OLD_POOL, _resize(3), polling_interval=3600)
    wait_for(lambda: world.client.get_pool(OLD_POOL).allocation_state == "steady", seconds=10)

    pool = world.client.get_pool(OLD_POOL)
    assert (pool.current_dedicated_nodes, pool.target_dedicated_nodes) == (3, 3)


def test_a_stop_resize_passes_through_stopping_before_steady(batch):
    world = batch(live_pool(OLD_POOL, nodes=1))
    world.pool(OLD_POOL).grow_seconds, world.pool(OLD_POOL).stop_seconds = 60.0, 0.5
    world.client.begin_resize_pool(OLD_POOL, _resize(3), polling_interval=3600)

    world.client.begin_stop_pool_resize(OLD_POOL, polling_interval=3600)
    during = world.client.get_pool(OLD_POOL).allocation_state
    time.sleep(0.6)
    after = world.client.get_pool(OLD_POOL)

    assert during == "stopping"
    assert (after.allocation_state, after.current_dedicated_nodes) == ("steady", 1)  # where it was when stopped


def test_an_update_in_place_of_anything_but_the_five_is_refused_while_the_pool_has_nodes(batch):
    world = batch(live_pool(OLD_POOL, nodes=1))

    vm_size = _arm_patch_status(world, {"vmSize": "STANDARD_D4S_V5"})
    subnet = _arm_patch_status(world, {"networkConfiguration": {"subnetId": "/subscriptions/x/subnets/y"}})
    metadata = _arm_patch_status(world, {"metadata": [{"name": "owner", "value": "team-a"}]})
    with pytest.raises(HttpResponseError) as data_plane:
        world.client.update_pool(OLD_POOL, BatchPoolUpdateOptions(display_name="renamed"))

    assert (vm_size, subnet, metadata) == (409, 409, 200)
    assert data_plane.value.status_code == 409


def test_an_empty_pool_takes_an_update_in_place(batch):
    world = batch(live_pool(OLD_POOL, nodes=0))

    assert _arm_patch_status(world, {"vmSize": "STANDARD_D4S_V5"}) == 200


def test_with_the_data_plane_closed_arm_still_answers(batch):
    world = batch(live_pool(OLD_POOL, nodes=1))
    world.fake.scenario.data_plane_closed = True

    with pytest.raises(HttpResponseError) as closed:
        world.client.get_pool(OLD_POOL)
    with _arm(world) as client:
        pool = client.pool.get(RESOURCE_GROUP, ACCOUNT, OLD_POOL)

    assert closed.value.status_code == 403 and pool.properties is not None
    assert pool.properties.current_dedicated_nodes == 1 and pool.properties.allocation_state == "Steady"


def _arm_patch_status(world, properties) -> int:
    with _arm(world) as client:
        try:
            client.pool.update(RESOURCE_GROUP, ACCOUNT, OLD_POOL, {"properties": properties})
        except HttpResponseError as err:
            return int(err.status_code or 0)
    return 200
