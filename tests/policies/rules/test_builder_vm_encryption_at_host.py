"""builder-vm-encryption-at-host: securityProfile.encryptionAtHost true (CKV_AZURE_151, CKV_AZURE_97, advisory)."""

from __future__ import annotations

import pytest

from tests.policies.helpers import assert_guidance, assert_switch, run
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


def test_a_builder_without_encryption_at_host_is_advisory(baseline):
    assert_switch(baseline, NAME, f'VM "{VM}"', PATH, True, "advisory")
    assert_guidance(NAME, "az feature register", "image.builder.encryptionAtHost")
