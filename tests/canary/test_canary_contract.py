"""The canary's contract as the engine sees it (check, diff, update, read) through the provider server, and the fake
Batch's own rules for the canary's pool (Pool - Create)."""

from __future__ import annotations

import json

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.batch import BatchManagementClient
from pulumi.runtime.proto import provider_pb2

from components.common.loopback import LoopbackTestCredential
from fakes.batch import ACCOUNT, ACCOUNT_ID, ARM_API_VERSION, RESOURCE_GROUP, SUBSCRIPTION
from tests.canary.conftest import booting, canary_pool, canary_props, node


def _record(provider, **changes):
    props = canary_props(**changes)
    return provider.create(provider.check(props)[0])


def test_check_names_each_bad_input_with_its_value_before_anything_is_created(world, start_provider):
    w = world(canary_pool(booting()))
    provider = start_provider(w)
    body = canary_props()["pool_body"]
    body["properties"]["scaleSettings"]["fixedScale"]["targetLowPriorityNodes"] = 3
    _, failures = provider.check(
        canary_props(timeout="30 minutes", image_version_id=canary_props("1.5.0")["image_version_id"], pool_body=body)
    )
    reasons = dict(failures)
    assert set(reasons) == {"timeout", "image_version_id", "pool_body"}
    assert "'30 minutes' is not an ISO 8601 duration" in reasons["timeout"]
    assert "names version '1.5.0', not image_version '1.4.0'" in reasons["image_version_id"]
    assert "must target exactly one node" in reasons["pool_body"]
    assert w.fake.requests == []


def test_a_failed_canary_is_replaced_by_the_next_up_even_with_the_same_inputs(world, start_provider):
    w = world(canary_pool(node("creating", "unusable")))
    provider = start_provider(w)
    id_, olds = _record(provider)
    assert olds["passed"] is False
    diff = provider.diff(id_, olds, provider.check(canary_props())[0])
    assert list(diff.replaces) == ["passed"] and diff.deleteBeforeReplace is False


def test_a_new_image_version_replaces_a_passed_canary(world, start_provider):
    w = world(canary_pool(booting()))
    provider = start_provider(w)
    id_, olds = _record(provider)
    diff = provider.diff(id_, olds, provider.check(canary_props("1.5.0"))[0])
    assert set(diff.replaces) == {"image_version", "image_version_id"}


def test_another_change_is_an_update_that_records_it_without_running_the_canary_again(world, start_provider):
    w = world(canary_pool(booting()))
    provider = start_provider(w)
    id_, olds = _record(provider)
    calls = len(w.fake.requests)
    news = provider.check(canary_props(command="/bin/sh -c 'nvidia-smi'", timeout="PT45M"))[0]

    diff = provider.diff(id_, olds, news)
    updated = provider.update(id_, olds, news)
    read_id, read_props, _ = provider.read(id_, updated)

    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    assert updated["command"] == "/bin/sh -c 'nvidia-smi'" and updated["timeout"] == "PT45M"
    assert (updated["passed"], updated["pool_name"], updated["node_minutes"]) == (True, id_, olds["node_minutes"])
    assert read_id == id_ and read_props["passed"] is True  # refresh: a pool gone after a pass is normal
    assert len(w.fake.requests) == calls  # diff, update and read call nothing


def test_the_fake_refuses_a_pool_create_the_spec_rejects(world):
    """Pool - Create (2024-07-01): poolName ^[a-zA-Z0-9_-]+$ up to 64 characters; imageReference and nodeAgentSkuId
    required (fakes/data/batch/SOURCE.md)."""
    w = world(canary_pool(booting()))
    client = BatchManagementClient(
        LoopbackTestCredential(),
        SUBSCRIPTION,
        base_url=w.server.url,
        credential_scopes=[f"{w.server.url}/.default"],
        connection_verify=str(w.server.ca_file),
        api_version=ARM_API_VERSION,
    )
    body = canary_props()["pool_body"]
    no_agent = json.loads(json.dumps(body))
    del no_agent["properties"]["deploymentConfiguration"]["virtualMachineConfiguration"]["nodeAgentSkuId"]
    with pytest.raises(HttpResponseError) as long_name:
        client.pool.create(RESOURCE_GROUP, ACCOUNT, "c" * 65, body)
    with pytest.raises(HttpResponseError) as missing:
        client.pool.create(RESOURCE_GROUP, ACCOUNT, "canary-ok", no_agent)
    created = client.pool.create(RESOURCE_GROUP, ACCOUNT, "canary-ok", body)
    assert long_name.value.status_code == missing.value.status_code == 400
    assert created.id == f"{ACCOUNT_ID}/pools/canary-ok"
    assert created.properties is not None and created.properties.vm_size == "Standard_D2s_v5"
    assert [p.name for p in client.pool.list_by_batch_account(RESOURCE_GROUP, ACCOUNT)] == ["canary-ok"]
