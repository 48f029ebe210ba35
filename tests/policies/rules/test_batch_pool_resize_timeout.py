"""batch-pool-resize-timeout: fixed pools allow 15 minutes of resize time per 1,000 target nodes (advisory)."""

from __future__ import annotations

import pytest

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "batch-pool-resize-timeout"
ROOMY = {"batch-pool-max-nodes": {"maxNodes": 5000}}


def _fixed(baseline, dedicated, spot, timeout):
    scale = {"targetDedicatedNodes": dedicated, "targetLowPriorityNodes": spot, "resizeTimeout": timeout}
    return stack_with(baseline, changed(baseline["pools-render"], "scaleSettings.fixedScale", scale))


def test_dev_pool_timeout_passes(baseline):
    assert baseline["pools-render"].inputs["scaleSettings"]["fixedScale"]["resizeTimeout"] == "PT15M"
    assert run(baseline).for_policy(NAME) == []


def test_short_resize_timeout_for_large_pool_is_advisory(baseline):
    [result] = run(_fixed(baseline, 1500, 500, "PT15M"), ROOMY).for_policy(NAME)
    assert result.level == "advisory"
    assert_message_shape(result, "2000 target nodes", 'resizeTimeout "PT15M"', "at least PT30M")
    assert_guidance(NAME, "ResizeError")


@pytest.mark.parametrize(("nodes", "timeout"), [(2000, "PT30M"), (2000, "PT1H"), (1000, DELETE)])
def test_long_enough_resize_timeout_passes(baseline, nodes, timeout):
    stack = _fixed(baseline, nodes, 0, "PT15M")
    pool = changed(stack["pools-render"], "scaleSettings.fixedScale.resizeTimeout", timeout)  # unset: PT15M
    assert run(stack_with(stack, pool), ROOMY).for_policy(NAME) == []


def test_resize_timeout_that_is_not_a_duration_is_reported(baseline):
    result = single(run(_fixed(baseline, 10, 0, "15 minutes")), NAME)
    assert "not an ISO 8601 duration" in result.message


def test_minutes_per_thousand_nodes_is_configurable(baseline):
    config = {NAME: {"minutesPer1000Nodes": 20}}
    assert "at least PT20M" in single(run(_fixed(baseline, 1, 0, "PT15M"), config), NAME).message
