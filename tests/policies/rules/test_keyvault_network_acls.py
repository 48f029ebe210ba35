"""keyvault-network-acls: properties.networkAcls default action Deny, no public endpoint unless IP rules use it, Batch
in as a trusted service (CKV_AZURE_109, CKV_AZURE_189, advisory)."""

from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with
from tests.policies.program import run_program

NAME = "keyvault-network-acls"
VAULT = "batch-vault"


def _vault(baseline, path, value):
    return stack_with(baseline, changed(baseline[VAULT], path, value))


def test_the_dev_stack_carries_this_advisory(dev):
    [result] = run(dev).for_policy(NAME)
    assert result.level == "advisory" and result.resource_name == VAULT


@pytest.mark.parametrize(
    ("path", "value", "found"),
    [
        ("properties.networkAcls.defaultAction", "Allow", 'properties.networkAcls.defaultAction "Allow"'),
        ("properties.networkAcls", DELETE, "properties.networkAcls.defaultAction not set"),
        ("properties.networkAcls.bypass", "None", 'properties.networkAcls.bypass "None"'),
        ("properties.networkAcls.bypass", DELETE, "properties.networkAcls.bypass not set"),
    ],
)
def test_vault_open_to_every_network_or_closed_to_batch_is_advisory(baseline, path, value, found):
    result = single(run(_vault(baseline, path, value)), NAME)
    assert result.level == "advisory" and result.resource_type == "azure-native:keyvault:Vault"
    assert_message_shape(result, f'Key Vault "{VAULT}"', found, 'bypass: "AzureServices"')
    assert_guidance(NAME, "Batch reaches the vault", "trusted Microsoft service")


@pytest.mark.parametrize("public", ["Enabled", DELETE])
def test_a_public_endpoint_no_ip_rule_uses_is_advisory(baseline, public):
    """What Checkov's CKV_AZURE_189 finds: publicNetworkAccess not disabled and no IP rule."""
    result = single(run(_vault(baseline, "properties.publicNetworkAccess", public)), NAME)
    found = 'properties.publicNetworkAccess "Enabled"' if public == "Enabled" else "properties.publicNetworkAccess not"
    assert_message_shape(result, f'Key Vault "{VAULT}"', found, "no networkAcls.ipRules", '"Disabled" unless ipRules')


def test_ip_rules_keep_the_public_endpoint_and_are_ignored_without_it(baseline):
    rules = changed(baseline[VAULT], "properties.networkAcls.ipRules", [{"value": "203.0.113.7"}])
    assert run(stack_with(baseline, changed(rules, "properties.publicNetworkAccess", "Enabled"))).results == []
    result = single(run(stack_with(baseline, rules)), NAME)  # still Disabled: the rule lets nobody in
    assert_message_shape(result, "IP rules are ignored", 'properties.publicNetworkAccess "Disabled" with 1')


@pytest.mark.parametrize(
    ("access", "public"),
    [
        ({"defaultAction": "Deny"}, "Disabled"),
        ({"defaultAction": "Deny", "ipRules": ["203.0.113.7"]}, "enabled"),
    ],  # SDK default
)
def test_the_vault_network_access_setting_sets_public_network_access_and_passes(access, public):
    run_ = run_program({"batch-custom-image:batch": {"vaultNetworkAccess": access}})
    vault = run_.one("azure-native:keyvault:Vault")
    assert vault.inputs["properties"].get("publicNetworkAccess") == public
    assert run(run_.resources).for_policy(NAME) == []


@pytest.mark.parametrize(
    "path", ["properties.networkAcls.defaultAction", "properties.networkAcls.bypass", "properties.publicNetworkAccess"]
)
def test_unknown_during_preview_passes(baseline, path):
    assert run(_vault(baseline, path, UNKNOWN)).results == []
