"""batch-account-public-network-access: the Batch account endpoint is not open to the internet."""

from __future__ import annotations

import pytest

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "batch-account-public-network-access"


def test_the_dev_stack_carries_this_advisory_on_purpose(dev):
    [result] = run(dev).for_policy(NAME)
    assert result.level == "advisory" and result.resource_name == "batch-account"


@pytest.mark.parametrize("access", ["Enabled", DELETE])
def test_open_public_network_access_is_advisory(baseline, access):
    account = changed(baseline["batch-account"], "publicNetworkAccess", access)
    result = single(run(stack_with(baseline, account)), NAME)
    assert result.level == "advisory"
    assert_message_shape(result, 'publicNetworkAccess "Enabled"', '"Disabled"', 'defaultAction: "Deny"')
    assert_guidance(NAME, 'publicNetworkAccess to "Disabled"', "private endpoint")


def test_public_access_restricted_by_ip_rules_passes_unless_configured_otherwise(baseline):
    account = changed(baseline["batch-account"], "publicNetworkAccess", "Enabled")
    account = changed(
        account,
        "networkProfile",
        {"accountAccess": {"defaultAction": "Deny", "ipRules": [{"value": "203.0.113.0/24"}]}},
    )
    assert run(stack_with(baseline, account)).results == []
    result = single(run(stack_with(baseline, account), {NAME: {"allowRestricted": False}}), NAME)
    assert "defaultAction" not in result.message.split("allowed:")[1]
