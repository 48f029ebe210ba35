"""storage-account-shared-key-disabled: allowSharedKeyAccess false (CKV2_AZURE_40, advisory)."""

from __future__ import annotations

import pytest

from tests.policies.helpers import DELETE, assert_guidance, changed, run, stack_with
from tests.policies.rules._storage import SA, assert_violation

NAME = "storage-account-shared-key-disabled"


def test_the_dev_stack_carries_this_advisory_on_purpose(dev):
    [result] = run(dev).for_policy(NAME)
    assert result.level == "advisory" and result.resource_name == SA


@pytest.mark.parametrize(("value", "found"), [(True, "true"), (DELETE, "not set")])
def test_shared_key_access_is_advisory(baseline, value, found):
    assert_violation(baseline, "allowSharedKeyAccess", value, NAME, f"allowSharedKeyAccess {found}")
    assert_guidance(NAME, "BatchAccountManagedIdentity", "never expire")


def test_levels_of_storage_policies(baseline):
    account = changed(changed(baseline[SA], "kind", "Storage"), "allowSharedKeyAccess", True)
    levels = {r.policy_name: r.level for r in run(stack_with(baseline, account)).results}
    assert levels == {"storage-account-standard-gpv2": "mandatory", NAME: "advisory"}
