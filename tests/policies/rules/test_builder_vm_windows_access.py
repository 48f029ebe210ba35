"""builder-vm-windows-access: a Windows builder's password is generated (and so secret), and no RDP/WinRM way in."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.policies.helpers import (
    Stack,
    assert_guidance,
    assert_message_shape,
    changed,
    new,
    run,
    stack_with,
)
from tests.policies.program import run_program
from tools.plan.policy_runner import PolicyReport, PolicyResult

NAME = "builder-vm-windows-access"
NSG = "azure-native:network:NetworkSecurityGroup"


@pytest.fixture(scope="module")
def windows() -> Stack:
    """The windows stack (Pulumi.windows.yaml) as the program registers it."""
    return {r.name: r for r in run_program(stack="windows").resources}


def _one(report: PolicyReport) -> PolicyResult:
    """This policy's one violation (the windows stack keeps other policies' advisories, see Pulumi.windows.yaml)."""
    found = report.for_policy(NAME)
    assert len(found) == 1, [r.message for r in found]
    return found[0]


def _rule(port: str, access: str = "Allow", direction: str = "Inbound") -> dict[str, object]:
    return {
        "name": "remote",
        "priority": 100,
        "protocol": "Tcp",
        "access": access,
        "direction": direction,
        "sourceAddressPrefix": "*",
        "destinationAddressPrefix": "*",
        "destinationPortRange": port,
    }


def test_the_programs_windows_builder_passes(windows):
    assert run(windows).for_policy(NAME) == []


def test_a_password_from_no_generator_is_mandatory_violation(windows):
    vm = windows["builder-vm"]
    typed_in = replace(
        vm, property_dependencies={k: v for k, v in vm.property_dependencies.items() if k != "osProfile"}
    )
    result = _one(run(stack_with(windows, typed_in)))
    assert result.level == "mandatory"
    assert_message_shape(result, "osProfile.adminPassword", "generator")
    assert_guidance(NAME, "RandomPassword", "3389/5985/5986")


def test_a_winrm_listener_is_a_violation(windows):
    # osProfile holds the password, so the engine has all of it as one secret: {sig, "value": {...}}.
    listeners = {"listeners": [{"protocol": "Http"}]}
    vm = changed(windows["builder-vm"], "osProfile.value.windowsConfiguration.winRM", listeners)
    result = _one(run(stack_with(windows, vm)))
    assert_message_shape(result, 'winRM.listeners ["Http"]')


@pytest.mark.parametrize("port", ["3389", "5985", "5986", "3000-6000", "*"])
def test_an_inbound_rule_letting_rdp_or_winrm_in_is_a_violation(windows, port):
    nsg = changed(windows["builder-nsg"], "securityRules", [_rule(port)])
    result = _one(run(stack_with(windows, nsg)))
    assert_message_shape(result, "direction Inbound", port)


def test_a_separate_security_rule_resource_counts_too(windows):
    rule = new("azure-native:network:SecurityRule", "rdp", _rule("3389"))
    result = _one(run(stack_with(windows, rule)))
    assert "RDP" in result.message


@pytest.mark.parametrize(
    "rule", [_rule("22"), _rule("3389", access="Deny"), _rule("3389", direction="Outbound"), _rule("443")]
)
def test_other_rules_pass(windows, rule):
    nsg = changed(windows["builder-nsg"], "securityRules", [rule])
    assert run(stack_with(windows, nsg)).for_policy(NAME) == []


def test_a_linux_stack_is_not_judged(baseline):
    nsg = changed(baseline["builder-nsg"], "securityRules", [_rule("3389")])
    assert nsg.typ == NSG
    assert run(stack_with(baseline, nsg)).for_policy(NAME) == []
