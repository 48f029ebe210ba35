"""vm-size-allowed: builder and pool VM sizes in the allow-list, when one is set."""

from __future__ import annotations

from tests.policies.helpers import assert_guidance, assert_message_shape, changed, run, stack_with

NAME = "vm-size-allowed"


def test_no_allow_list_allows_any_size(baseline):
    pool = changed(baseline["pools-render"], "vmSize", "Standard_NC8as_T4_v3")
    assert run(stack_with(baseline, pool)).results == []


def test_dev_sizes_pass_a_list_that_names_them(baseline):
    config = {NAME: {"allowedVmSizes": ["Standard_D2ds_v5", "Standard_D4ds_v5"]}}
    assert run(baseline, config).results == []


def test_vm_sizes_outside_the_allow_list_are_mandatory_violations(baseline):
    stack = stack_with(baseline, changed(baseline["pools-render"], "vmSize", "Standard_NC24ads_A100_v4"))
    config = {NAME: {"allowedVmSizes": ["standard_d2ds_v5", "Standard_D4ds_v5"]}}
    results = run(stack, config).for_policy(NAME)
    assert [(r.resource_name, r.level) for r in results] == [("pools-render", "mandatory")]
    assert_message_shape(results[0], 'vmSize "Standard_NC24ads_A100_v4"', "Standard_D4ds_v5")
    assert_guidance(NAME, "builder.vmSize / pools[].vmSize", "quota")
    config[NAME]["allowedVmSizes"] = ["Standard_D4ds_v5"]
    [result] = run(baseline, config).for_policy(NAME)
    assert result.resource_name == "builder-vm" and "hardwareProfile.vmSize" in result.message
