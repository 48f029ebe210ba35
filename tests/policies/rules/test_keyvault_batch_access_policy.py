"""keyvault-batch-access-policy (stack): a UserSubscription account's vault is in access-policy mode, in the
account's region, and grants the Batch principal the secret permissions Batch needs."""

from __future__ import annotations

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, new, run, single, stack_with
from tests.policies.program import BATCH_PRINCIPAL_OBJECT_ID, DEPLOYER_OBJECT_ID

NAME = "keyvault-batch-access-policy"
# Tests that remove every role assignment naming the Batch principal leave the gallery's reader role out too; that
# is gallery-batch-image-reader's finding, checked in its own tests.
NO_GALLERY_CHECK = {"gallery-batch-image-reader": "disabled"}


def test_rbac_mode_vault_is_mandatory_violation(baseline):
    vault = changed(baseline["batch-vault"], "properties.enableRbacAuthorization", True)
    result = single(run(stack_with(baseline, vault)), NAME)
    assert result.level == "mandatory" and result.urn == vault.urn
    assert_message_shape(result, "enableRbacAuthorization true", "false, set explicitly")
    assert_guidance(NAME, "enableRbacAuthorization to false explicitly", "invalid key vault reference")


def test_missing_recover_permission_is_reported(baseline):
    secrets = ["get", "list", "set", "delete"]
    vault = changed(baseline["batch-vault"], "properties.accessPolicies.0.permissions.secrets", secrets)
    result = single(run(stack_with(baseline, vault)), NAME)
    assert_message_shape(
        result, BATCH_PRINCIPAL_OBJECT_ID, "secrets ['get', 'list', 'set', 'delete']", "get/list/set/delete/recover"
    )
    assert_guidance(NAME, "ddbf3205-c6bd-46ae-8127-60eb93363864", "does not have the Batch Service in access policies")


def test_grant_to_the_deployer_is_not_a_grant_to_batch(baseline):
    vault = changed(baseline["batch-vault"], "properties.accessPolicies.0.objectId", DEPLOYER_OBJECT_ID)
    result = single(run(stack_with(baseline, vault)), NAME)
    assert f"principal {BATCH_PRINCIPAL_OBJECT_ID}" in result.message


def test_separate_access_policy_resource_counts(baseline):
    vault = changed(baseline["batch-vault"], "properties.accessPolicies", [])
    policy = new(
        "azure-native:keyvault:AccessPolicy",
        "batch-access",
        {
            "resourceGroupName": vault.inputs["resourceGroupName"],
            "vaultName": vault.inputs["vaultName"],
            "policy": {
                "tenantId": "tenant",
                "objectId": BATCH_PRINCIPAL_OBJECT_ID,
                "permissions": {"secrets": ["Get", "List", "Set", "Delete", "Recover"]},
            },
        },
        {"vaultName": vault},
    )
    assert run(stack_with(baseline, vault)).for_policy(NAME)
    assert run(stack_with(baseline, vault, policy)).results == []


def test_the_gallery_reader_role_names_the_batch_principal_without_the_subscription_role(baseline):
    # grantSubscriptionRole: false (a second stack in the subscription): the gallery role still says who Batch is.
    stack = dict(baseline)
    del stack["batch-batch-service-role"]
    assert run(stack).results == []
    vault = changed(baseline["batch-vault"], "properties.accessPolicies.0.objectId", DEPLOYER_OBJECT_ID)
    assert f"principal {BATCH_PRINCIPAL_OBJECT_ID}" in single(run(stack_with(stack, vault)), NAME).message


def test_configured_principal_is_used_when_no_role_assignment_is_in_the_stack(baseline):
    stack = dict(baseline)
    del stack["batch-batch-service-role"]
    del stack["batch-gallery-image-reader"]
    assert run(stack, {NAME: {"batchPrincipalObjectId": BATCH_PRINCIPAL_OBJECT_ID}, **NO_GALLERY_CHECK}).results == []
    assert single(run(stack, {NAME: {"batchPrincipalObjectId": DEPLOYER_OBJECT_ID}, **NO_GALLERY_CHECK}), NAME)


def test_vault_granting_only_the_deployer_fails_without_a_batch_role_assignment(baseline):
    # No role assignment names the Batch principal and no object id is configured: a grant to whoever it is (here
    # the deployer) is not trusted to be Batch's.
    stack = dict(baseline)
    del stack["batch-batch-service-role"]
    del stack["batch-gallery-image-reader"]
    vault = changed(baseline["batch-vault"], "properties.accessPolicies.0.objectId", DEPLOYER_OBJECT_ID)
    result = single(run(stack_with(stack, vault), NO_GALLERY_CHECK), NAME)
    assert result.level == "mandatory" and result.urn == vault.urn
    assert_message_shape(
        result, "the Batch principal (unknown", DEPLOYER_OBJECT_ID, "ddbf3205", "batchPrincipalObjectId"
    )
    assert_guidance(NAME, "az ad sp show --id ddbf3205-c6bd-46ae-8127-60eb93363864")
    config = {NAME: {"batchPrincipalObjectId": BATCH_PRINCIPAL_OBJECT_ID}, **NO_GALLERY_CHECK}
    assert single(run(stack_with(stack, vault), config), NAME)
    assert run(stack, config).results == []


def test_batch_principal_is_the_one_with_the_batch_orchestration_role(baseline):
    # A CI service principal with Contributor on the subscription is not the Batch principal.
    role = baseline["batch-batch-service-role"]
    ci_role = new(
        "azure-native:authorization:RoleAssignment",
        "ci-contributor",
        {
            "scope": role.inputs["scope"],
            "principalId": DEPLOYER_OBJECT_ID,
            "principalType": "ServicePrincipal",
            "roleDefinitionId": role.inputs["scope"] + "/providers/Microsoft.Authorization/roleDefinitions/"
            "b24988ac-6180-42a0-ab88-20f7382dd24c",
        },
    )
    vault = changed(baseline["batch-vault"], "properties.accessPolicies.0.objectId", DEPLOYER_OBJECT_ID)
    result = single(run(stack_with(baseline, vault, ci_role)), NAME)
    assert f"principal {BATCH_PRINCIPAL_OBJECT_ID}" in result.message


def test_vault_in_another_region_is_reported(baseline):
    result = single(run(stack_with(baseline, changed(baseline["batch-vault"], "location", "northeurope"))), NAME)
    assert_message_shape(result, 'location "northeurope"', "account's region")


def test_batch_service_account_needs_no_vault(baseline):
    account = changed(baseline["batch-account"], "poolAllocationMode", "BatchService")
    account = changed(account, "keyVaultReference", DELETE)
    vault = changed(baseline["batch-vault"], "properties.enableRbacAuthorization", True)
    config = {"batch-account-user-subscription-mode": {"poolAllocationMode": "BatchService"}}
    assert run(stack_with(baseline, account, vault), config).results == []
