"""Environment variables that point the pool drain somewhere other than the account's public endpoint (README).

Variables (unset = the Batch account endpoint from the inputs, over HTTPS, with DefaultAzureCredential):

- BCI_BATCH_ENDPOINT: full URL used instead of https://<account_endpoint> (e.g. a local fake).
- BCI_CA_BUNDLE: PEM bundle trusted for that endpoint (default: the system trust store); shared with the capture.
- BCI_POLL_SECONDS: interval between reads of a draining pool (default 15); shared with the capture.
- BCI_FAKE_CREDENTIAL: "1" = unsigned test tokens for local fakes; refused unless BCI_BATCH_ENDPOINT is a loopback
  address.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from components.common.loopback import is_loopback_url


class DrainSetupError(RuntimeError):
    """A variable above is set to something the drain cannot use."""


@dataclass(frozen=True)
class BatchEndpoint:
    url: str
    ca_bundle: str | None
    poll_seconds: float
    fake_credential: bool


def from_environment(account_endpoint: str, env: Mapping[str, str] | None = None) -> BatchEndpoint:
    env = os.environ if env is None else env
    url = (env.get("BCI_BATCH_ENDPOINT", "").strip() or f"https://{account_endpoint}").rstrip("/")
    ca_bundle = env.get("BCI_CA_BUNDLE", "").strip() or None
    if ca_bundle and not os.path.isfile(ca_bundle):
        raise DrainSetupError(f"BCI_CA_BUNDLE={ca_bundle!r} is not a file; set it to a PEM bundle or unset it")
    raw_poll = env.get("BCI_POLL_SECONDS", "").strip()
    try:
        poll_seconds = float(raw_poll) if raw_poll else 15.0
    except ValueError:
        poll_seconds = -1.0
    if poll_seconds <= 0:
        raise DrainSetupError(f"BCI_POLL_SECONDS={raw_poll!r} must be a positive number")
    fake = env.get("BCI_FAKE_CREDENTIAL", "").strip() == "1"
    if fake and not is_loopback_url(url):
        raise DrainSetupError(
            "BCI_FAKE_CREDENTIAL=1 is only honoured when BCI_BATCH_ENDPOINT points at a loopback address "
            f"(the pool drain would call {url!r}); unset it to use DefaultAzureCredential"
        )
    return BatchEndpoint(url, ca_bundle, poll_seconds, fake)
