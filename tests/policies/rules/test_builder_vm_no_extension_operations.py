"""builder-vm-no-extension-operations: osProfile.allowExtensionOperations false (CKV_AZURE_50, advisory)."""

from __future__ import annotations

from tests.policies.helpers import DELETE, assert_guidance, assert_switch, changed, run, stack_with

NAME = "builder-vm-no-extension-operations"
VM = "builder-vm"
PATH = "osProfile.allowExtensionOperations"


def test_the_program_builder_refuses_extension_operations(dev):
    # The program complies (components/builder.py): no advisory on the dev stack.
    assert dev[VM].inputs["osProfile"]["allowExtensionOperations"] is False
    assert run(dev).for_policy(NAME) == []


def test_extension_operations_allowed_is_advisory(baseline):
    assert_switch(baseline, NAME, f'VM "{VM}"', PATH, False, "advisory")
    assert_guidance(NAME, "break pool deployment", "builder.setupScript")


def test_a_vm_without_os_profile_passes(baseline):
    no_profile = changed(baseline[VM], "osProfile", DELETE)
    assert run(stack_with(baseline, no_profile)).for_policy(NAME) == []
