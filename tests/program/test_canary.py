"""The canary in the program, under mocks (issue 20): what waits for it, what it boots, what a failure leaves.

The mocks answer the ImageCanary by its type token (tools/plan/offline.py `_canary_outputs`): passed, or failed with
the message a test gives (`run_program(canary_failure=...)`), as the provider returns `passed`/`failure`.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.rpc import UNKNOWN

from components.canary.commands import default_command
from components.canary.gate import BATCH_DATA_CONTRIBUTOR, CanaryFailed
from components.canary.resource import CANARY_TYPE, LATEST_TYPE
from components.image_versions import RecordError
from components.settings import SettingsError
from tests.program.test_program import _deletion_waves
from tools.plan.offline import DEPLOYER_OBJECT_ID, ProgramRun, RegisteredResource, run_program

POOL = "azure-native:batch:Pool"
VERSION = "azure-native:compute:GalleryImageVersion"
ROLE = "azure-native:authorization:RoleAssignment"
BATCH = "azure-native:batch:BatchAccount"
DRAIN = "pulumi-python:dynamic/pools:PoolDrain"
SUBSCRIPTION = "/subscriptions/00000000-0000-4000-8000-000000000001"
SUBNET = f"{SUBSCRIPTION}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/batch"
IDENTITY = f"{SUBSCRIPTION}/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/render-id"
OFF = {"image": {"canary": {"enabled": False}}}


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run_program()


def _image_id(pool: RegisteredResource) -> Any:
    return pool.inputs["deploymentConfiguration"]["virtualMachineConfiguration"]["imageReference"]["id"]


def _role(run: ProgramRun) -> RegisteredResource:
    return next(r for r in run.of_type(ROLE) if r.name == "batch-deployer-data-access")


# --- the production pools wait for it ------------------------------------------------------------------------------


def test_production_pools_take_their_image_from_the_canary_result(dev: ProgramRun) -> None:
    canary, version = dev.one(CANARY_TYPE), dev.one(VERSION)
    assert canary.inputs["image_version_id"] == version.outputs["id"]
    for pool in dev.of_type(POOL):
        assert _image_id(pool) == version.outputs["id"]  # once it passed, the version it tested
        assert canary.urn in pool.property_dependencies["deploymentConfiguration"]
    assert dev.outputs["galleryImageVersionId"] == version.outputs["id"]


def test_in_a_preview_the_pools_image_is_unknown_until_the_canary_ran() -> None:
    preview = run_program(preview=True)
    assert all(_image_id(pool) == UNKNOWN for pool in preview.of_type(POOL))
    assert preview.one(LATEST_TYPE).inputs.get("latest_version", UNKNOWN) == UNKNOWN


def test_a_pool_pinned_to_another_version_does_not_wait_for_the_canary() -> None:
    first = run_program()
    pools = [{**p, "imageVersion": "1.0.0"} if p["name"] == "burst" else p for p in _dev_pools()]
    run = run_program({"image": {"version": "1.1.0"}, "pools": pools}, stack_outputs=first.outputs)
    by_name = {p.name: p for p in run.of_type(POOL)}
    canary = run.one(CANARY_TYPE)
    assert canary.inputs["image_version"] == "1.1.0"
    assert canary.urn in by_name["pools-render"].property_dependencies["deploymentConfiguration"]
    assert canary.urn not in by_name["pools-burst"].property_dependencies["deploymentConfiguration"]
    assert _image_id(by_name["pools-burst"]).endswith("/versions/1.0.0")


def _dev_pools() -> list[dict[str, Any]]:
    return [dict(p) for p in run_program().config["batch-custom-image:pools"]]


# --- the gallery's `latest` ----------------------------------------------------------------------------------------


def test_the_new_version_starts_excluded_from_latest_and_gallery_latest_owns_the_flag(dev: ProgramRun) -> None:
    version = dev.one(VERSION)
    assert version.inputs["publishingProfile"]["excludeFromLatest"] is True
    assert version.options["ignoreChanges"] == ["publishingProfile.excludeFromLatest"]
    latest, canary = dev.one(LATEST_TYPE), dev.one(CANARY_TYPE)
    assert latest.inputs["latest_version"] == "1.0.0" and latest.inputs["versions"] == ["1.0.0"]
    assert canary.urn in latest.property_dependencies["latest_version"]  # lifted only after the canary
    assert version.urn in latest.dependencies


def test_a_new_version_lists_every_gallery_version_for_gallery_latest(dev: ProgramRun) -> None:
    run = run_program({"image": {"version": "1.1.0"}}, stack_outputs=dev.outputs)
    latest = run.one(LATEST_TYPE)
    assert latest.inputs["versions"] == ["1.1.0", "1.0.0"] and latest.inputs["latest_version"] == "1.1.0"
    assert all(v.options["ignoreChanges"] == ["publishingProfile.excludeFromLatest"] for v in run.of_type(VERSION))


# --- a failed canary -----------------------------------------------------------------------------------------------

# The provider's `failure` output (components/canary/resource.py): one message naming what failed and the kept pool.
FAILURE = (
    "the canary of image version 1.0.0 failed: start task exit code 1 on node tvmps_1 (stderr tail: ...); the canary "
    "pool canary-1-0-0-abc is kept for inspection"
)


def _stack_outputs_registered(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The output names of each RegisterResourceOutputs the program sends for its Stack (the engine writes the
    stack's outputs, the record among them, from it)."""
    calls: list[set[str]] = []
    real = pulumi_mocks.MockMonitor.RegisterResourceOutputs

    def register_outputs(self: Any, request: Any) -> Any:
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            calls.append(set(rpc.deserialize_properties(request.outputs, keep_unknowns=True)))
        return real(self, request)

    monkeypatch.setattr(pulumi_mocks.MockMonitor, "RegisterResourceOutputs", register_outputs)
    return calls


def test_a_failed_canary_stops_with_its_message_and_registers_no_pool_no_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registered_outputs = _stack_outputs_registered(monkeypatch)
    registered: list[RegisteredResource] = []
    with pytest.raises(CanaryFailed) as failure:
        run_program(canary_failure=FAILURE, records=registered)
    assert str(failure.value) == FAILURE  # a RunError: `pulumi up` prints this message alone
    types = {r.typ for r in registered}
    assert CANARY_TYPE in types and VERSION in types  # the canary ran on the published (excluded) version
    assert POOL not in types and DRAIN not in types  # no production pool registered, so none changes
    assert LATEST_TYPE not in types  # `latest` stays where it was
    # the stack's outputs (the record among them) are never registered: the next `up` sees the version as new
    assert not [names for names in registered_outputs if "publishedImageVersions" in names]
    run_program()  # the same program with a passing canary does register them
    assert [names for names in registered_outputs if "publishedImageVersions" in names]


def test_after_a_failed_canary_the_next_up_runs_it_again() -> None:
    first = run_program()  # 1.0.0 passed
    with pytest.raises(CanaryFailed):
        run_program({"image": {"version": "1.1.0"}}, stack_outputs=first.outputs, canary_failure=FAILURE)
    # the failed update left the previous outputs: 1.1.0 is still new, so its canary runs again
    again = run_program({"image": {"version": "1.1.0"}}, stack_outputs=first.outputs)
    assert again.one(CANARY_TYPE).inputs["image_version"] == "1.1.0"
    assert again.outputs["publishedImageVersions"]["1.1.0"]["canary"] == "passed"


# --- versions already published ------------------------------------------------------------------------------------


def test_a_version_that_passed_keeps_its_canary_declared_unchanged(dev: ProgramRun) -> None:
    assert dev.outputs["publishedImageVersions"]["1.0.0"]["canary"] == "passed"
    again = run_program(stack_outputs=dev.outputs)
    before, after = dev.one(CANARY_TYPE), again.one(CANARY_TYPE)
    assert after.urn == before.urn and after.inputs == before.inputs  # no diff: nothing re-runs
    # and it keeps what it ran with, whatever the first pool or the canary settings become
    assert after.options["ignoreChanges"] == ["pool_body", "command", "timeout"]
    assert before.options["ignoreChanges"] == []  # a canary that runs takes every input
    assert again.outputs["publishedImageVersions"] == dev.outputs["publishedImageVersions"]


def test_a_version_published_without_the_canary_declares_none_and_wires_the_pools_directly() -> None:
    published = run_program(OFF).outputs  # as published before the canary, or with it off
    assert "canary" not in published["publishedImageVersions"]["1.0.0"]
    run = run_program(stack_outputs=published)
    assert not run.of_type(CANARY_TYPE)
    version = run.one(VERSION)
    assert "excludeFromLatest" not in version.inputs["publishingProfile"]  # as it was created
    assert run.one(LATEST_TYPE).inputs["latest_version"] == "1.0.0"
    for pool in run.of_type(POOL):
        assert _image_id(pool) == version.outputs["id"]
        assert pool.property_dependencies["deploymentConfiguration"] == [version.urn]
    assert run.outputs["publishedImageVersions"] == published["publishedImageVersions"]


def test_a_record_entry_with_another_canary_value_is_refused() -> None:
    published = run_program().outputs
    record = published["publishedImageVersions"]
    broken = {**published, "publishedImageVersions": {"1.0.0": {**record["1.0.0"], "canary": "failed"}}}
    with pytest.raises(RecordError, match=r"version '1.0.0': canary is 'failed', not 'passed'"):
        run_program(stack_outputs=broken)


# --- canary off ----------------------------------------------------------------------------------------------------


def test_with_the_canary_off_the_program_is_as_before(dev: ProgramRun) -> None:
    off = run_program(OFF)
    assert {r.typ for r in off.resources} == {r.typ for r in dev.resources} - {CANARY_TYPE, LATEST_TYPE}
    assert "batch-deployer-data-access" not in {r.name for r in off.of_type(ROLE)}
    version = off.one(VERSION)
    assert "excludeFromLatest" not in version.inputs["publishingProfile"]
    assert version.options["ignoreChanges"] == []
    for pool in off.of_type(POOL):
        assert pool.property_dependencies["deploymentConfiguration"] == [version.urn]
    assert "canary" not in off.outputs["publishedImageVersions"]["1.0.0"]


def test_a_pool_stack_runs_no_canary_and_refuses_canary_settings() -> None:
    image = {
        "source": "stack",
        "fromStack": "org/batch-custom-image/images",
        "replicas": [],
        "exportVhd": False,
        "canary": {"enabled": False},
    }
    with pytest.raises(SettingsError, match=r"image\.canary = \{'enabled': False\}: unset when image\.source is stack"):
        run_program({"image": image})


# --- the canary pool -----------------------------------------------------------------------------------------------


def test_the_canary_pool_body_takes_the_first_pools_settings_with_one_spot_node() -> None:
    first = {
        "name": "render",
        "vmSize": "Standard_D4ds_v5",
        "nodeAgentSkuId": "batch.node.ubuntu 24.04",
        "targetDedicatedNodes": 3,
        "taskSlotsPerNode": 4,
        "subnetId": SUBNET,
        "publicIPs": "None",
        "identities": [IDENTITY],
        "containerImages": ["myregistry.azurecr.io/render/engine:4.2"],
        "startTask": {"commandLine": "/bin/sh -c 'echo ready'", "elevated": True, "maxTaskRetryCount": 2},
    }
    other = {"name": "burst", "vmSize": "Standard_E8ds_v5", "nodeAgentSkuId": "batch.node.ubuntu 24.04"}
    run = run_program({"pools": [first, other]})
    canary, version = run.one(CANARY_TYPE), run.one(VERSION)
    body = canary.inputs["pool_body"]
    assert body["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {IDENTITY: {}}}
    properties = body["properties"]
    assert properties["networkConfiguration"] == {
        "subnetId": SUBNET,
        "publicIPAddressConfiguration": {"provision": "NoPublicIPAddresses"},
    }
    assert properties["vmSize"] == "Standard_D4ds_v5" and properties["taskSlotsPerNode"] == 4
    assert properties["targetNodeCommunicationMode"] == "Simplified"
    assert properties["scaleSettings"] == {
        "fixedScale": {"targetDedicatedNodes": 0, "targetLowPriorityNodes": 1, "resizeTimeout": "PT30M"}
    }
    vm = properties["deploymentConfiguration"]["virtualMachineConfiguration"]
    assert vm["imageReference"] == {"id": version.outputs["id"]} and vm["nodeAgentSkuId"] == "batch.node.ubuntu 24.04"
    assert vm["containerConfiguration"] == {
        "type": "DockerCompatible",
        "containerImageNames": ["myregistry.azurecr.io/render/engine:4.2"],
    }
    assert properties["startTask"] == {
        "commandLine": "/bin/sh -c 'echo ready'",
        "waitForSuccess": True,
        "maxTaskRetryCount": 2,
        "userIdentity": {"autoUser": {"scope": "Pool", "elevationLevel": "Admin"}},
    }
    # the production pool gets the same choices, through components/pools.py
    render = next(p for p in run.of_type(POOL) if p.name == "pools-render")
    network = render.inputs["networkConfiguration"]
    assert {k: network[k] for k in ("subnetId", "publicIPAddressConfiguration")} == properties["networkConfiguration"]
    assert render.inputs["startTask"]["userIdentity"] == properties["startTask"]["userIdentity"]


def test_the_canary_settings_reach_the_canary() -> None:
    canary = {"vmSize": "Standard_D2ds_v5", "spot": False, "command": "/bin/sh -c 'nvidia-smi'", "timeout": "PT1H"}
    run = run_program({"image": {"canary": canary}})
    inputs = run.one(CANARY_TYPE).inputs
    assert inputs["command"] == "/bin/sh -c 'nvidia-smi'" and inputs["timeout"] == "PT1H"
    properties = inputs["pool_body"]["properties"]
    assert properties["vmSize"] == "Standard_D2ds_v5"
    assert properties["scaleSettings"]["fixedScale"] == {
        "targetDedicatedNodes": 1,
        "targetLowPriorityNodes": 0,
        "resizeTimeout": "PT1H",
    }


def test_the_default_command_checks_the_image_marker_of_the_version(dev: ProgramRun) -> None:
    assert dev.one(CANARY_TYPE).inputs["command"] == default_command("Linux", "1.0.0")
    windows = run_program(stack="windows")
    command = windows.one(CANARY_TYPE).inputs["command"]
    assert command == default_command("Windows", windows.outputs["publishedImageVersions"].popitem()[0])
    assert command.startswith("powershell.exe")


def test_trusted_launch_reaches_the_canary_pool_as_the_production_pools() -> None:
    run = run_program({"image": {"securityType": "TrustedLaunch"}})
    vm = run.one(CANARY_TYPE).inputs["pool_body"]["properties"]["deploymentConfiguration"][
        "virtualMachineConfiguration"
    ]
    assert vm["securityProfile"] == {
        "securityType": "trustedLaunch",
        "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
    }
    pool = run.of_type(POOL)[0].inputs["deploymentConfiguration"]["virtualMachineConfiguration"]
    assert pool["securityProfile"] == vm["securityProfile"]


# --- rights and destroy order --------------------------------------------------------------------------------------


def test_the_deployer_gets_batch_data_contributor_on_the_account_and_the_canary_waits_for_it(dev: ProgramRun) -> None:
    role, account, canary = _role(dev), dev.one(BATCH), dev.one(CANARY_TYPE)
    assert role.inputs["scope"] == account.outputs["id"]
    assert role.inputs["principalId"] == DEPLOYER_OBJECT_ID and role.inputs["principalType"] == "User"
    assert role.inputs["roleDefinitionId"].endswith(f"/roleDefinitions/{BATCH_DATA_CONTRIBUTOR}")
    assert {role.urn, account.urn} <= set(canary.dependencies)
    assert canary.inputs["account_id"] == account.outputs["id"]
    assert canary.inputs["account_endpoint"] == account.outputs["accountEndpoint"]


def test_destroy_deletes_the_canary_before_its_role_and_the_account_and_latest_before_the_versions(
    dev: ProgramRun,
) -> None:
    wave_of = {urn: i for i, wave in enumerate(_deletion_waves(dev)) for urn in wave}
    canary, latest = dev.one(CANARY_TYPE), dev.one(LATEST_TYPE)
    assert wave_of[canary.urn] < wave_of[_role(dev).urn]
    assert wave_of[canary.urn] < wave_of[dev.one(BATCH).urn]
    assert wave_of[latest.urn] < wave_of[dev.one(VERSION).urn]


# --- settings ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("canary", "message"),
    [
        ({"enabled": "yes"}, "image.canary.enabled = 'yes': allowed: true or false"),
        ({"spot": 1}, "image.canary.spot = 1: allowed: true or false"),
        ({"vmSize": "D4ds_v5"}, "image.canary.vmSize = 'D4ds_v5': allowed: an Azure VM size name"),
        ({"command": "  "}, "image.canary.command = '  ': allowed: "),
        ({"timeout": "30 minutes"}, "image.canary.timeout = '30 minutes': allowed: an ISO 8601 duration"),
        ({"timeout": "PT4M"}, "image.canary.timeout = 'PT4M': allowed: between PT5M (Batch's least resizeTimeout"),
        ({"timeout": "PT9H"}, "image.canary.timeout = 'PT9H': allowed: between PT5M"),
        ({"vmSize": "Standard_D4ps_v6"}, "image.canary.vmSize = 'Standard_D4ps_v6': an x64 size"),
        ({"nodes": 2}, "image.canary.nodes = 2: unknown key"),
    ],
)
def test_each_bad_canary_value_is_one_settings_error(canary: dict[str, Any], message: str) -> None:
    registered: list[RegisteredResource] = []
    with pytest.raises(SettingsError) as failure:
        run_program({"image": {"canary": canary}}, records=registered)
    assert str(failure.value).count("\n  - ") == 1, failure.value
    assert f"batch-custom-image:{message}" in str(failure.value)
    assert registered == []  # before anything is created
