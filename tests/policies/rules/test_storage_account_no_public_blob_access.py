"""storage-account-no-public-blob-access: no anonymous blob access on the account or its containers."""

from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with
from tests.policies.rules._storage import assert_passes, assert_violation

NAME = "storage-account-no-public-blob-access"
CONTAINER = "image-storage-images"


def test_private_account_and_containers_pass(baseline):
    assert run(baseline).for_policy(NAME) == []
    assert_passes(baseline, "allowBlobPublicAccess", UNKNOWN)  # unknown during preview: nothing to judge yet


@pytest.mark.parametrize(("value", "found"), [(True, "true"), (DELETE, "not set")])
def test_public_blob_access_is_a_mandatory_violation(baseline, value, found):
    assert_violation(baseline, "allowBlobPublicAccess", value, NAME, f"allowBlobPublicAccess {found}")
    assert_guidance(NAME, "allowBlobPublicAccess to false", "downloadable by anyone")


def test_public_container_is_flagged_and_private_one_passes(baseline):
    container = baseline[CONTAINER]
    result = single(run(stack_with(baseline, changed(container, "publicAccess", "Blob"))), NAME)
    assert_message_shape(result, f'blob container "{CONTAINER}"', 'publicAccess "Blob"', 'allowed: publicAccess "None"')
    assert run(stack_with(baseline, changed(container, "publicAccess", DELETE))).results == []
