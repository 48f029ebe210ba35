"""The whole program under mocks, for the dev stack and its variants: the wiring a user depends on.

Values are followed from one resource's (mocked) outputs to the next one's inputs, and the property dependencies
the SDK sends to the engine are checked too, so "wired through outputs" means what the engine will see.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime.rpc import UNKNOWN

from components.capture.resource import CAPTURE_TYPE, CLEANUP_TYPE
from components.settings import BATCH_SERVICE_PRINCIPAL_APP_ID
from tests.program.sources import VHD_SOURCE
from tools.plan.offline import (
    BATCH_PRINCIPAL_OBJECT_ID,
    MARKETPLACE_VERSION,
    ProgramRun,
    RegisteredResource,
    run_program,
)

CAPTURE = CAPTURE_TYPE
POOL = "azure-native:batch:Pool"
VERSION = "azure-native:compute:GalleryImageVersion"
VM = "azure-native:compute:VirtualMachine"
ACCOUNT = "azure-native:storage:StorageAccount"
VAULT = "azure-native:keyvault:Vault"
BATCH = "azure-native:batch:BatchAccount"
ROLE = "azure-native:authorization:RoleAssignment"
BATCH_ROLE_ID = "a35466a1-cfd6-450a-b35e-683fcdf30363"

CONTRACT_OUTPUTS = {
    "resourceGroupName",
    "location",
    "storageAccountName",
    "imageVhdUri",
    "galleryImageVersionId",
    "publishedImageVersions",
    "batchAccountName",
    "batchAccountEndpoint",
    "pools",
}


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run_program()


def _depends(run: ProgramRun, resource: RegisteredResource, prop: str, on: RegisteredResource) -> bool:
    return on.urn in resource.property_dependencies.get(prop, [])


def _batch_role(run: ProgramRun) -> RegisteredResource:
    return next(r for r in run.of_type(ROLE) if r.inputs["roleDefinitionId"].endswith(BATCH_ROLE_ID))


# --- dev stack ------------------------------------------------------------------------------------------------------


def test_every_pool_boots_from_the_gallery_version_output(dev: ProgramRun) -> None:
    version = dev.one(VERSION)
    pools = dev.of_type(POOL)
    assert len(pools) == 2
    for pool in pools:
        vm_config = pool.inputs["deploymentConfiguration"]["virtualMachineConfiguration"]
        assert vm_config["imageReference"] == {"id": version.outputs["id"]}  # only the id: no marketplace fields
        assert _depends(dev, pool, "deploymentConfiguration", version)
        assert vm_config["nodeAgentSkuId"] == "batch.node.ubuntu 24.04"
        assert pool.inputs["targetNodeCommunicationMode"] == "Simplified"


def test_a_new_image_version_replaces_pools_create_before_delete(dev: ProgramRun) -> None:
    for pool in dev.of_type(POOL):
        assert "poolName" not in pool.inputs, "pools must be auto-named so old and new can coexist"
        assert "deploymentConfiguration" in pool.options["replaceOnChanges"]
        assert pool.options["deleteBeforeReplace"] is False
    vm = dev.one(VM)
    assert {"osProfile", "storageProfile"} <= set(vm.options["replaceOnChanges"])


def test_gallery_version_takes_the_generalized_vm_and_the_exported_vhd_is_an_extra(dev: ProgramRun) -> None:
    capture, version = dev.one(CAPTURE), dev.one(VERSION)
    # dev exports a VHD, yet the gallery takes the VM: no storage key or open account needed for the import
    assert version.inputs["storageProfile"] == {"source": {"virtualMachineId": capture.outputs["vm_id"]}}
    assert _depends(dev, version, "storageProfile", capture)
    assert dev.outputs["imageVhdUri"] == capture.outputs["vhd_uri"]


def test_capture_takes_the_builder_vm_and_storage_from_outputs(dev: ProgramRun) -> None:
    capture, vm, account = dev.one(CAPTURE), dev.one(VM), dev.one(ACCOUNT)
    assert capture.inputs["vm_id"] == vm.outputs["id"]
    assert _depends(dev, capture, "vm_id", vm)
    assert capture.inputs["storage_account_id"] == account.outputs["id"]
    assert capture.inputs["blob_endpoint"] == account.outputs["primaryEndpoints"]["blob"]
    assert capture.inputs["os_disk_mode"] == "managed" and capture.inputs["export_vhd"] is True
    assert capture.inputs["image_version"] == "1.0.0" and capture.inputs["guest_timeout_minutes"] == 60
    assert "__provider" in capture.inputs  # the provider is pickled into the state


def test_batch_principal_gets_vault_access_and_subscription_role(dev: ProgramRun) -> None:
    vault = dev.one(VAULT)
    properties = vault.inputs["properties"]
    assert properties["enableRbacAuthorization"] is False
    assert properties["enableSoftDelete"] is True and properties["enablePurgeProtection"] is True
    assert properties["enabledForDeployment"] is True and properties["enabledForTemplateDeployment"] is True
    [policy] = properties["accessPolicies"]
    assert policy["objectId"] == BATCH_PRINCIPAL_OBJECT_ID
    assert sorted(policy["permissions"]["secrets"]) == ["delete", "get", "list", "recover", "set"]
    role = _batch_role(dev)
    assert role.inputs["principalId"] == BATCH_PRINCIPAL_OBJECT_ID
    assert role.inputs["principalType"] == "ServicePrincipal"
    assert role.inputs["scope"] == "/subscriptions/00000000-0000-4000-8000-000000000001"


def test_account_references_that_vault_and_uses_entra_only(dev: ProgramRun) -> None:
    vault, batch, account = dev.one(VAULT), dev.one(BATCH), dev.one(ACCOUNT)
    assert batch.inputs["poolAllocationMode"] == "UserSubscription"
    assert batch.inputs["keyVaultReference"] == {
        "id": vault.outputs["id"],
        "url": vault.outputs["properties"]["vaultUri"],
    }
    assert _depends(dev, batch, "keyVaultReference", vault)
    assert batch.inputs["allowedAuthenticationModes"] == ["AAD"]
    assert batch.inputs["identity"] == {"type": "SystemAssigned"}
    assert batch.inputs["autoStorage"]["storageAccountId"] == account.outputs["id"]
    role = _batch_role(dev)
    assert role.urn in batch.dependencies and vault.urn in batch.dependencies
    for pool in dev.of_type(POOL):  # pools come after the account, so after its vault and role too
        assert _depends(dev, pool, "accountName", batch)


def test_everything_is_in_the_configured_region(dev: ProgramRun) -> None:
    located = [r for r in dev.resources if r.custom and "location" in r.inputs]
    assert {r.typ for r in located} >= {ACCOUNT, VM, VAULT, BATCH, VERSION, "azure-native:resources:ResourceGroup"}
    assert {r.inputs["location"] for r in located} == {"westeurope"}
    regions = [t["name"] for t in dev.one(VERSION).inputs["publishingProfile"]["targetRegions"]]
    assert regions == ["westeurope"]


def test_builder_has_no_extension_no_public_ip_and_ssh_only(dev: ProgramRun) -> None:
    types = {r.typ for r in dev.resources}
    assert not {t for t in types if "Extension" in t or "RunCommand" in t}
    vm = dev.one(VM)
    assert "resources" not in vm.outputs and "extensionsTimeBudget" not in vm.inputs
    nic = dev.one("azure-native:network:NetworkInterface")
    assert all("publicIPAddress" not in c for c in nic.inputs["ipConfigurations"])
    assert dev.one("azure-native:network:NetworkSecurityGroup").inputs["securityRules"] == []
    linux = vm.inputs["osProfile"]["linuxConfiguration"]
    assert linux["disablePasswordAuthentication"] is True
    assert "adminPassword" not in vm.inputs["osProfile"]
    assert linux["ssh"]["publicKeys"][0]["keyData"].startswith("ssh-rsa ")
    assert vm.inputs["diagnosticsProfile"]["bootDiagnostics"] == {"enabled": True}
    disk = vm.inputs["storageProfile"]["osDisk"]
    assert "managedDisk" in disk and "vhd" not in disk and disk["deleteOption"] == "Delete"


def test_builder_custom_data_runs_setup_then_deprovisions(dev: ProgramRun) -> None:
    custom_data = base64.b64decode(dev.one(VM).inputs["osProfile"]["customData"]).decode()
    assert custom_data.startswith("#cloud-config\n")
    document = yaml.safe_load(custom_data)
    scripts = {  # the finish script is plain text: the build proof's target is filled into it
        f["path"]: base64.b64decode(f["content"]).decode() if f.get("encoding") == "b64" else f["content"]
        for f in document["write_files"]
    }
    with open("image/setup.sh") as setup:
        assert scripts["/var/lib/batch-image/setup.sh"] == setup.read()
    assert "BATCH_IMAGE_VERSION=1.0.0" in " ".join(document["runcmd"][0])
    finish = scripts["/var/lib/batch-image/finish.sh"]
    assert finish.index("cloud-init status --wait") < finish.index("waagent -force -deprovision+user")
    assert finish.index("waagent") < finish.index("poweroff")


def _deletion_waves(run: ProgramRun) -> list[set[str]]:
    """`pulumi destroy` as the engine runs it: a resource is deleted once everything that depends on it (through
    dependencies, property dependencies or as a child) is gone; each wave is deleted in parallel."""
    needs = {
        r.urn: set(r.dependencies) | {u for us in r.property_dependencies.values() for u in us} for r in run.resources
    }
    for r in run.resources:
        if r.parent in needs:
            needs[r.parent].add(r.urn)  # a parent goes after its children
    left, waves = set(needs), []
    while left:
        wave = {urn for urn in left if not any(urn in needs[other] for other in left)}
        assert wave, "dependency cycle"
        waves.append(wave)
        left -= wave
    return waves


def test_destroy_deletes_the_capture_and_its_cleanup_before_the_blob_access_they_need(dev: ProgramRun) -> None:
    """The capture deletes its VHD, and the clean-up resource partial VHDs, with the deployer's Entra identity: the
    engine must delete both before the deployer's Storage Blob Data Contributor assignment, and the clean-up just
    before the builder VM (so a disk SAS an interrupted export left is revoked before the VM's disk goes)."""
    waves = _deletion_waves(dev)
    wave_of = {urn: i for i, wave in enumerate(waves) for urn in wave}
    blob_access = next(r for r in dev.of_type(ROLE) if r.name.endswith("deployer-blob-access"))
    capture, cleanup = dev.one(CAPTURE), dev.one(CLEANUP_TYPE)

    assert wave_of[capture.urn] < wave_of[cleanup.urn] < wave_of[blob_access.urn]
    assert wave_of[cleanup.urn] < wave_of[dev.one(VM).urn]
    assert cleanup.inputs["vm_id"] == capture.inputs["vm_id"] == dev.one(VM).outputs["id"]


def test_outputs_match_the_contract(dev: ProgramRun) -> None:
    assert set(dev.outputs) == CONTRACT_OUTPUTS
    assert dev.outputs["location"] == "westeurope"
    assert dev.outputs["galleryImageVersionId"] == dev.one(VERSION).outputs["id"]
    assert dev.outputs["galleryImageVersionId"].endswith("/images/app-node/versions/1.0.0")
    assert dev.outputs["batchAccountEndpoint"] == dev.one(BATCH).outputs["accountEndpoint"]
    assert dev.outputs["storageAccountName"] == dev.one(ACCOUNT).outputs["name"]
    assert set(dev.outputs["pools"]) == {"render", "burst"}
    by_name = {p.name: p for p in dev.of_type(POOL)}
    render = dev.outputs["pools"]["render"]
    assert render == {
        "id": by_name["pools-render"].outputs["id"],
        "poolName": by_name["pools-render"].outputs["name"],
        "vmSize": "Standard_D4ds_v5",
        "nodeAgentSkuId": "batch.node.ubuntu 24.04",
        "imageVersion": "1.0.0",
        # Added to the contract's four keys for `make smoke` (issue 11): the pool's networking, identities, images.
        "publicIPs": "BatchManaged",
        "identities": [],
        "containerImages": [],
    }


def test_no_secret_in_outputs_or_capture_inputs(dev: ProgramRun) -> None:
    text = repr(dev.outputs)
    for marker in ("sig=", "PRIVATE KEY", "AccountKey", "password"):
        assert marker not in text
    capture_inputs = {k: v for k, v in dev.one(CAPTURE).inputs.items() if k != "__provider"}
    assert "sig=" not in repr(capture_inputs) and "PRIVATE KEY" not in repr(capture_inputs)


def test_components_follow_the_naming_convention(dev: ProgramRun) -> None:
    components = {r.urn: r for r in dev.resources if not r.custom}
    assert {r.typ.split(":")[0] for r in components.values()} == {"batch-custom-image"}
    for resource in dev.resources:
        parent = components.get(resource.parent)
        if parent is not None:
            assert resource.name.startswith(f"{parent.name}-"), resource.name


# --- variants -------------------------------------------------------------------------------------------------------


def test_unmanaged_builder_keeps_its_os_disk_in_the_image_storage_account() -> None:
    run = run_program({"image": {"builder": {"osDisk": "unmanaged"}, "exportVhd": False}})
    vm, account, capture, version = run.one(VM), run.one(ACCOUNT), run.one(CAPTURE), run.one(VERSION)
    disk = vm.inputs["storageProfile"]["osDisk"]
    assert "managedDisk" not in disk
    blob_endpoint = account.outputs["primaryEndpoints"]["blob"]
    assert disk["vhd"]["uri"].startswith(f"{blob_endpoint}builder-disks/")
    assert _depends(run, vm, "storageProfile", account)
    assert capture.inputs["os_disk_mode"] == "unmanaged"
    assert version.inputs["storageProfile"]["osDiskImage"]["source"]["uri"] == capture.outputs["vhd_uri"]
    assert run.outputs["imageVhdUri"].startswith(f"{blob_endpoint}system/Microsoft.Compute/Images/images/")


def test_managed_builder_without_export_sources_the_version_from_the_vm() -> None:
    run = run_program({"image": {"exportVhd": False}})
    capture, version = run.one(CAPTURE), run.one(VERSION)
    assert version.inputs["storageProfile"] == {"source": {"virtualMachineId": capture.outputs["vm_id"]}}
    assert _depends(run, version, "storageProfile", capture)
    assert "imageVhdUri" not in run.outputs
    assert set(run.outputs) == CONTRACT_OUTPUTS - {"imageVhdUri"}


def test_source_vhd_builds_nothing_and_imports_the_blob() -> None:
    run = run_program({"image": VHD_SOURCE})
    types = {r.typ for r in run.resources}
    assert VM not in types and CAPTURE not in types and "azure-native:network:VirtualNetwork" not in types
    source = run.one(VERSION).inputs["storageProfile"]["osDiskImage"]["source"]
    assert source == {"uri": VHD_SOURCE["vhdUri"], "storageAccountId": VHD_SOURCE["vhdStorageAccountId"]}
    assert run.outputs["imageVhdUri"] == VHD_SOURCE["vhdUri"]
    # no builder → nobody copies blobs → no data-plane role for the deployer
    assert all(
        not r.inputs["roleDefinitionId"].endswith("ba92f5b4-2d11-453d-a403-e96b0029c9fe") for r in run.of_type(ROLE)
    )


def test_batch_service_mode_has_no_vault_and_no_role() -> None:
    run = run_program({"batch": {"poolAllocationMode": "BatchService"}})
    assert run.of_type(VAULT) == []
    assert all(not r.inputs["roleDefinitionId"].endswith(BATCH_ROLE_ID) for r in run.of_type(ROLE))
    batch = run.one(BATCH)
    assert batch.inputs["poolAllocationMode"] == "BatchService"
    assert "keyVaultReference" not in batch.inputs
    assert len(run.of_type(POOL)) == 2


def test_configured_principal_skips_the_lookup_and_a_second_stack_skips_the_role() -> None:
    object_id = "11111111-2222-4333-8444-555555555555"
    run = run_program({"batch": {"servicePrincipalObjectId": object_id, "grantSubscriptionRole": False}})
    assert run.one(VAULT).inputs["properties"]["accessPolicies"][0]["objectId"] == object_id
    assert all(not r.inputs["roleDefinitionId"].endswith(BATCH_ROLE_ID) for r in run.of_type(ROLE))
    assert BATCH_SERVICE_PRINCIPAL_APP_ID == "ddbf3205-c6bd-46ae-8127-60eb93363864"


def test_several_pools_fixed_and_autoscale() -> None:
    pools = [
        {"name": "small", "vmSize": "Standard_D2ds_v5", "nodeAgentSkuId": "batch.node.ubuntu 24.04"},
        {
            "name": "big",
            "vmSize": "Standard_D8ds_v5",
            "nodeAgentSkuId": "batch.node.ubuntu 22.04",
            "targetDedicatedNodes": 1200,
            "targetSpotNodes": 300,
            "startTask": {"commandLine": "/bin/true", "elevated": True},
        },
        {
            "name": "elastic",
            "vmSize": "Standard_D4ds_v5",
            "nodeAgentSkuId": "batch.node.el 9",
            "autoScale": {"formula": "$TargetDedicatedNodes = 3;", "evaluationInterval": "PT10M"},
        },
    ]
    run = run_program({"pools": pools, "image": {"replicas": []}})
    by_name = {p.name: p.inputs for p in run.of_type(POOL)}
    assert set(by_name) == {"pools-small", "pools-big", "pools-elastic"}
    assert by_name["pools-small"]["scaleSettings"]["fixedScale"] == {
        "targetDedicatedNodes": 0,
        "targetLowPriorityNodes": 0,
        "resizeTimeout": "PT15M",
    }
    big = by_name["pools-big"]
    assert big["scaleSettings"]["fixedScale"] == {
        "targetDedicatedNodes": 1200,
        "targetLowPriorityNodes": 300,
        "resizeTimeout": "PT30M",
    }
    assert big["startTask"]["userIdentity"]["autoUser"] == {"scope": "Pool", "elevationLevel": "Admin"}
    assert by_name["pools-elastic"]["scaleSettings"] == {
        "autoScale": {"formula": "$TargetDedicatedNodes = 3;", "evaluationInterval": "PT10M"}
    }
    # No replica configured: the Batch region gets one per 300 target nodes (1,500 → 5)
    targets = run.one(VERSION).inputs["publishingProfile"]["targetRegions"]
    assert targets[0] == {"name": "westeurope", "regionalReplicaCount": 5, "storageAccountType": "Standard_LRS"}
    assert set(run.outputs["pools"]) == {"small", "big", "elastic"}


def test_two_replica_regions_always_include_the_batch_region() -> None:
    run = run_program({"image": {"replicas": [{"region": "northeurope", "count": 2}]}})
    targets = run.one(VERSION).inputs["publishingProfile"]["targetRegions"]
    assert [(t["name"], t["regionalReplicaCount"]) for t in targets] == [("westeurope", 1), ("northeurope", 2)]
    run = run_program(
        {"image": {"replicas": [{"region": "northeurope", "count": 1}, {"region": "westeurope", "count": 3}]}}
    )
    targets = run.one(VERSION).inputs["publishingProfile"]["targetRegions"]
    assert [(t["name"], t["regionalReplicaCount"]) for t in targets] == [("northeurope", 1), ("westeurope", 3)]


def test_other_region_moves_every_resource() -> None:
    run = run_program({"azure-native:location": "eastus2"})
    assert {r.inputs["location"] for r in run.resources if r.custom and "location" in r.inputs} == {"eastus2"}
    assert run.outputs["location"] == "eastus2"


def test_names_are_stable_per_stack_and_differ_between_stacks() -> None:
    def names(run: ProgramRun) -> dict[str, Any]:
        return {
            "storage": run.one(ACCOUNT).inputs["accountName"],
            "batch": run.one(BATCH).inputs["accountName"],
            "vault": run.one(VAULT).inputs["vaultName"],
        }

    dev_config = run_program().config
    first, again = names(run_program()), names(run_program())
    other = names(run_program(config=dev_config, stack="prod"))
    assert first == again
    assert all(first[k] != other[k] for k in first)
    assert all(3 <= len(v) <= 24 for v in first.values())
    assert first["storage"].isalnum() and first["storage"].islower()


def test_preview_runs_with_unknown_outputs() -> None:
    """As in `pulumi preview` of a new stack: what Azure computes is unknown, what the config says is known."""
    run = run_program(preview=True)
    assert len(run.of_type(POOL)) == 2 and len(run.of_type(CAPTURE)) == 1
    for pool in run.of_type(POOL):
        vm_config = pool.inputs["deploymentConfiguration"]["virtualMachineConfiguration"]
        assert vm_config["imageReference"]["id"] == UNKNOWN
        assert vm_config["nodeAgentSkuId"] == "batch.node.ubuntu 24.04"
    capture = run.one(CAPTURE)
    assert capture.inputs["vm_id"] == UNKNOWN and capture.inputs["image_version"] == "1.0.0"
    assert run.one(ACCOUNT).inputs["accountName"].startswith("imgdev")  # derived from config, known in preview


def test_builder_refuses_extension_operations_without_rebuilding_existing_builders(dev: ProgramRun) -> None:
    vm = dev.one(VM)
    assert vm.inputs["osProfile"]["allowExtensionOperations"] is False
    assert "osProfile.allowExtensionOperations" in vm.options["ignoreChanges"]  # an upgrade does not replace the VM
    assert "osProfile" in vm.options["replaceOnChanges"]


def test_the_capture_knows_what_goes_into_the_image_and_the_version_carries_its_fingerprint(
    dev: ProgramRun, tmp_path: Path
) -> None:
    content = dev.one(CAPTURE).inputs["image_content"]
    assert set(content) == {"setupScript", "userData", "baseImage", "vmSize", "osDisk", "osType"}
    # `latest` counts as the version it resolved to: a new marketplace version is new content
    assert content["baseImage"] == f"Canonical:ubuntu-24_04-lts:server:{MARKETPLACE_VERSION}"
    assert content["osType"] == "Linux"
    tag = dev.one(VERSION).inputs["tags"]["bci-content-fingerprint"]
    assert len(tag) == 64

    script = tmp_path / "setup.sh"
    script.write_text(Path("image/setup.sh").read_text() + "\necho one more package\n")
    changed = run_program({"image": {"builder": {"setupScript": str(script)}}})
    new_content = changed.one(CAPTURE).inputs["image_content"]
    assert {k for k in content if content[k] != new_content[k]} == {"setupScript", "userData"}
    assert changed.one(VERSION).inputs["tags"]["bci-content-fingerprint"] != tag


def test_an_image_from_a_vhd_carries_no_fingerprint(dev: ProgramRun) -> None:
    vhd = run_program({"image": VHD_SOURCE})
    assert "tags" not in vhd.one(VERSION).inputs
