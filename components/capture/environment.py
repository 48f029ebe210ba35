"""Environment variables that point the capture provider somewhere other than public Azure (documented in README).

Variables (unset = public Azure):

- BCI_ARM_ENDPOINT: Azure Resource Manager endpoint (default https://management.azure.com).
- BCI_ARM_SCOPE: token scope for ARM (default: <ARM endpoint>/.default).
- BCI_BLOB_ENDPOINT: blob endpoint used instead of the `blob_endpoint` input for every blob call.
- BCI_CA_BUNDLE: PEM bundle trusted for ARM and blob TLS (default: the system trust store).
- BCI_POLL_SECONDS: interval of the guest power-state and VHD copy checks, and of LRO polls without
  Retry-After (default 15).
- BCI_OPERATION_TIMEOUT_MINUTES: deadline of each long-running Azure operation; caps the VHD copy and its read SAS
  (default 120).
- BCI_RETRY_BACKOFF_SECONDS: back-off factor of azure-core retries of 429/5xx without Retry-After (default 0.8).
- BCI_FAKE_CREDENTIAL: "1" = unsigned test tokens for the local fakes; refused unless BCI_ARM_ENDPOINT and
  BCI_BLOB_ENDPOINT are both loopback addresses.

Real runs set none of these and authenticate with azure-identity's DefaultAzureCredential.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from components.capture.errors import CaptureError
from components.common.loopback import is_loopback_url

PUBLIC_ARM_ENDPOINT = "https://management.azure.com"
PUBLIC_ARM_SCOPE = "https://management.azure.com/.default"


@dataclass(frozen=True)
class Endpoints:
    arm_endpoint: str
    arm_scope: str
    blob_endpoint_override: str | None
    ca_bundle: str | None
    poll_seconds: float
    operation_timeout_seconds: float
    retry_backoff_seconds: float
    fake_credential: bool

    @property
    def verify(self) -> str | bool:
        """`connection_verify` for azure-core transports."""
        return self.ca_bundle or True

    def blob_endpoint(self, from_input: str) -> str:
        return (self.blob_endpoint_override or from_input).rstrip("/") + "/"


def from_environment(env: Mapping[str, str] | None = None) -> Endpoints:
    env = os.environ if env is None else env
    arm = env.get("BCI_ARM_ENDPOINT", "").strip().rstrip("/") or PUBLIC_ARM_ENDPOINT
    default_scope = PUBLIC_ARM_SCOPE if arm == PUBLIC_ARM_ENDPOINT else f"{arm}/.default"
    endpoints = Endpoints(
        arm_endpoint=arm,
        arm_scope=env.get("BCI_ARM_SCOPE", "").strip() or default_scope,
        blob_endpoint_override=env.get("BCI_BLOB_ENDPOINT", "").strip() or None,
        ca_bundle=_ca_bundle(env.get("BCI_CA_BUNDLE", "").strip()),
        poll_seconds=_positive(env, "BCI_POLL_SECONDS", 15.0),
        operation_timeout_seconds=60 * _positive(env, "BCI_OPERATION_TIMEOUT_MINUTES", 120.0),
        retry_backoff_seconds=_positive(env, "BCI_RETRY_BACKOFF_SECONDS", 0.8, allow_zero=True),
        fake_credential=env.get("BCI_FAKE_CREDENTIAL", "").strip() == "1",
    )
    if endpoints.fake_credential:
        _require_loopback(endpoints)
    return endpoints


def _ca_bundle(path: str) -> str | None:
    if path and not os.path.isfile(path):
        raise CaptureError(f"BCI_CA_BUNDLE={path!r} is not a file; set it to a PEM bundle or unset it")
    return path or None


def _positive(env: Mapping[str, str], key: str, default: float, allow_zero: bool = False) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0 or (value == 0 and not allow_zero):
        raise CaptureError(f"{key}={raw!r} must be a {'non-negative' if allow_zero else 'positive'} number")
    return value


def _require_loopback(endpoints: Endpoints) -> None:
    blob = endpoints.blob_endpoint_override or ""
    if not (is_loopback_url(endpoints.arm_endpoint) and is_loopback_url(blob)):
        raise CaptureError(
            "BCI_FAKE_CREDENTIAL=1 is only honoured when BCI_ARM_ENDPOINT and BCI_BLOB_ENDPOINT both point at a "
            f"loopback address (got BCI_ARM_ENDPOINT={endpoints.arm_endpoint!r}, BCI_BLOB_ENDPOINT={blob!r}); "
            "unset it to use DefaultAzureCredential"
        )
