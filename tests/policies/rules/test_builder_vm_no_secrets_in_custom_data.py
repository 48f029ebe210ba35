"""builder-vm-no-secrets-in-custom-data: custom data holds no key, password, SAS or connection string (advisory);
the message names the kind of secret, never its value."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policies.helpers import (
    assert_guidance,
    assert_message_shape,
    changed,
    custom_data,
    run,
    secret,
    single,
    stack_with,
)

NAME = "builder-vm-no-secrets-in-custom-data"
# Looks secret-ish but is not: ssh_pwauth: false, --password-stdin, "$REGISTRY_TOKEN".
HARMLESS = (Path(__file__).parent / "builder_vm_no_secrets_in_custom_data" / "harmless.cloud-config").read_text()


def _with_custom_data(baseline, value):
    return stack_with(baseline, changed(baseline["builder-vm"], "osProfile.customData", value))


def test_program_cloud_config_passes(baseline):
    assert baseline["builder-vm"].inputs["osProfile"]["customData"]
    assert run(baseline).for_policy(NAME) == []


def test_cloud_config_with_secret_looking_words_passes(baseline):
    assert run(_with_custom_data(baseline, custom_data(HARMLESS))).results == []


@pytest.mark.parametrize(
    ("secret_text", "kind"),
    [
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
            "a private key block",
        ),
        (
            "AZ=DefaultEndpointsProtocol=https;AccountName=imgdev;AccountKey=Zm9vYmFyYmF6cXV4cXV1eA==;",
            "connection string",
        ),
        ("  - curl 'https://imgdev.blob.core.windows.net/x?sv=2024&sig=abcdefghijklmnopqrstuv%3D'", "SAS token"),
        ("chpasswd:\n  list: |\n    builder:pw\nadmin_password: Hunter2Hunter2", "(admin_password)"),
    ],
)
def test_secrets_in_custom_data_are_advisory_and_not_echoed(baseline, secret_text, kind):
    stack = _with_custom_data(baseline, custom_data("#cloud-config\nruncmd:\n" + secret_text + "\n"))
    result = single(run(stack), NAME)
    assert result.level == "advisory" and kind in result.message
    assert_message_shape(result, "osProfile.customData")
    for value in ("Zm9vYmFyYmF6cXV4cXV1eA", "abcdefghijklmnop", "Hunter2", "b3BlbnNzaC1rZXkt"):
        assert value not in result.message
    assert_guidance(NAME, "Key Vault", "unencrypted in the VM model")


def test_secret_wrapped_custom_data_is_scanned_too(baseline):
    data = secret(custom_data("#cloud-config\nwrite_files:\n  - content: 'client_secret=abcd1234efgh'\n"))
    assert "(client_secret)" in single(run(_with_custom_data(baseline, data)), NAME).message


def test_extra_pattern_option(baseline):
    config = {NAME: {"extraPatterns": ["example\\.azurecr\\.io"]}}
    result = single(run(_with_custom_data(baseline, custom_data(HARMLESS)), config), NAME)
    assert "configured pattern" in result.message
