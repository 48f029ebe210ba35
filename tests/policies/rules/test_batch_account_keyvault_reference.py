"""batch-account-keyvault-reference: a UserSubscription Batch account references its Key Vault."""

from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "batch-account-keyvault-reference"


@pytest.mark.parametrize(("path", "missing"), [("keyVaultReference", "id and .url"), ("keyVaultReference.url", "url")])
def test_user_subscription_account_needs_key_vault_reference(baseline, path, missing):
    result = single(run(stack_with(baseline, changed(baseline["batch-account"], path, DELETE))), NAME)
    assert result.level == "mandatory"
    assert_message_shape(result, f"keyVaultReference.{missing}", "vault URI")
    assert_guidance(NAME, "vault URI")


def test_key_vault_id_unknown_during_preview_passes(baseline):
    account = changed(baseline["batch-account"], "keyVaultReference.id", UNKNOWN)
    assert run(stack_with(baseline, account)).results == []
