"""gallery-replicas-cover-pools (stack): at least one replica in the Batch region per 300 target pool nodes."""

from __future__ import annotations

from tests.policies.helpers import assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "gallery-replicas-cover-pools"
ROOMY = {"batch-pool-max-nodes": {"maxNodes": 1000}}


def _big_render_pool(baseline, nodes):
    scale = {"targetDedicatedNodes": nodes, "targetLowPriorityNodes": 0, "resizeTimeout": "PT1H"}
    return changed(baseline["pools-render"], "scaleSettings.fixedScale", scale)


def test_too_few_replicas_for_the_pools_is_advisory(baseline):
    # 680 fixed nodes in pools-render + the burst pool's autoscale cap of 20 = 700 nodes booting the version.
    result = single(run(stack_with(baseline, _big_render_pool(baseline, 680)), ROOMY), NAME)
    assert result.level == "advisory" and result.urn == baseline["gallery-version-1.0.0"].urn
    assert_message_shape(result, "700 pool nodes", "1 replica(s) in westeurope", "at least 3")
    assert_guidance(NAME, "image.replicas[].count", "time it out")


def test_enough_replicas_pass_and_ratio_is_configurable(baseline):
    version = changed(baseline["gallery-version-1.0.0"], "publishingProfile.targetRegions.0.regionalReplicaCount", 3)
    stack = stack_with(baseline, _big_render_pool(baseline, 680), version)
    assert run(stack, ROOMY).results == []
    config = {**ROOMY, NAME: {"nodesPerReplica": 100}}
    assert "at least 7" in single(run(stack, config), NAME).message
