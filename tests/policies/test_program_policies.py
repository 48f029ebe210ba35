"""The program itself (under Azure-shaped mocks, tools/plan/offline.py) through the pack: the dev stack passes every
mandatory policy, its variants trigger what they should, and the links the stack policies follow (capture -> VM,
account -> vault, pool -> gallery version -> definition) exist in what the program really registers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.policies.helpers import changed, custom_script_inputs
from tests.policies.program import ProgramRun, RegisteredResource, run_program
from tools.plan.policy_runner import PolicyReport, run_policies

VMC = "deploymentConfiguration.virtualMachineConfiguration"
# Advisories the dev stack carries on purpose (see the program's README): public Batch endpoint, shared-key storage
# (gallery VHD import and auto-storage keys), no disk encryption (rejected for Linux gallery-image pools); and, until
# the program restricts them, a storage account (the capture step copies the VHD from the deployer's machine) and a
# Key Vault open to every network; a builder VM without encryption at host (it needs a subscription feature).
DEV_ADVISORIES = {
    "batch-account-public-network-access",
    "storage-account-shared-key-disabled",
    "batch-pool-disk-encryption",
    "storage-account-network-rules",
    "keyvault-network-acls",
    "batch-pool-no-public-ip",
    "builder-vm-encryption-at-host",
}


@pytest.fixture(scope="module")
def dev_report(dev_run: ProgramRun) -> PolicyReport:
    return run_policies(dev_run.resources)


def _swap(run: ProgramRun, old: RegisteredResource, new: RegisteredResource) -> list[RegisteredResource]:
    return [new if r is old else r for r in run.resources]


def test_dev_stack_has_no_mandatory_violation(dev_report):
    assert dev_report.mandatory == [], [r.message for r in dev_report.mandatory]
    assert {r.policy_name for r in dev_report.results} <= DEV_ADVISORIES
    assert not any(r.skipped_in_preview for r in dev_report.results)


def test_dev_stack_preview_has_no_mandatory_violation():
    report = run_policies(run_program(preview=True).resources)
    assert report.mandatory == [], [r.message for r in report.mandatory]


def test_unmanaged_builder_triggers_the_managed_disk_policy():
    run = run_program({"batch-custom-image:image": {"builder": {"osDisk": "unmanaged"}}})
    report = run_policies(run.resources)
    [result] = report.for_policy("builder-vm-managed-os-disk")
    assert result.level == "advisory" and result.resource_type == "azure-native:compute:VirtualMachine"
    assert result.urn == run.one("azure-native:compute:VirtualMachine").urn
    assert "osDisk.vhd.uri" in result.message and report.mandatory == []


def test_extension_on_the_program_builder_is_caught(dev_run):
    vm = dev_run.one("azure-native:compute:VirtualMachine")
    extension = RegisteredResource(
        typ="azure-native:compute:VirtualMachineExtension",
        name="custom-script",
        urn=vm.urn.rsplit("::", 2)[0] + "::azure-native:compute:VirtualMachineExtension::custom-script",
        inputs=custom_script_inputs(vm),
        outputs={},
        parent="",
        dependencies=[],
        property_dependencies={},
        custom=True,
    )
    report = run_policies([*dev_run.resources, extension])
    [result] = report.for_policy("builder-vm-no-extensions")
    assert result.level == "mandatory" and result.urn == extension.urn


def test_program_vault_in_rbac_mode_is_caught(dev_run):
    vault = dev_run.one("azure-native:keyvault:Vault")
    rbac = changed(vault, "properties.enableRbacAuthorization", True)
    [result] = run_policies(_swap(dev_run, vault, rbac)).for_policy("keyvault-batch-access-policy")
    assert result.urn == vault.urn


def test_program_pool_agent_is_matched_against_the_gallery_image_os(dev_run):
    pool = dev_run.of_type("azure-native:batch:Pool")[0]
    windows = changed(pool, f"{VMC}.nodeAgentSkuId", "batch.node.windows amd64")
    [result] = run_policies(_swap(dev_run, pool, windows)).for_policy("batch-pool-node-agent-sku")
    assert 'osType "Linux"' in result.message


def test_program_gallery_replica_outside_the_batch_region_is_caught(dev_run):
    version = dev_run.one("azure-native:compute:GalleryImageVersion")
    moved = changed(version, "publishingProfile.targetRegions", [{"name": "eastus", "regionalReplicaCount": 1}])
    moved = replace(moved, outputs={**moved.outputs, "location": "eastus"})
    [result] = run_policies(_swap(dev_run, version, moved)).for_policy("image-resources-same-region")
    assert result.urn == version.urn


@pytest.mark.parametrize(
    "path",
    [
        "storageProfile.osDisk.managedDisk",
        "osProfile.linuxConfiguration.disablePasswordAuthentication",
        "osProfile.customData",
        "hardwareProfile.vmSize",
    ],
)
def test_paths_the_pack_reads_exist_in_the_program_vm(dev_run, path):
    assert _get(dev_run.one("azure-native:compute:VirtualMachine").inputs, path) is not None


@pytest.mark.parametrize(
    ("typ", "path"),
    [
        ("azure-native:storage:StorageAccount", "minimumTlsVersion"),
        ("azure-native:storage:StorageAccount", "allowBlobPublicAccess"),
        ("azure-native:storage:StorageAccount", "sku.name"),
        ("azure-native:batch:BatchAccount", "keyVaultReference.url"),
        ("azure-native:batch:BatchAccount", "allowedAuthenticationModes"),
        ("azure-native:batch:Pool", f"{VMC}.imageReference.id"),
        ("azure-native:batch:Pool", f"{VMC}.nodeAgentSkuId"),
        ("azure-native:batch:Pool", "targetNodeCommunicationMode"),
        ("azure-native:batch:Pool", "scaleSettings"),
        ("azure-native:keyvault:Vault", "properties.enablePurgeProtection"),
        ("azure-native:keyvault:Vault", "properties.accessPolicies"),
        ("azure-native:compute:GalleryImageVersion", "publishingProfile.targetRegions"),
        ("azure-native:compute:GalleryImage", "osType"),
        ("azure-native:network:NetworkInterface", "ipConfigurations"),
        ("pulumi-python:dynamic/capture:GeneralizedImage", "vm_id"),
    ],
)
def test_paths_the_pack_reads_exist_in_what_the_program_sends(dev_run, typ, path):
    assert all(_get(r.inputs, path) is not None for r in dev_run.of_type(typ)), (typ, path)


def _get(data, path):
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data
