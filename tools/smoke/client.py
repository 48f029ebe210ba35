"""The Batch data-plane client for `make smoke`: endpoint, TLS trust and credential, each overridable for tests.

Environment variables (each also a flag of `python -m tools.smoke`):
  BATCH_SMOKE_ENDPOINT_URL  full URL replacing https://<batchAccountEndpoint> (e.g. https://127.0.0.1:8443)
  BATCH_SMOKE_CA_BUNDLE     PEM file of CAs to trust for that endpoint (default: the system/certifi store)
  BATCH_SMOKE_CREDENTIAL    `default` (DefaultAzureCredential: az login, managed identity, env vars, ...)
                            or `loopback` (components.common.loopback's unsigned test token, the one the capture
                            provider's tests use; refused for any endpoint but 127.0.0.1/::1/localhost)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from azure.batch import BatchClient
from azure.core.credentials import TokenCredential

from components.common.loopback import LoopbackTestCredential, is_loopback_url
from tools.smoke.errors import ExitCode, SmokeError

CREDENTIAL_KINDS = ("default", "loopback")


@dataclass(frozen=True)
class ClientSettings:
    endpoint_url: str
    ca_bundle: str | None
    credential: str


def endpoint_url(account_endpoint: str, override: str | None) -> str:
    url = override or (account_endpoint if "://" in account_endpoint else f"https://{account_endpoint}")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise SmokeError(
            ExitCode.BAD_INPUT,
            f"Batch endpoint '{url}' is not an https URL; Batch accepts Entra ID tokens over HTTPS only",
        )
    return url.rstrip("/")


def make_credential(kind: str, url: str) -> TokenCredential:
    if kind == "loopback":
        if not is_loopback_url(url):
            raise SmokeError(
                ExitCode.BAD_INPUT,
                f"credential 'loopback' is for local test fakes only; endpoint '{url}' is not a loopback address",
            )
        return LoopbackTestCredential()
    if kind == "default":
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential()
    raise SmokeError(ExitCode.BAD_INPUT, f"credential '{kind}' is not one of {', '.join(CREDENTIAL_KINDS)}")


def make_client(settings: ClientSettings) -> BatchClient:
    options: dict[str, Any] = {}
    if settings.ca_bundle:
        options["connection_verify"] = settings.ca_bundle
    credential = make_credential(settings.credential, settings.endpoint_url)
    return BatchClient(settings.endpoint_url, credential, **options)
