"""batch-pool-image-compatible (stack): each pool's size, gallery image definition and node agent fit together
(issue 19). Each rule refuses a wrong stack and passes the right one; the size facts are the shipped data file."""

from __future__ import annotations

import pytest

from tests.policies.helpers import (
    UNKNOWN,
    assert_guidance,
    assert_message_shape,
    changed,
    only,
    run,
    stack_with,
)

NAME = "batch-pool-image-compatible"
SKU = "deploymentConfiguration.virtualMachineConfiguration.nodeAgentSkuId"
POOL_SECURITY = "deploymentConfiguration.virtualMachineConfiguration.securityProfile"


def _on_size(baseline, size, **definition_changes):
    """The baseline with both pools on `size` and the gallery definition's properties changed as given."""
    pools = [changed(baseline[p], "vmSize", size) for p in ("pools-render", "pools-burst")]
    definition = baseline["gallery-definition"]
    for path, value in definition_changes.items():
        definition = changed(definition, path, value)
    return stack_with(baseline, *pools, definition)


def _trusted_launch(stack):
    """The stack with builder, definition and pools set to Trusted Launch alike (image.securityType TrustedLaunch)."""
    features = [{"name": "SecurityType", "value": "TrustedLaunch"}]
    return stack_with(
        stack,
        changed(stack["builder-vm"], "securityProfile.securityType", "TrustedLaunch"),
        changed(stack["gallery-definition"], "features", features),
        *(changed(stack[p], POOL_SECURITY, {"securityType": "trustedLaunch"}) for p in ("pools-render", "pools-burst")),
    )


def _refused(stack):
    """The gate's one violation per pool (both pools changed alike); the render pool's, checked for the rest."""
    report = run(stack)
    results = only(report, NAME)
    assert sorted(r.resource_name for r in results) == ["pools-burst", "pools-render"], [r.message for r in results]
    assert all(r.level == "mandatory" and r.stage == "stack" for r in results)
    return next(r for r in results if r.resource_name == "pools-render")


def test_the_baseline_fits_its_sizes(baseline):
    assert baseline["pools-render"].inputs["vmSize"] == "Standard_D4ds_v5"
    assert run(baseline).for_policy(NAME) == []


def test_nvme_only_v6_size_without_nvme_in_the_definition_is_refused(baseline):
    result = _refused(_on_size(baseline, "Standard_D8s_v6"))
    assert_message_shape(result, "[disk-controller]", 'vmSize "Standard_D8s_v6"', "DiskControllerTypes")
    assert_guidance(NAME, "NVMe-only sizes", "pools[].vmSize")


def test_nvme_only_v6_size_with_nvme_declared_passes(baseline):
    features = [{"name": "DiskControllerTypes", "value": "SCSI, NVMe"}]
    assert run(_on_size(baseline, "Standard_D8s_v6", features=features)).results == []


def test_arm64_size_with_an_x64_image_is_refused(baseline):
    result = _refused(_on_size(baseline, "Standard_D4ps_v6"))
    assert_message_shape(result, "[architecture]", 'CpuArchitectureType "Arm64"', 'architecture "x64"')


def test_arm64_size_with_an_arm64_image_passes(baseline):
    assert run(_on_size(baseline, "Standard_D4ps_v6", architecture="Arm64")).results == []


def test_arm64_image_on_an_x64_size_is_refused(baseline):
    result = _refused(_on_size(baseline, "Standard_D4ds_v5", architecture="Arm64"))
    assert_message_shape(result, "[architecture]", 'architecture "Arm64"')


def test_trusted_launch_image_on_a_generation_1_only_size_is_refused(baseline):
    stack = _trusted_launch(_on_size(baseline, "Standard_A4_v2"))
    results = only(run(stack), NAME)
    assert {r.resource_name for r in results} == {"pools-render", "pools-burst"}
    messages = " ".join(r.message for r in results)
    assert "[vm-generation]" in messages and "[security-type]" in messages, messages
    for result in results:
        assert_message_shape(result, 'vmSize "Standard_A4_v2"')


def test_generation_2_image_on_a_generation_1_only_size_is_refused(baseline):
    assert baseline["gallery-definition"].inputs["hyperVGeneration"] == "V2"
    result = _refused(_on_size(baseline, "Standard_A2_v2"))
    assert_message_shape(result, "[vm-generation]", 'hyperVGeneration "V2"', "supports V1")


def test_generation_1_image_on_a_generation_1_size_passes(baseline):
    assert run(_on_size(baseline, "Standard_A2_v2", hyperVGeneration="V1")).results == []


def test_trusted_launch_on_a_size_without_it_is_refused(baseline):
    # ND A100 v4 boots generation 2 but has Trusted Launch disabled: only the security-type rule fires.
    result = _refused(_trusted_launch(_on_size(baseline, "Standard_ND96asr_v4")))
    assert_message_shape(result, "[security-type]", "TrustedLaunchDisabled True", 'SecurityType "TrustedLaunch"')


def test_trusted_launch_image_on_a_size_with_it_passes(baseline):
    assert run(_trusted_launch(_on_size(baseline, "Standard_D4s_v5"))).results == []


def test_node_agent_of_another_release_is_refused(baseline):
    pool = changed(baseline["pools-render"], SKU, "batch.node.ubuntu 22.04")
    results = run(stack_with(baseline, pool)).for_policy(NAME)
    assert len(results) == 1 and results[0].level == "mandatory"
    assert_message_shape(
        results[0], "[node-agent-release]", 'nodeAgentSkuId "batch.node.ubuntu 22.04"', "Canonical/ubuntu-24_04-lts"
    )
    assert "batch.node.ubuntu 24.04" in results[0].message


def test_node_agent_of_the_image_release_passes(baseline):
    pools = [changed(baseline[p], SKU, "batch.node.ubuntu 22.04") for p in ("pools-render", "pools-burst")]
    definition = changed(baseline["gallery-definition"], "identifier.offer", "0001-com-ubuntu-server-jammy")
    assert run(stack_with(baseline, *pools, definition)).for_policy(NAME) == []


@pytest.mark.parametrize("path", ["vmSize", "architecture", "hyperVGeneration"])
def test_values_unknown_during_preview_are_not_judged(baseline, path):
    stack = _on_size(baseline, "Standard_D4ps_v6")
    if path == "vmSize":
        stack = stack_with(stack, changed(stack["pools-render"], "vmSize", UNKNOWN))
    else:
        stack = stack_with(stack, changed(stack["gallery-definition"], path, UNKNOWN))
    assert [r for r in run(stack).for_policy(NAME) if f"[{path.lower()}" in r.message.lower()] == []


def test_a_size_the_facts_do_not_know_is_an_advisory_not_a_pass(baseline):
    report = run(_on_size(baseline, "Standard_X9_v9"))
    results = only(report, "batch-pool-vm-size-unchecked")
    assert [(r.resource_name, r.level) for r in results] == [("pools-burst", "advisory"), ("pools-render", "advisory")]
    result = results[1]
    assert_message_shape(result, 'vmSize "Standard_X9_v9"', "data/vm_sizes.json")
