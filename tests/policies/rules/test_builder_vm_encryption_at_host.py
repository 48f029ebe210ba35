"""builder-vm-encryption-at-host: securityProfile.encryptionAtHost true (CKV_AZURE_151, CKV_AZURE_97, advisory)."""

from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with
from tests.policies.program import run_program

NAME = "builder-vm-encryption-at-host"
VM = "builder-vm"
PATH = "securityProfile.encryptionAtHost"


def test_the_dev_stack_carries_this_advisory_until_the_option_is_on(dev):
    # image.builder.encryptionAtHost is off by default (the subscription feature it needs): the advisory shows.
    [result] = run(dev).for_policy(NAME)
    assert result.level == "advisory" and result.resource_name == VM


@pytest.mark.parametrize("security_type", ["Standard", "TrustedLaunch"])
def test_the_option_sets_encryption_at_host_on_the_program_builder(security_type):
    image = {"securityType": security_type, "builder": {"encryptionAtHost": True}}
    vm = run_program({"batch-custom-image:image": image}).one("azure-native:compute:VirtualMachine")
    assert vm.inputs["securityProfile"]["encryptionAtHost"] is True
    assert (vm.inputs["securityProfile"].get("securityType") == "TrustedLaunch") == (security_type == "TrustedLaunch")
    assert run([vm]).for_policy(NAME) == []


@pytest.mark.parametrize(("value", "found"), [(False, "false"), (DELETE, "not set")])
def test_a_builder_without_encryption_at_host_is_advisory(baseline, value, found):
    vm = changed(baseline[VM], PATH, value)
    result = single(run(stack_with(baseline, vm)), NAME)
    assert result.level == "advisory" and result.urn == vm.urn and result.stage == "resource"
    assert_message_shape(result, f'VM "{VM}"', f"{PATH} {found}", f"{PATH} true")
    assert_guidance(NAME, "az feature register", "image.builder.encryptionAtHost")


def test_unknown_during_preview_passes(baseline):
    assert run(stack_with(baseline, changed(baseline[VM], PATH, UNKNOWN))).results == []
