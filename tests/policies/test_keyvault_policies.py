"""Key Vault soft delete and purge protection."""

from __future__ import annotations

import pytest

from tests.policies.helpers import assert_message_shape, run, single, with_changes
from tests.policies.stack import DELETE, changed, dev_stack

VAULT = dev_stack()["vault"]


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("properties.enablePurgeProtection", False, "purge protection is off"),
        ("properties.enablePurgeProtection", DELETE, "purge protection is off"),
        ("properties.enableSoftDelete", False, "soft delete is off"),
    ],
)
def test_vault_without_recovery_protection_is_mandatory_violation(path, value, problem):
    result = single(run(with_changes(vault=changed(VAULT, path, value))), "keyvault-soft-delete-purge-protection")
    assert result.level == "mandatory"
    assert_message_shape(result, 'Key Vault "batch-vault"', problem, "enablePurgeProtection true")


def test_soft_delete_unset_is_the_azure_default_and_passes():
    assert run(with_changes(vault=changed(VAULT, "properties.enableSoftDelete", DELETE))).results == []
