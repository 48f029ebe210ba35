"""batch-pool-node-agent-end-of-life: the advisory half of batch-pool-support-window, a date still ahead (asOf)."""

from __future__ import annotations

from tests.policies.helpers import assert_guidance, assert_message_shape, changed, only, run, stack_with

NAME = "batch-pool-node-agent-end-of-life"
SKU = "deploymentConfiguration.virtualMachineConfiguration.nodeAgentSkuId"
JAMMY = "0001-com-ubuntu-server-jammy"


def _on_ubuntu_22_04(baseline):
    """The baseline as an image built from Ubuntu 22.04 with its node agent makes it (only the agent's date is due)."""
    pools = [changed(baseline[p], SKU, "batch.node.ubuntu 22.04") for p in ("pools-render", "pools-burst")]
    return stack_with(baseline, *pools, changed(baseline["gallery-definition"], "identifier.offer", JAMMY))


def test_end_of_life_node_agent_is_advisory_only_before_its_date(baseline):
    report = run(
        _on_ubuntu_22_04(baseline), {NAME: {"asOf": "2027-06-30"}, "batch-pool-support-window": {"asOf": "2027-06-30"}}
    )
    results = only(report, NAME)
    assert [(r.resource_name, r.level) for r in results] == [("pools-burst", "advisory"), ("pools-render", "advisory")]
    assert_message_shape(
        results[0], "2027-06-30", 'nodeAgentSkuId "batch.node.ubuntu 22.04"', "batch.node.ubuntu 24.04"
    )
    assert "Azure/Batch/issues/200" in results[0].message
    assert_guidance(NAME, "newer base", "fail to")


def test_after_the_date_the_warning_gives_way_to_the_mandatory_policy(baseline):
    config = {NAME: {"asOf": "2027-07-01"}, "batch-pool-support-window": {"asOf": "2027-07-01"}}
    report = run(_on_ubuntu_22_04(baseline), config)
    assert report.for_policy(NAME) == []
    assert {r.level for r in only(report, "batch-pool-support-window")} == {"mandatory"}
