"""Batch account policies: allocation mode, Key Vault reference, Entra ID only, public network access."""

from __future__ import annotations

import pytest

from tests.policies.helpers import assert_message_shape, run, single, with_changes
from tests.policies.stack import DELETE, UNKNOWN, changed, dev_stack

ACCOUNT = dev_stack()["account"]


def test_batch_service_mode_fails_the_default_configuration():
    account = changed(ACCOUNT, "poolAllocationMode", "BatchService")
    account = changed(account, "keyVaultReference", DELETE)
    result = single(run(with_changes(account=account)), "batch-account-user-subscription-mode")
    assert result.level == "mandatory"
    assert_message_shape(
        result, 'Batch account "batch-account"', 'poolAllocationMode "BatchService"', "UserSubscription"
    )


def test_missing_allocation_mode_means_batch_service():
    result = single(
        run(with_changes(account=changed(ACCOUNT, "poolAllocationMode", DELETE))),
        "batch-account-user-subscription-mode",
    )
    assert 'poolAllocationMode "BatchService"' in result.message


def test_allocation_mode_is_configurable():
    account = changed(changed(ACCOUNT, "poolAllocationMode", "BatchService"), "keyVaultReference", DELETE)
    config = {"batch-account-user-subscription-mode": {"poolAllocationMode": "BatchService"}}
    assert run(with_changes(account=account), config).results == []
    assert single(run(with_changes(), config), "batch-account-user-subscription-mode")


@pytest.mark.parametrize(("path", "missing"), [("keyVaultReference", "id and .url"), ("keyVaultReference.url", "url")])
def test_user_subscription_account_needs_key_vault_reference(path, missing):
    result = single(run(with_changes(account=changed(ACCOUNT, path, DELETE))), "batch-account-keyvault-reference")
    assert result.level == "mandatory"
    assert_message_shape(result, f"keyVaultReference.{missing}", "vault URI")


def test_key_vault_id_unknown_during_preview_passes():
    assert run(with_changes(account=changed(ACCOUNT, "keyVaultReference.id", UNKNOWN))).results == []


@pytest.mark.parametrize(("modes", "found"), [(["AAD", "SharedKey"], "SharedKey"), (DELETE, "not set")])
def test_shared_key_authentication_is_advisory(modes, found):
    result = single(
        run(with_changes(account=changed(ACCOUNT, "allowedAuthenticationModes", modes))),
        "batch-account-entra-auth-only",
    )
    assert result.level == "advisory"
    assert_message_shape(result, found, 'allowedAuthenticationModes to ["AAD"]')


@pytest.mark.parametrize("access", ["Enabled", DELETE])
def test_open_public_network_access_is_advisory(access):
    result = single(
        run(with_changes(account=changed(ACCOUNT, "publicNetworkAccess", access))),
        "batch-account-public-network-access",
    )
    assert result.level == "advisory"
    assert_message_shape(result, 'publicNetworkAccess "Enabled"', '"Disabled"')


def test_public_access_restricted_by_ip_rules_passes_unless_configured_otherwise():
    account = changed(ACCOUNT, "publicNetworkAccess", "Enabled")
    account = changed(
        account,
        "networkProfile",
        {"accountAccess": {"defaultAction": "Deny", "ipRules": [{"value": "203.0.113.0/24"}]}},
    )
    assert run(with_changes(account=account)).results == []
    config = {"batch-account-public-network-access": {"allowRestricted": False}}
    assert single(run(with_changes(account=account), config), "batch-account-public-network-access")
