"""Environment variables that point the pool drain somewhere other than public Azure Resource Manager (README).

The drain calls the Batch management plane (ARM), as `pulumi up` does, never the account's data-plane endpoint, so
it works when that endpoint is closed (`batch.publicNetworkAccess: Disabled`, IP rules without this machine).

Variables (unset = https://management.azure.com with DefaultAzureCredential), the capture's names and meanings:

- BCI_ARM_ENDPOINT: Azure Resource Manager endpoint (e.g. a local fake).
- BCI_ARM_SCOPE: token scope for ARM (default: <ARM endpoint>/.default).
- BCI_CA_BUNDLE: PEM bundle trusted for that endpoint (default: the system trust store).
- BCI_POLL_SECONDS: interval between reads of a draining pool (default 15).
- BCI_FAKE_CREDENTIAL: "1" = unsigned test tokens for local fakes; refused unless BCI_ARM_ENDPOINT is a loopback
  address.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from components.common.loopback import is_loopback_url

PUBLIC_ARM_ENDPOINT = "https://management.azure.com"
PUBLIC_ARM_SCOPE = "https://management.azure.com/.default"


class DrainSetupError(RuntimeError):
    """A variable above is set to something the drain cannot use."""


@dataclass(frozen=True)
class ArmEndpoint:
    url: str
    scope: str
    ca_bundle: str | None
    poll_seconds: float
    fake_credential: bool

    @property
    def verify(self) -> str | bool:
        """`connection_verify` for azure-core transports."""
        return self.ca_bundle or True


def from_environment(env: Mapping[str, str] | None = None) -> ArmEndpoint:
    env = os.environ if env is None else env
    url = env.get("BCI_ARM_ENDPOINT", "").strip().rstrip("/") or PUBLIC_ARM_ENDPOINT
    scope = env.get("BCI_ARM_SCOPE", "").strip() or (
        PUBLIC_ARM_SCOPE if url == PUBLIC_ARM_ENDPOINT else f"{url}/.default"
    )
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
            "BCI_FAKE_CREDENTIAL=1 is only honoured when BCI_ARM_ENDPOINT points at a loopback address "
            f"(the pool drain would call {url!r}); unset it to use DefaultAzureCredential"
        )
    return ArmEndpoint(url, scope, ca_bundle, poll_seconds, fake)
