"""builder-vm-no-extension-operations: osProfile.allowExtensionOperations false (CKV_AZURE_50, advisory)."""

from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "builder-vm-no-extension-operations"
VM = "builder-vm"
PATH = "osProfile.allowExtensionOperations"


def test_the_program_builder_refuses_extension_operations(dev):
    # The program complies (components/builder.py): no advisory on the dev stack.
    assert dev[VM].inputs["osProfile"]["allowExtensionOperations"] is False
    assert run(dev).for_policy(NAME) == []


@pytest.mark.parametrize(("value", "found"), [(True, "true"), (DELETE, "not set")])
def test_extension_operations_allowed_is_advisory(baseline, value, found):
    vm = changed(baseline[VM], PATH, value)
    result = single(run(stack_with(baseline, vm)), NAME)
    assert result.level == "advisory" and result.urn == vm.urn and result.stage == "resource"
    assert_message_shape(result, f'VM "{VM}"', f"{PATH} {found}", f"{PATH} false")
    assert_guidance(NAME, "break pool deployment", "builder.setupScript")


def test_unknown_during_preview_or_no_os_profile_passes(baseline):
    assert run(stack_with(baseline, changed(baseline[VM], PATH, UNKNOWN))).results == []
    no_profile = changed(baseline[VM], "osProfile", DELETE)
    assert run(stack_with(baseline, no_profile)).for_policy(NAME) == []
