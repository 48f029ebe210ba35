"""gallery-batch-image-reader (stack): in a UserSubscription account, the Batch principal can read the images of the
gallery its pools boot from."""

from __future__ import annotations

import components.batch_account as program
from tests.policies.helpers import UNKNOWN, assert_guidance, assert_message_shape, changed, new, run, single, stack_with
from tests.policies.program import BATCH_PRINCIPAL_OBJECT_ID, DEPLOYER_OBJECT_ID

NAME = "gallery-batch-image-reader"
READER = "batch-gallery-image-reader"
SUB = "/subscriptions/00000000-0000-4000-8000-000000000001"
READER_ROLE = "acdd72a7-3385-48ef-bd42-f606fba81ae7"  # built-in Reader


def _without(stack, *names):
    return {k: v for k, v in stack.items() if k not in names}


def test_the_pack_and_the_program_name_the_same_roles():
    from batch_image_policies import _batch as pack  # the pack's own import root, as the engine loads it

    assert pack.COMPUTE_GALLERY_IMAGE_READER_ROLE == program.COMPUTE_GALLERY_IMAGE_READER_ROLE
    assert pack.BATCH_ORCHESTRATION_ROLE == program.BATCH_ORCHESTRATION_ROLE


def test_without_the_gallery_role_the_gallery_is_reported(baseline):
    stack = _without(baseline, READER)
    result = single(run(stack), NAME)
    assert result.level == "advisory" and result.urn == baseline["gallery-gallery"].urn
    assert_message_shape(
        result, 'gallery "gallery-gallery"', 'pool "pools-', BATCH_PRINCIPAL_OBJECT_ID, "cf7c76d2-98a3-4358-a134"
    )
    assert_guidance(NAME, "Compute Gallery Image Reader", "Orchestration Role", "batchPrincipalObjectId")


def test_a_gallery_role_for_someone_else_does_not_count(baseline):
    reader = changed(baseline[READER], "principalId", DEPLOYER_OBJECT_ID)
    stack = stack_with(baseline, reader)
    result = single(run(stack, {NAME: {"batchPrincipalObjectId": BATCH_PRINCIPAL_OBJECT_ID}}), NAME)
    assert BATCH_PRINCIPAL_OBJECT_ID in result.message


def test_the_orchestration_role_on_the_subscription_does_not_count(baseline):
    # It names the Batch principal, but no Microsoft page says it reads gallery images.
    stack = _without(baseline, READER)
    assert "batch-batch-service-role" in stack
    assert single(run(stack), NAME)


def test_reader_on_the_resource_group_covers_the_gallery(baseline):
    gallery_id = baseline["gallery-gallery"].outputs["id"]
    group_scope = gallery_id.split("/providers/")[0]
    role = new(
        "azure-native:authorization:RoleAssignment",
        "batch-rg-reader",
        {
            "scope": group_scope,
            "principalId": BATCH_PRINCIPAL_OBJECT_ID,
            "principalType": "ServicePrincipal",
            "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{READER_ROLE}",
        },
    )
    stack = stack_with(_without(baseline, READER), role)
    assert run(stack).for_policy(NAME) == []
    assert single(run(stack, {NAME: {"readerRoleIds": [program.COMPUTE_GALLERY_IMAGE_READER_ROLE]}}), NAME)


def test_batch_service_accounts_are_not_checked(baseline):
    account = changed(baseline["batch-account"], "poolAllocationMode", "BatchService")
    assert run(stack_with(_without(baseline, READER), account)).for_policy(NAME) == []


def test_unknown_principal_in_preview_is_not_judged(baseline):
    reader = changed(baseline[READER], "principalId", UNKNOWN)
    assert (
        run(stack_with(baseline, reader), {NAME: {"batchPrincipalObjectId": BATCH_PRINCIPAL_OBJECT_ID}}).for_policy(
            NAME
        )
        == []
    )
