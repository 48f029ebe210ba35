"""Environment variables that point the capture provider somewhere other than public Azure (documented in README).

Variables (unset = public Azure); the providers' shared ones (BCI_ARM_ENDPOINT, BCI_ARM_SCOPE, BCI_CA_BUNDLE,
BCI_POLL_SECONDS, BCI_FAKE_CREDENTIAL) are parsed in components/common/environment.py:

- BCI_BLOB_ENDPOINT: blob endpoint used instead of the `blob_endpoint` input for every blob call.
- BCI_CA_BUNDLE: trusted for ARM and blob TLS alike.
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
from components.common.environment import ArmEnvironment, arm_environment, positive, require_loopback


@dataclass(frozen=True)
class Endpoints(ArmEnvironment):
    """The providers' shared variables (components/common/environment.py) and the capture's own."""

    blob_endpoint_override: str | None = None
    operation_timeout_seconds: float = 120 * 60.0
    retry_backoff_seconds: float = 0.8

    def blob_endpoint(self, from_input: str) -> str:
        return (self.blob_endpoint_override or from_input).rstrip("/") + "/"


def from_environment(env: Mapping[str, str] | None = None) -> Endpoints:
    env = os.environ if env is None else env
    shared = arm_environment(env, CaptureError)
    endpoints = Endpoints(
        **vars(shared),
        blob_endpoint_override=env.get("BCI_BLOB_ENDPOINT", "").strip() or None,
        operation_timeout_seconds=60 * positive(env, "BCI_OPERATION_TIMEOUT_MINUTES", 120.0, CaptureError),
        retry_backoff_seconds=positive(env, "BCI_RETRY_BACKOFF_SECONDS", 0.8, CaptureError, allow_zero=True),
    )
    if endpoints.fake_credential:
        urls = {"BCI_ARM_ENDPOINT": endpoints.arm_endpoint, "BCI_BLOB_ENDPOINT": endpoints.blob_endpoint_override or ""}
        require_loopback(urls, CaptureError)
    return endpoints
