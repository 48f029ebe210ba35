"""batch-account-entra-auth-only: the Batch account accepts Microsoft Entra ID authentication only."""

from __future__ import annotations

import pytest

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "batch-account-entra-auth-only"


def test_aad_only_account_passes(baseline):
    assert baseline["batch-account"].inputs["allowedAuthenticationModes"] == ["AAD"]
    assert run(baseline).for_policy(NAME) == []


@pytest.mark.parametrize(("modes", "found"), [(["AAD", "SharedKey"], "SharedKey"), (DELETE, "not set")])
def test_shared_key_authentication_is_advisory(baseline, modes, found):
    account = changed(baseline["batch-account"], "allowedAuthenticationModes", modes)
    result = single(run(stack_with(baseline, account)), NAME)
    assert result.level == "advisory"
    assert_message_shape(result, found, 'allowedAuthenticationModes ["AAD"]')
    assert_guidance(NAME, 'allowedAuthenticationModes to ["AAD"]', "Shared Key calls fail")
