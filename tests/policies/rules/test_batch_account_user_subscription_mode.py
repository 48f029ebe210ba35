"""batch-account-user-subscription-mode: the Batch account uses the configured pool allocation mode."""

from __future__ import annotations

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "batch-account-user-subscription-mode"


def _batch_service(baseline):
    return changed(
        changed(baseline["batch-account"], "poolAllocationMode", "BatchService"), "keyVaultReference", DELETE
    )


def test_batch_service_mode_fails_the_default_configuration(baseline):
    result = single(run(stack_with(baseline, _batch_service(baseline))), NAME)
    assert result.level == "mandatory"
    assert_message_shape(
        result,
        'Batch account "batch-account"',
        'poolAllocationMode "BatchService"',
        'allowed: poolAllocationMode "User',
    )
    assert_guidance(NAME, "batch.poolAllocationMode", "create-only")


def test_missing_allocation_mode_means_batch_service(baseline):
    account = changed(baseline["batch-account"], "poolAllocationMode", DELETE)
    result = single(run(stack_with(baseline, account)), NAME)
    assert 'poolAllocationMode "BatchService"' in result.message


def test_allocation_mode_is_configurable(baseline):
    config = {NAME: {"poolAllocationMode": "BatchService"}}
    assert run(stack_with(baseline, _batch_service(baseline)), config).results == []
    assert single(run(baseline, config), NAME)
