"""storage-account-standard-gpv2: kind StorageV2 and a Standard SKU."""

from __future__ import annotations

import pytest

from tests.policies.helpers import assert_guidance, changed, only, run, stack_with
from tests.policies.rules._storage import SA, assert_passes, assert_violation

NAME = "storage-account-standard-gpv2"


def test_standard_v2_account_passes(baseline):
    assert run(baseline).for_policy(NAME) == []
    assert_passes(baseline, "sku.name", "Standard_ZRS")


@pytest.mark.parametrize(
    ("path", "value", "fragments"),
    [
        ("kind", "Storage", ['kind "Storage"', 'allowed: kind "StorageV2"']),
        ("kind", "BlockBlobStorage", ['kind "BlockBlobStorage"']),
        ("sku.name", "Premium_LRS", ['sku.name "Premium_LRS"', "Standard_LRS"]),
    ],
)
def test_other_kinds_and_skus_are_mandatory_violations(baseline, path, value, fragments):
    assert_violation(baseline, path, value, NAME, *fragments)
    assert_guidance(NAME, 'Set kind to "StorageV2"', "page-blob VHDs")


def test_allowed_skus_option(baseline):
    assert only(run(baseline, {NAME: {"allowedSkus": ["Standard_ZRS"]}}), NAME)


def test_level_is_mandatory(baseline):
    [result] = run(stack_with(baseline, changed(baseline[SA], "kind", "Storage"))).results
    assert result.level == "mandatory"
