"""batch-pool-max-nodes: dedicated + Spot targets, or the autoscale formula's cap, stay under a maximum."""

from __future__ import annotations

from tests.policies.helpers import UNKNOWN, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "batch-pool-max-nodes"


def _fixed(baseline, dedicated, spot):
    scale = {"targetDedicatedNodes": dedicated, "targetLowPriorityNodes": spot, "resizeTimeout": "PT15M"}
    return stack_with(baseline, changed(baseline["pools-render"], "scaleSettings.fixedScale", scale))


def test_pool_over_the_node_maximum_is_mandatory_violation(baseline):
    result = single(run(_fixed(baseline, 80, 30)), NAME)
    assert result.level == "mandatory"
    assert_message_shape(result, "110 nodes (80 dedicated + 30 Spot)", "maximum of 100", "at most 100")
    assert run(_fixed(baseline, 80, 30), {NAME: {"maxNodes": 110}}).results == []
    assert_guidance(NAME, "raise this policy's maxNodes", "core quota")


def test_autoscale_cap_counts_against_the_maximum(baseline):
    # The dev stack's burst pool autoscales with min(20, ...) Spot nodes.
    assert "min(20," in baseline["pools-burst"].inputs["scaleSettings"]["autoScale"]["formula"]
    result = single(run(baseline, {NAME: {"maxNodes": 10}}), NAME)
    assert result.resource_name == "pools-burst"
    assert "autoscale caps 0 dedicated + 20 Spot" in result.message


def test_uncapped_autoscale_formula_is_a_violation(baseline):
    formula = "$TargetDedicatedNodes = $PendingTasks.GetSample(1);"
    pool = changed(baseline["pools-render"], "scaleSettings", {"autoScale": {"formula": formula}})
    result = single(run(stack_with(baseline, pool)), NAME)
    assert_message_shape(result, "$TargetDedicatedNodes without a numeric cap", "min(100, ...)")


def test_target_counts_unknown_during_preview_pass(baseline):
    assert run(_fixed(baseline, UNKNOWN, 0)).results == []
