"""storage-account-min-tls: TLS 1.2 or newer (CKV_AZURE_44)."""

from __future__ import annotations

import pytest

from tests.policies.helpers import DELETE, assert_guidance, changed, only, run, secret, single, stack_with
from tests.policies.rules._storage import SA, assert_passes, assert_violation

NAME = "storage-account-min-tls"


def test_tls_1_2_and_newer_pass(baseline):
    assert run(baseline).for_policy(NAME) == []
    assert_passes(baseline, "minimumTlsVersion", "TLS1_3")


@pytest.mark.parametrize(
    ("value", "found"), [("TLS1_0", 'minimumTlsVersion "TLS1_0"'), (DELETE, "minimumTlsVersion not set")]
)
def test_older_or_unset_tls_is_a_mandatory_violation(baseline, value, found):
    assert_violation(baseline, "minimumTlsVersion", value, NAME, found, 'allowed: minimumTlsVersion "TLS1_2"')
    assert_guidance(NAME, "TLS 1.0 and 1.1 are retired")


def test_secret_wrapped_value_is_checked(baseline):
    account = changed(baseline[SA], "minimumTlsVersion", secret("TLS1_1"))
    assert 'minimumTlsVersion "TLS1_1"' in single(run(stack_with(baseline, account)), NAME).message


def test_minimum_is_configurable(baseline):
    assert only(run(baseline, {NAME: {"minimumTlsVersion": "TLS1_3"}}), NAME)
