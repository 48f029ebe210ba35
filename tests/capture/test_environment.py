"""The BCI_ environment variables, the loopback-only test credential, SAS redaction and the provider's pickle."""

from __future__ import annotations

import base64
import pickletools

import pytest

from components.capture.environment import from_environment
from components.capture.errors import CaptureError, redact
from components.common.environment import PUBLIC_ARM_ENDPOINT, PUBLIC_ARM_SCOPE
from tools.plan.program_pickle import program_capture


def test_no_variables_means_public_azure_and_default_credential():
    endpoints = from_environment({})

    assert (endpoints.arm_endpoint, endpoints.arm_scope) == (PUBLIC_ARM_ENDPOINT, PUBLIC_ARM_SCOPE)
    assert endpoints.blob_endpoint("https://acct.blob.core.windows.net/") == "https://acct.blob.core.windows.net/"
    assert endpoints.fake_credential is False and endpoints.verify is True


def test_overridden_endpoints_derive_the_scope_and_replace_the_blob_endpoint():
    endpoints = from_environment(
        {"BCI_ARM_ENDPOINT": "https://management.usgovcloudapi.net/", "BCI_BLOB_ENDPOINT": "https://127.0.0.1:1/a"}
    )

    assert endpoints.arm_scope == "https://management.usgovcloudapi.net/.default"
    assert endpoints.blob_endpoint("https://acct.blob.core.windows.net/") == "https://127.0.0.1:1/a/"


@pytest.mark.parametrize(
    ("arm", "blob"),
    [
        ("https://management.azure.com", "https://127.0.0.1:1/a/"),
        ("https://127.0.0.1:1", "https://acct.blob.core.windows.net/"),
        ("https://127.0.0.1:1", ""),
        ("https://127.0.0.1.nip.io:1", "https://127.0.0.1:1/a/"),
    ],
)
def test_the_fake_credential_is_refused_unless_both_endpoints_are_loopback(arm, blob):
    with pytest.raises(CaptureError, match="only honoured when BCI_ARM_ENDPOINT and BCI_BLOB_ENDPOINT"):
        from_environment({"BCI_FAKE_CREDENTIAL": "1", "BCI_ARM_ENDPOINT": arm, "BCI_BLOB_ENDPOINT": blob})


def test_the_fake_credential_is_accepted_for_loopback_endpoints():
    env = {
        "BCI_FAKE_CREDENTIAL": "1",
        "BCI_ARM_ENDPOINT": "https://[::1]:9",
        "BCI_BLOB_ENDPOINT": "https://localhost/a",
    }

    assert from_environment(env).fake_credential is True


@pytest.mark.parametrize(
    ("key", "value"), [("BCI_POLL_SECONDS", "0"), ("BCI_POLL_SECONDS", "soon"), ("BCI_CA_BUNDLE", "/no/such.pem")]
)
def test_bad_values_name_the_variable(key, value):
    with pytest.raises(CaptureError, match=key):
        from_environment({key: value})


def test_redact_removes_sas_signatures():
    text = "copy from https://md-x.blob.storage.azure.net/abc/abcd?sv=2014-02-14&sr=b&sig=XXX%3D&se=2026 failed"

    assert "sig=" not in redact(text) and "XXX" not in redact(text)
    assert "https://md-x.blob.storage.azure.net/abc/abcd?<SAS redacted>" in redact(text)
    assert "sig=" not in str(CaptureError("x?sig=abc"))


def test_the_program_pickles_the_provider_by_reference_with_no_clients():
    pickle = base64.b64decode(program_capture()["provider"])
    ops = [(op.name, arg) for op, arg, _ in pickletools.genops(pickle)]

    strings = [arg for name, arg in ops if isinstance(arg, str)]
    assert strings == ["components.capture.provider", "CaptureProvider"]
    assert len(pickle) < 100
