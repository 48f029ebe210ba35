"""batch-pool-node-agent-end-of-life: the node agent has no announced end of life (advisory)."""

from __future__ import annotations

from tests.policies.helpers import assert_guidance, assert_message_shape, changed, only, run, single, stack_with

NAME = "batch-pool-node-agent-end-of-life"
SKU = "deploymentConfiguration.virtualMachineConfiguration.nodeAgentSkuId"


def test_supported_agent_passes(baseline):
    assert run(baseline).for_policy(NAME) == []


def test_end_of_life_node_agent_is_advisory_only(baseline):
    report = run(stack_with(baseline, changed(baseline["pools-render"], SKU, "batch.node.ubuntu 22.04")))
    result = single(report, NAME)
    assert result.level == "advisory"
    assert_message_shape(result, "2027-06-30", 'nodeAgentSkuId "batch.node.ubuntu 22.04"', "batch.node.ubuntu 24.04")
    assert only(report, NAME)  # the SKU itself is known and matches Linux
    assert_guidance(NAME, "newer base", "fail to allocate")
