"""batch-pool-node-agent-sku (stack): a known node agent SKU that matches the OS of the pool's gallery image."""

from __future__ import annotations

from tests.policies.helpers import UNKNOWN, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "batch-pool-node-agent-sku"
SKU = "deploymentConfiguration.virtualMachineConfiguration.nodeAgentSkuId"


def test_linux_agent_on_the_linux_gallery_image_passes(baseline):
    assert baseline["gallery-definition"].inputs["osType"] == "Linux"
    assert run(baseline).for_policy(NAME) == []


def test_unknown_node_agent_is_mandatory_violation(baseline):
    pool = changed(baseline["pools-render"], SKU, "batch.node.ubuntu 20.04")
    result = single(run(stack_with(baseline, pool)), NAME)
    assert result.level == "mandatory" and result.stage == "stack" and result.urn == pool.urn
    assert_message_shape(result, 'nodeAgentSkuId "batch.node.ubuntu 20.04"', "batch.node.ubuntu 24.04")
    assert_guidance(NAME, "pools[].nodeAgentSkuId", "never become usable")


def test_windows_agent_on_linux_image_is_mandatory_violation(baseline):
    pool = changed(baseline["pools-render"], SKU, "batch.node.windows amd64")
    result = single(run(stack_with(baseline, pool)), NAME)
    assert_message_shape(result, 'gallery image "gallery-definition"', 'osType "Linux"', "batch.node.el 9")


def test_windows_agent_on_windows_image_passes(baseline):
    pools = [changed(baseline[p], SKU, "batch.node.windows amd64") for p in ("pools-render", "pools-burst")]
    image = changed(baseline["gallery-definition"], "osType", "Windows")
    assert run(stack_with(baseline, *pools, image)).results == []


def test_node_agent_unknown_during_preview_is_not_judged(baseline):
    assert run(stack_with(baseline, changed(baseline["pools-render"], SKU, UNKNOWN))).results == []
