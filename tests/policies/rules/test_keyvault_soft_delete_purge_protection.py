"""keyvault-soft-delete-purge-protection: soft delete and purge protection on (CKV_AZURE_42/110)."""

from __future__ import annotations

import pytest

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "keyvault-soft-delete-purge-protection"


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("properties.enablePurgeProtection", False, "purge protection is off"),
        ("properties.enablePurgeProtection", DELETE, "purge protection is off"),
        ("properties.enableSoftDelete", False, "soft delete is off"),
    ],
)
def test_vault_without_recovery_protection_is_mandatory_violation(baseline, path, value, problem):
    result = single(run(stack_with(baseline, changed(baseline["batch-vault"], path, value))), NAME)
    assert result.level == "mandatory"
    assert_message_shape(result, 'Key Vault "batch-vault"', problem, "enablePurgeProtection true")
    assert_guidance(NAME, "enablePurgeProtection to true", "breaks the account")


def test_soft_delete_unset_is_the_azure_default_and_passes(baseline):
    vault = changed(baseline["batch-vault"], "properties.enableSoftDelete", DELETE)
    assert run(stack_with(baseline, vault)).results == []
