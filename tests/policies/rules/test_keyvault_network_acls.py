"""keyvault-network-acls: properties.networkAcls default action Deny, Batch in as a trusted service (CKV_AZURE_109,
advisory)."""

from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "keyvault-network-acls"
VAULT = "batch-vault"


def _vault(baseline, path, value):
    return stack_with(baseline, changed(baseline[VAULT], path, value))


def test_deny_by_default_with_trusted_services_passes(baseline):
    assert run(baseline).for_policy(NAME) == []


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


@pytest.mark.parametrize("path", ["properties.networkAcls.defaultAction", "properties.networkAcls.bypass"])
def test_unknown_during_preview_passes(baseline, path):
    assert run(_vault(baseline, path, UNKNOWN)).results == []
