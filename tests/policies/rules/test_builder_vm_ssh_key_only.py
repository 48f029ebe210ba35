"""builder-vm-ssh-key-only: Linux password authentication disabled (CKV_AZURE_149)."""

from __future__ import annotations

import pytest

from tests.policies.helpers import (
    DELETE,
    assert_guidance,
    assert_message_shape,
    changed,
    run,
    secret,
    single,
    stack_with,
)

NAME = "builder-vm-ssh-key-only"
PASSWORD = "osProfile.linuxConfiguration.disablePasswordAuthentication"


def test_ssh_key_builder_passes(baseline):
    assert baseline["builder-vm"].inputs["osProfile"]["linuxConfiguration"]["disablePasswordAuthentication"] is True
    assert run(baseline).for_policy(NAME) == []


@pytest.mark.parametrize("value", [False, DELETE])
def test_password_authentication_is_mandatory_violation(baseline, value):
    result = single(run(stack_with(baseline, changed(baseline["builder-vm"], PASSWORD, value))), NAME)
    assert result.level == "mandatory"
    assert_message_shape(result, "disablePasswordAuthentication", "allowed: disablePasswordAuthentication true")
    assert_guidance(NAME, "disablePasswordAuthentication to true", "drop adminPassword")


def test_windows_builder_is_not_judged_by_the_linux_rule(baseline):
    vm = changed(baseline["builder-vm"], "osProfile.linuxConfiguration", DELETE)
    vm = changed(vm, "osProfile.windowsConfiguration", {"provisionVMAgent": True})
    vm = changed(vm, "osProfile.adminPassword", secret("S3cret!S3cret!"))
    # Windows builders are builder-vm-windows-access's: it flags this password, which no generator produced.
    assert {r.policy_name for r in run(stack_with(baseline, vm)).results} == {"builder-vm-windows-access"}
