"""Stack policies (AnalyzeStack, outputs + dependencies): no extensions on the captured builder, the Batch vault's
access policy, one region, replicas for the pools, node agent SKU against the image's OS."""

from __future__ import annotations

import pytest

from tests.policies.helpers import assert_message_shape, run, single, with_changes
from tests.policies.stack import BATCH_SP, DELETE, DEPLOYER, UNKNOWN, changed, dev_stack, new

S = dev_stack()
VMC = "deploymentConfiguration.virtualMachineConfiguration"
EXTENSION = "azure-native:compute:VirtualMachineExtension"
RUN_COMMAND = "azure-native:compute:VirtualMachineRunCommandByVirtualMachine"


def _extension(typ=EXTENSION, deps=True, vm_name="builder-vm"):
    inputs = {
        "resourceGroupName": "rg-dev",
        "vmName": vm_name,
        "publisher": "Microsoft.Azure.Extensions",
        "type": "CustomScript",
        "typeHandlerVersion": "2.1",
    }
    return new(typ, "setup-script", inputs, {"vmName": S["vm"]} if deps else None)


# --- builder-vm-no-extensions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("typ", [EXTENSION, RUN_COMMAND])
def test_extension_on_captured_builder_is_mandatory_violation(typ):
    extension = _extension(typ)
    result = single(run(with_changes(ext=extension)), "builder-vm-no-extensions")
    assert result.level == "mandatory" and result.stage == "stack"
    assert result.urn == extension.urn and result.resource_type == typ
    assert_message_shape(result, 'VM "builder-vm"', typ, "cloud-init", "break pool deployment")


def test_extension_found_by_vm_name_without_dependency():
    assert single(run(with_changes(ext=_extension(deps=False))), "builder-vm-no-extensions")


def test_extension_on_a_vm_that_is_not_captured_passes():
    stack = with_changes(ext=_extension())
    del stack["capture"]
    stack["version"] = changed(stack["version"], "storageProfile", {"source": {"id": "/external/vm"}})
    report = run(stack)
    assert report.for_policy("builder-vm-no-extensions") == []


def test_capture_vm_id_unknown_in_preview_still_links_by_dependency():
    stack = with_changes(ext=_extension(), capture=changed(S["capture"], "vm_id", UNKNOWN))
    assert single(run(stack), "builder-vm-no-extensions")


def test_extensions_listed_on_the_captured_vm_outputs():
    vm = changed(
        S["vm"],
        "resources",
        [{"id": S["vm"].outputs["id"] + "/extensions/AzureMonitorLinuxAgent", "name": "AzureMonitorLinuxAgent"}],
    )
    result = single(run(with_changes(vm=vm)), "builder-vm-no-extensions")
    assert result.urn == vm.urn and "AzureMonitorLinuxAgent" in result.message


def test_extension_types_are_configurable():
    custom = new("azure:compute/extension:Extension", "classic-ext", {"virtualMachineId": "x"}, {"vmId": S["vm"]})
    config = {"builder-vm-no-extensions": {"extensionTypes": ["azure:compute/extension:Extension"]}}
    assert run(with_changes(ext=custom)).results == []
    assert single(run(with_changes(ext=custom), config), "builder-vm-no-extensions")


# --- keyvault-batch-access-policy ---------------------------------------------------------------------------------


def test_rbac_mode_vault_is_mandatory_violation():
    vault = changed(S["vault"], "properties.enableRbacAuthorization", True)
    result = single(run(with_changes(vault=vault)), "keyvault-batch-access-policy")
    assert result.level == "mandatory" and result.urn == vault.urn
    assert_message_shape(result, "enableRbacAuthorization true", "false explicitly")


def test_missing_recover_permission_is_reported():
    vault = changed(S["vault"], "properties.accessPolicies.0.permissions.secrets", ["get", "list", "set", "delete"])
    result = single(run(with_changes(vault=vault)), "keyvault-batch-access-policy")
    assert_message_shape(result, BATCH_SP, "secrets ['get', 'list', 'set', 'delete']", "get/list/set/delete/recover")


def test_grant_to_the_deployer_is_not_a_grant_to_batch():
    vault = changed(S["vault"], "properties.accessPolicies.0.objectId", DEPLOYER)
    result = single(run(with_changes(vault=vault)), "keyvault-batch-access-policy")
    assert f"principal {BATCH_SP}" in result.message


def test_separate_access_policy_resource_counts():
    vault = changed(S["vault"], "properties.accessPolicies", [])
    policy = new(
        "azure-native:keyvault:AccessPolicy",
        "batch-access",
        {
            "resourceGroupName": "rg-dev",
            "vaultName": "kv-batch-dev",
            "policy": {
                "tenantId": "tenant",
                "objectId": BATCH_SP,
                "permissions": {"secrets": ["Get", "List", "Set", "Delete", "Recover"]},
            },
        },
        {"vaultName": vault},
    )
    assert run(with_changes(vault=vault)).for_policy("keyvault-batch-access-policy")
    assert run(with_changes(vault=vault, policy=policy)).results == []


def test_configured_principal_is_used_when_no_role_assignment_is_in_the_stack():
    stack = with_changes()
    del stack["batch_role"]
    assert run(stack).results == []  # any principal with the full grant will do
    config = {"keyvault-batch-access-policy": {"batchPrincipalObjectId": DEPLOYER}}
    assert single(run(stack, config), "keyvault-batch-access-policy")


def test_vault_in_another_region_is_reported():
    vault = changed(S["vault"], "location", "northeurope")
    result = single(run(with_changes(vault=vault)), "keyvault-batch-access-policy")
    assert_message_shape(result, 'location "northeurope"', "account's region")


def test_batch_service_account_needs_no_vault():
    account = changed(changed(S["account"], "poolAllocationMode", "BatchService"), "keyVaultReference", DELETE)
    vault = changed(S["vault"], "properties.enableRbacAuthorization", True)
    config = {"batch-account-user-subscription-mode": {"poolAllocationMode": "BatchService"}}
    assert run(with_changes(account=account, vault=vault), config).results == []


# --- image-resources-same-region ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "kind"), [("sa", "storage account"), ("vm", "builder VM")])
def test_resource_outside_the_batch_region_is_mandatory_violation(key, kind):
    moved = changed(S[key], "location", "North Europe")
    result = single(run(with_changes(**{key: moved})), "image-resources-same-region")
    assert result.level == "mandatory" and result.urn == moved.urn
    assert_message_shape(result, kind, 'location "northeurope"', '"westeurope" (Batch account "batch-account")')


def test_region_comes_from_the_resource_group_when_the_resource_has_none():
    stack = with_changes(sa=changed(S["sa"], "location", DELETE), rg=changed(S["rg"], "location", "eastus"))
    result = single(run(stack), "image-resources-same-region")
    assert result.urn == S["sa"].urn and '"eastus"' in result.message


def test_gallery_version_without_a_replica_in_the_batch_region():
    version = changed(
        changed(S["version"], "location", "northeurope"),
        "publishingProfile.targetRegions",
        [{"name": "northeurope", "regionalReplicaCount": 1}],
    )
    report = run(with_changes(version=version))
    [result] = report.for_policy("image-resources-same-region")
    assert_message_shape(result, "no replica in the Batch region westeurope", "image.replicas")
    [replicas] = report.for_policy("gallery-replicas-cover-pools")  # and the pools have no replica to read
    assert "0 replica(s) in westeurope" in replicas.message


def test_gallery_without_target_regions_replicates_in_its_own_region():
    assert run(with_changes(version=changed(S["version"], "publishingProfile", DELETE))).results == []


def test_gallery_replicating_into_the_batch_region_passes():
    version = changed(
        changed(S["version"], "location", "northeurope"),
        "publishingProfile.targetRegions",
        [{"name": "northeurope"}, {"name": "West Europe", "regionalReplicaCount": 1}],
    )
    assert run(with_changes(version=version)).results == []


# --- gallery-replicas-cover-pools -----------------------------------------------------------------------------------


def _big_pool(nodes):
    return changed(
        S["pool"],
        "scaleSettings.fixedScale",
        {"targetDedicatedNodes": nodes, "targetLowPriorityNodes": 0, "resizeTimeout": "PT1H"},
    )


def test_too_few_replicas_for_the_pool_is_advisory():
    report = run(with_changes(pool=_big_pool(700)), {"batch-pool-max-nodes": {"maxNodes": 1000}})
    result = single(report, "gallery-replicas-cover-pools")
    assert result.level == "advisory" and result.urn == S["version"].urn
    assert_message_shape(result, "700 pool nodes", "1 replica(s) in westeurope", "at least 3")


def test_enough_replicas_pass_and_ratio_is_configurable():
    version = changed(S["version"], "publishingProfile.targetRegions.0.regionalReplicaCount", 3)
    config = {"batch-pool-max-nodes": {"maxNodes": 1000}}
    assert run(with_changes(pool=_big_pool(700), version=version), config).results == []
    config["gallery-replicas-cover-pools"] = {"nodesPerReplica": 100}
    assert (
        "at least 7"
        in single(
            run(with_changes(pool=_big_pool(700), version=version), config), "gallery-replicas-cover-pools"
        ).message
    )


# --- batch-pool-node-agent-sku --------------------------------------------------------------------------------------


def test_unknown_node_agent_is_mandatory_violation():
    pool = changed(S["pool"], f"{VMC}.nodeAgentSkuId", "batch.node.ubuntu 20.04")
    result = single(run(with_changes(pool=pool)), "batch-pool-node-agent-sku")
    assert result.level == "mandatory" and result.stage == "stack" and result.urn == pool.urn
    assert_message_shape(result, 'nodeAgentSkuId "batch.node.ubuntu 20.04"', "batch.node.ubuntu 24.04")


def test_windows_agent_on_linux_image_is_mandatory_violation():
    pool = changed(S["pool"], f"{VMC}.nodeAgentSkuId", "batch.node.windows amd64")
    result = single(run(with_changes(pool=pool)), "batch-pool-node-agent-sku")
    assert_message_shape(result, 'gallery image "app-node"', 'osType "Linux"', "batch.node.el 9")


def test_windows_agent_on_windows_image_passes():
    pool = changed(S["pool"], f"{VMC}.nodeAgentSkuId", "batch.node.windows amd64")
    image = changed(S["image"], "osType", "Windows")
    assert run(with_changes(pool=pool, image=image)).results == []


def test_node_agent_unknown_during_preview_is_not_judged():
    assert run(with_changes(pool=changed(S["pool"], f"{VMC}.nodeAgentSkuId", UNKNOWN))).results == []


def test_batch_principal_is_the_one_with_the_batch_orchestration_role():
    # A CI service principal with Contributor on the subscription is not the Batch principal.
    ci_role = new(
        "azure-native:authorization:RoleAssignment",
        "ci-contributor",
        {
            "scope": S["batch_role"].inputs["scope"],
            "principalId": DEPLOYER,
            "principalType": "ServicePrincipal",
            "roleDefinitionId": S["batch_role"].inputs["scope"] + "/providers/Microsoft.Authorization/roleDefinitions/"
            "b24988ac-6180-42a0-ab88-20f7382dd24c",
        },
    )
    vault = changed(S["vault"], "properties.accessPolicies.0.objectId", DEPLOYER)
    result = single(run(with_changes(vault=vault, ci_role=ci_role)), "keyvault-batch-access-policy")
    assert f"principal {BATCH_SP}" in result.message
