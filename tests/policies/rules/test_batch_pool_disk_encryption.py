"""batch-pool-disk-encryption: pool node disks are encrypted (advisory)."""

from __future__ import annotations

import pytest

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "batch-pool-disk-encryption"
VMC = "deploymentConfiguration.virtualMachineConfiguration"


def test_the_dev_stack_carries_this_advisory_on_purpose(dev):
    results = run(dev).for_policy(NAME)
    assert sorted(r.resource_name for r in results) == ["pools-burst", "pools-render"]


@pytest.mark.parametrize("targets", [DELETE, []])
def test_pool_without_disk_encryption_is_advisory(baseline, targets):
    path = f"{VMC}.diskEncryptionConfiguration" + (".targets" if targets == [] else "")
    result = single(run(stack_with(baseline, changed(baseline["pools-render"], path, targets))), NAME)
    assert result.level == "advisory"
    assert_message_shape(result, "TemporaryDisk", "encryptionAtHost")
    assert_guidance(NAME, "may set this policy to disabled")


def test_encryption_at_host_satisfies_disk_encryption(baseline):
    pool = changed(
        changed(baseline["pools-render"], f"{VMC}.diskEncryptionConfiguration", DELETE),
        f"{VMC}.securityProfile",
        {"encryptionAtHost": True},
    )
    assert run(stack_with(baseline, pool)).results == []
