"""image-security-type-consistent (stack): the builder VM, the gallery image definition and its pools agree on the
security type (absent is Standard)."""

from __future__ import annotations

import pytest

from tests.policies.helpers import (
    DELETE,
    UNKNOWN,
    Stack,
    assert_guidance,
    assert_message_shape,
    changed,
    run,
    single,
    stack_with,
)
from tests.policies.program import run_program

NAME = "image-security-type-consistent"
VMC = "deploymentConfiguration.virtualMachineConfiguration"
UEFI_ON = {"secureBootEnabled": True, "vTpmEnabled": True}
TL_FEATURE = [{"name": "SecurityType", "value": "TrustedLaunch"}]


@pytest.fixture(scope="module")
def trusted(baseline: Stack) -> Stack:
    """The baseline as image.securityType TrustedLaunch makes it: builder, definition and both pools."""
    tl = {"securityType": "TrustedLaunch", "uefiSettings": UEFI_ON, "encryptionAtHost": True}
    vm = changed(baseline["builder-vm"], "securityProfile", tl)
    definition = changed(baseline["gallery-definition"], "features", TL_FEATURE)
    pools = [
        changed(baseline[p], f"{VMC}.securityProfile", {"securityType": "trustedLaunch", "uefiSettings": UEFI_ON})
        for p in ("pools-render", "pools-burst")
    ]
    return stack_with(baseline, vm, definition, *pools)


def test_the_standard_dev_stack_passes(baseline: Stack) -> None:
    assert "features" not in baseline["gallery-definition"].inputs
    assert "securityType" not in baseline["builder-vm"].inputs["securityProfile"]  # only encryptionAtHost
    assert run(baseline).for_policy(NAME) == []


def test_the_programs_trusted_launch_stack_passes() -> None:
    report = run(run_program({"image": {"securityType": "TrustedLaunch"}}).resources)
    assert report.for_policy(NAME) == []
    assert report.mandatory == [], [r.message for r in report.mandatory]


def test_trusted_launch_on_all_three_passes(trusted: Stack) -> None:
    assert run(trusted).results == []


def test_a_pool_without_security_profile_on_a_trusted_launch_definition_is_mandatory_violation(trusted: Stack) -> None:
    pool = changed(trusted["pools-render"], f"{VMC}.securityProfile", DELETE)
    result = single(run(stack_with(trusted, pool)), NAME)
    assert result.level == "mandatory" and result.stage == "stack" and result.urn == pool.urn
    assert_message_shape(
        result,
        'Batch pool "pools-render": Standard nodes on a TrustedLaunch image',
        "fails to create",
        'builder VM "builder-vm" securityType "TrustedLaunch"',
        'gallery image "gallery-definition" SecurityType feature "TrustedLaunch"',
        'pool "pools-render" securityType not set (Standard)',
        'pool "pools-burst" securityType "trustedLaunch"',
        "pool securityType trustedLaunch",
    )
    assert_guidance(NAME, "image.securityType", "fails to create")


def test_a_trusted_launch_builder_with_a_standard_definition_is_mandatory_violation(baseline: Stack) -> None:
    tl = {"securityType": "TrustedLaunch", "uefiSettings": UEFI_ON, "encryptionAtHost": True}
    vm = changed(baseline["builder-vm"], "securityProfile", tl)
    result = single(run(stack_with(baseline, vm)), NAME)
    assert result.level == "mandatory" and result.urn == vm.urn
    assert_message_shape(
        result,
        'builder VM "builder-vm": a TrustedLaunch builder VM is captured into a Standard image definition',
        'builder VM "builder-vm" securityType "TrustedLaunch"',
        "SecurityType feature not set (Standard)",
        'pool "pools-render" securityType not set (Standard)',
    )


def test_a_standard_builder_and_pools_under_a_trusted_launch_definition_are_each_reported(baseline: Stack) -> None:
    definition = changed(baseline["gallery-definition"], "features", TL_FEATURE)
    report = run(stack_with(baseline, definition))
    assert {r.urn for r in report.for_policy(NAME)} == {
        baseline[n].urn for n in ("builder-vm", "pools-render", "pools-burst")
    }
    assert {r.policy_name for r in report.results} == {NAME}


def test_a_trusted_launch_pool_on_a_standard_image_is_mandatory_violation(baseline: Stack) -> None:
    pool = changed(baseline["pools-burst"], f"{VMC}.securityProfile", {"securityType": "trustedLaunch"})
    result = single(run(stack_with(baseline, pool)), NAME)
    assert result.urn == pool.urn
    assert_message_shape(result, "TrustedLaunch nodes on a Standard image", 'pool "pools-burst" securityType')


def test_a_trusted_launch_supported_definition_takes_standard_pools(baseline: Stack) -> None:
    definition = changed(
        baseline["gallery-definition"], "features", [{"name": "SecurityType", "value": "TrustedLaunchSupported"}]
    )
    assert run(stack_with(baseline, definition)).for_policy(NAME) == []


def test_a_security_type_unknown_during_preview_is_not_judged(trusted: Stack) -> None:
    pool = changed(trusted["pools-render"], f"{VMC}.securityProfile.securityType", UNKNOWN)
    definition = changed(trusted["gallery-definition"], "features", UNKNOWN)
    assert run(stack_with(trusted, pool)).results == []
    assert run(stack_with(trusted, definition)).results == []
