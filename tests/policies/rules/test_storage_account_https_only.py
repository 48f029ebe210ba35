"""storage-account-https-only: HTTPS only (CKV_AZURE_3)."""

from __future__ import annotations

from tests.policies.helpers import DELETE, assert_guidance, run
from tests.policies.rules._storage import assert_passes, assert_violation

NAME = "storage-account-https-only"


def test_https_only_passes_and_unset_is_the_azure_default(baseline):
    assert run(baseline).for_policy(NAME) == []
    assert_passes(baseline, "enableHttpsTrafficOnly", DELETE)


def test_plain_http_is_a_mandatory_violation(baseline):
    assert_violation(baseline, "enableHttpsTrafficOnly", False, NAME, "enableHttpsTrafficOnly false")
    assert_guidance(NAME, "enableHttpsTrafficOnly to true")
