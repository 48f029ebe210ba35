"""storage-account-network-rules: networkRuleSet default action Deny with the AzureServices bypass (CKV_AZURE_35,
CKV_AZURE_36, advisory)."""

from __future__ import annotations

import pytest

from tests.policies.helpers import DELETE, UNKNOWN, assert_guidance, run
from tests.policies.rules._storage import SA, assert_passes, assert_violation

NAME = "storage-account-network-rules"


def test_the_dev_stack_carries_this_advisory(dev):
    [result] = run(dev).for_policy(NAME)
    assert result.level == "advisory" and result.resource_name == SA
    assert "networkRuleSet.defaultAction not set" in result.message


@pytest.mark.parametrize(("value", "found"), [("Allow", '"Allow"'), (DELETE, "not set")])
def test_default_action_other_than_deny_is_advisory(baseline, value, found):
    assert_violation(
        baseline, "networkRuleSet.defaultAction", value, NAME, f"networkRuleSet.defaultAction {found}", "bypass"
    )
    assert_guidance(NAME, "capture step copies the VHD from the deployer's machine", "ipRules", "private endpoint")


def test_no_network_rules_at_all_is_advisory(baseline):
    assert_violation(baseline, "networkRuleSet", DELETE, NAME, "every network reaches the account by default")


@pytest.mark.parametrize(("value", "found"), [("None", '"None"'), ("Logging, Metrics", '"Logging, Metrics"')])
def test_deny_without_the_azure_services_bypass_is_advisory(baseline, value, found):
    assert_violation(baseline, "networkRuleSet.bypass", value, NAME, f"networkRuleSet.bypass {found}")


@pytest.mark.parametrize("value", ["Logging, Metrics, AzureServices", "azureservices", UNKNOWN])
def test_bypass_including_azure_services_passes(baseline, value):
    assert_passes(baseline, "networkRuleSet.bypass", value)


def test_default_action_unknown_during_preview_passes(baseline):
    assert_passes(baseline, "networkRuleSet.defaultAction", UNKNOWN)
