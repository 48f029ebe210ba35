"""image.securityType under mocks: TrustedLaunch reaches the builder VM, the gallery image definition and every pool;
Standard (the default) registers exactly what stacks deployed before the setting existed, so they see no change."""

from __future__ import annotations

from typing import Any

import pytest

from components.capture.resource import CAPTURE_TYPE
from components.capture.spec import content_failures
from tools.plan.offline import ProgramRun, RegisteredResource, run_program

VM = "azure-native:compute:VirtualMachine"
DEFINITION = "azure-native:compute:GalleryImage"
VERSION = "azure-native:compute:GalleryImageVersion"
POOL = "azure-native:batch:Pool"
TRUSTED_LAUNCH = {"image": {"securityType": "TrustedLaunch"}}
UEFI_ON = {"secureBootEnabled": True, "vTpmEnabled": True}

# The dev stack's input keys as the program registered them before image.securityType existed (commit 511bb91,
# tools.plan.offline.run_program()): a deployed stack's state holds these, and a new key would be a diff.
REGISTERED_BEFORE: dict[str, set[str]] = {
    "builder-vm": {
        "diagnosticsProfile",
        "hardwareProfile",
        "identity",  # the build proof's identity (issue 18): a new guest setup needs a new image version anyway
        "location",
        "networkProfile",
        "osProfile",
        "resourceGroupName",
        "storageProfile",
    },
    "gallery-definition": {
        "galleryImageName",
        "galleryName",
        "hyperVGeneration",
        "identifier",
        "location",
        "osState",
        "osType",
        "resourceGroupName",
    },
    "gallery-version-1.0.0": {
        "galleryImageName",
        "galleryImageVersionName",
        "galleryName",
        "location",
        "publishingProfile",
        "resourceGroupName",
        "storageProfile",
        "tags",
    },
    "pools-render": {
        "accountName",
        "deploymentConfiguration",
        "resourceGroupName",
        "scaleSettings",
        "startTask",
        "targetNodeCommunicationMode",
        "taskSlotsPerNode",
        "vmSize",
    },
    "pools-burst": {
        "accountName",
        "deploymentConfiguration",
        "resourceGroupName",
        "scaleSettings",
        "targetNodeCommunicationMode",
        "taskSlotsPerNode",
        "vmSize",
    },
}
POOL_VM_CONFIG_BEFORE = {"imageReference", "nodeAgentSkuId"}


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run_program()


@pytest.fixture(scope="module")
def trusted() -> ProgramRun:
    return run_program(TRUSTED_LAUNCH)


def _vm_config(pool: RegisteredResource) -> dict[str, Any]:
    config: dict[str, Any] = pool.inputs["deploymentConfiguration"]["virtualMachineConfiguration"]
    return config


def _day2(run: ProgramRun) -> dict[str, RegisteredResource]:
    """The resources a security type change could replace: builder VM, image definition, image version, pools."""
    return {r.name: r for t in (VM, DEFINITION, VERSION, POOL) for r in run.of_type(t)}


def test_the_default_stack_registers_what_it_registered_before_the_setting(dev: ProgramRun) -> None:
    resources = _day2(dev)
    assert {name: set(r.inputs) for name, r in resources.items()} == REGISTERED_BEFORE
    for pool in dev.of_type(POOL):
        assert set(_vm_config(pool)) == POOL_VM_CONFIG_BEFORE  # no securityProfile: no pool replacement
    assert "securityProfile" not in dev.one(VM).inputs
    assert "features" not in dev.one(DEFINITION).inputs


def test_an_explicit_standard_is_the_default_byte_for_byte(dev: ProgramRun) -> None:
    explicit = run_program({"image": {"securityType": "Standard"}})
    before, after = _day2(dev), _day2(explicit)
    assert {n: r.inputs for n, r in after.items()} == {n: r.inputs for n, r in before.items()}


def test_trusted_launch_sets_the_builder_vm_the_definition_and_every_pool(trusted: ProgramRun) -> None:
    assert trusted.one(VM).inputs["securityProfile"] == {"securityType": "TrustedLaunch", "uefiSettings": UEFI_ON}
    definition = trusted.one(DEFINITION).inputs
    assert definition["features"] == [{"name": "SecurityType", "value": "TrustedLaunch"}]
    assert definition["hyperVGeneration"] == "V2"
    pools = trusted.of_type(POOL)
    assert len(pools) == 2
    for pool in pools:
        # Batch spells the type in lower camel case (BatchManagement.json 2024-07-01 SecurityProfile.securityType).
        assert _vm_config(pool)["securityProfile"] == {"securityType": "trustedLaunch", "uefiSettings": UEFI_ON}


def test_trusted_launch_changes_nothing_else_on_those_resources(dev: ProgramRun, trusted: ProgramRun) -> None:
    before, after = _day2(dev), _day2(trusted)
    for name, resource in after.items():
        inputs = dict(resource.inputs)
        inputs.pop("securityProfile", None)
        inputs.pop("features", None)
        if resource.typ == POOL:
            config = {k: v for k, v in _vm_config(resource).items() if k != "securityProfile"}
            inputs["deploymentConfiguration"] = {"virtualMachineConfiguration": config}
        old = dict(before[name].inputs)
        if "bci-content-fingerprint" in inputs.get("tags", {}):  # the gallery version: new content, new fingerprint
            assert inputs.pop("tags") != old.pop("tags"), name
        assert inputs == old, name


def test_a_new_security_type_rebuilds_the_builder_rather_than_updating_a_generalized_vm(dev: ProgramRun) -> None:
    assert "securityProfile" in dev.one(VM).options["replaceOnChanges"]


def test_switching_to_trusted_launch_is_a_content_change_the_capture_refuses_under_the_same_version() -> None:
    standard = run_program().one(CAPTURE_TYPE).inputs["image_content"]
    trusted = run_program({"image": {"securityType": "TrustedLaunch"}}).one(CAPTURE_TYPE).inputs["image_content"]

    assert "securityType" not in standard  # images built before the setting keep their fingerprint
    assert content_failures({"image_version": "1.0.0", "image_content": standard},
                            {"image_version": "1.0.0", "image_content": trusted})  # fmt: skip
