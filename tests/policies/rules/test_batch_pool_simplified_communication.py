"""batch-pool-simplified-communication: pools do not use the retired Classic node communication mode."""

from __future__ import annotations

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "batch-pool-simplified-communication"


def _mode(baseline, value):
    return stack_with(baseline, changed(baseline["pools-render"], "targetNodeCommunicationMode", value))


def test_classic_communication_is_mandatory_violation(baseline):
    result = single(run(_mode(baseline, "Classic")), NAME)
    assert result.level == "mandatory"
    assert_message_shape(result, 'targetNodeCommunicationMode "Classic"', '"Simplified"')
    assert_guidance(NAME, "31 Mar 2026", 'targetNodeCommunicationMode to "Simplified"')


def test_default_communication_passes_unless_explicit_required(baseline):
    stack = _mode(baseline, DELETE)
    assert run(stack).results == []
    assert single(run(stack, {NAME: {"requireExplicit": True}}), NAME)
