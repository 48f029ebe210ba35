"""Pools as production runs them, under mocks: private networking, identities, container images, and the Batch
principal's read access to the gallery.

The pool's recorded inputs are checked against the ARM schema of the api-version the installed azure-native SDK
uses for Batch pools (2024-07-01; the schema subset is in fakes/data/batch, see SOURCE.md there): every property name
exists in the spec, every enum value is one the spec lists, required properties are there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi_azure_native import batch

from components.batch_account import COMPUTE_GALLERY_IMAGE_READER_ROLE
from tools.plan.offline import BATCH_PRINCIPAL_OBJECT_ID, SUBSCRIPTION_ID, ProgramRun, load_stack_config, run_program

POOL = "azure-native:batch:Pool"
GALLERY = "azure-native:compute:Gallery"
ROLE = "azure-native:authorization:RoleAssignment"
SPEC = json.loads(
    (Path(__file__).parents[2] / "fakes/data/batch/BatchManagement_2024-07-01_pool_definitions.json").read_text()
)
DEFINITIONS: dict[str, Any] = SPEC["definitions"]

SUBNET = (
    f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/network-rg/providers/Microsoft.Network/virtualNetworks/"
    "hub-vnet/subnets/batch-nodes"
)
IDENTITIES = [
    f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/identity-rg/providers/Microsoft.ManagedIdentity/"
    f"userAssignedIdentities/{name}"
    for name in ("render-tasks", "registry-pull")
]
IMAGES = [
    "myregistry.azurecr.io/render/engine:4.2.1",
    "mcr.microsoft.com/azure-cli@sha256:" + "0123456789abcdef" * 4,
]
DEV_POOLS = load_stack_config("dev")["batch-custom-image:pools"]


def _render_with(**changes: Any) -> dict[str, Any]:
    return {"batch-custom-image:pools": [{**DEV_POOLS[0], **changes}, *DEV_POOLS[1:]]}


@pytest.fixture(scope="module")
def private() -> ProgramRun:
    """The dev stack with its render pool in a subnet, without public IPs, with identities and container images."""
    return run_program(_render_with(subnetId=SUBNET, publicIPs="None", identities=IDENTITIES, containerImages=IMAGES))


def _pool(run: ProgramRun, name: str) -> dict[str, Any]:
    return next(r for r in run.of_type(POOL) if r.name == f"pools-{name}").inputs


def _conforms(value: Any, definition: dict[str, Any], where: str) -> None:
    """Fail unless `value` fits the swagger `definition` (properties, required, enum, arrays, maps)."""
    if "$ref" in definition:
        _conforms(value, DEFINITIONS[definition["$ref"].rsplit("/", 1)[-1]], where)
        return
    if "enum" in definition:
        assert value in definition["enum"], f"{where}: {value!r} not one of {definition['enum']}"
    kind = definition.get("type")
    if kind == "object" or "properties" in definition:
        assert isinstance(value, dict), f"{where}: {value!r} is not an object"
        properties = definition.get("properties", {})
        extra = definition.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                _conforms(item, properties[key], f"{where}.{key}")
            else:
                assert isinstance(extra, dict), f"{where}: {key!r} is not a property of the spec's definition"
                _conforms(item, extra, f"{where}[{key}]")
        missing = set(definition.get("required", [])) - set(value)
        assert not missing, f"{where}: required {sorted(missing)} missing"
    elif kind == "array":
        assert isinstance(value, list), f"{where}: {value!r} is not an array"
        for index, item in enumerate(value):
            _conforms(item, definition["items"], f"{where}[{index}]")
    elif kind == "string":
        assert isinstance(value, str), f"{where}: {value!r} is not a string"


def _as_arm(identity: dict[str, Any]) -> dict[str, Any]:
    """What the azure-native provider sends for a pool identity: the SDK's id list becomes ARM's `{id: {}}` map
    (pulumi-azure-native#1833, "Represent user assigned identity inputs as string arrays")."""
    return {**identity, "userAssignedIdentities": {i: {} for i in identity["userAssignedIdentities"]}}


def test_the_copied_spec_is_the_api_version_the_sdk_uses() -> None:
    assert SPEC["info"]["version"] == "2024-07-01"
    assert "Uses Azure REST API version 2024-07-01." in Path(batch.pool.__file__).read_text()


def test_subnet_and_no_public_ips_land_in_network_configuration(private: ProgramRun) -> None:
    network = _pool(private, "render")["networkConfiguration"]
    assert network["subnetId"] == SUBNET
    assert network["publicIPAddressConfiguration"] == {"provision": "NoPublicIPAddresses"}
    _conforms(network, DEFINITIONS["NetworkConfiguration"], "networkConfiguration")


def test_subnet_with_batch_managed_public_ips_says_so() -> None:
    run = run_program(_render_with(subnetId=SUBNET))
    network = _pool(run, "render")["networkConfiguration"]
    assert network["subnetId"] == SUBNET
    assert network["publicIPAddressConfiguration"] == {"provision": "BatchManaged"}
    _conforms(network, DEFINITIONS["NetworkConfiguration"], "networkConfiguration")


def test_identities_land_as_user_assigned(private: ProgramRun) -> None:
    identity = _pool(private, "render")["identity"]
    assert identity == {"type": "UserAssigned", "userAssignedIdentities": IDENTITIES}
    arm = _as_arm(identity)
    assert arm["userAssignedIdentities"] == {IDENTITIES[0]: {}, IDENTITIES[1]: {}}
    _conforms(arm, DEFINITIONS["BatchPoolIdentity"], "identity")


def test_container_images_are_prefetched_by_a_docker_compatible_configuration(private: ProgramRun) -> None:
    vm_config = _pool(private, "render")["deploymentConfiguration"]["virtualMachineConfiguration"]
    containers = vm_config["containerConfiguration"]
    assert containers == {"type": "DockerCompatible", "containerImageNames": IMAGES}
    _conforms(containers, DEFINITIONS["ContainerConfiguration"], "containerConfiguration")


def test_pools_without_the_settings_send_none_of_them(private: ProgramRun) -> None:
    burst = _pool(private, "burst")  # only the render pool was changed
    assert "networkConfiguration" not in burst and "identity" not in burst
    assert "containerConfiguration" not in burst["deploymentConfiguration"]["virtualMachineConfiguration"]


def test_the_pools_output_tells_smoke_what_to_expect(private: ProgramRun) -> None:
    render, burst = private.outputs["pools"]["render"], private.outputs["pools"]["burst"]
    assert render["subnetId"] == SUBNET and render["publicIPs"] == "None"
    assert render["identities"] == IDENTITIES and render["containerImages"] == IMAGES
    assert "subnetId" not in burst
    assert (burst["publicIPs"], burst["identities"], burst["containerImages"]) == ("BatchManaged", [], [])


def test_batch_principal_reads_the_gallery_images(private: ProgramRun) -> None:
    gallery = private.one(GALLERY)
    [reader] = [r for r in private.of_type(ROLE) if r.name == "batch-gallery-image-reader"]
    assert reader.inputs["principalId"] == BATCH_PRINCIPAL_OBJECT_ID
    assert reader.inputs["principalType"] == "ServicePrincipal"
    assert reader.inputs["scope"] == gallery.outputs["id"]
    assert gallery.urn in reader.property_dependencies["scope"]
    assert reader.inputs["roleDefinitionId"] == (
        f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{COMPUTE_GALLERY_IMAGE_READER_ROLE}"
    )
    assert COMPUTE_GALLERY_IMAGE_READER_ROLE == "cf7c76d2-98a3-4358-a134-615aa78bf44d"  # Azure's built-in role list
    # The account waits for it, and every pool waits for the account: no pool is created before Batch can read.
    account = private.one("azure-native:batch:BatchAccount")
    assert reader.urn in account.dependencies


def test_batch_service_mode_gives_no_gallery_role() -> None:
    run = run_program({"batch-custom-image:batch": {"poolAllocationMode": "BatchService"}})
    assert [r for r in run.of_type(ROLE) if r.name == "batch-gallery-image-reader"] == []
