"""The `BCI_*` variables every dynamic provider reads, parsed once (README "Environment variables of the providers").

- BCI_ARM_ENDPOINT: Azure Resource Manager endpoint (default https://management.azure.com).
- BCI_ARM_SCOPE: token scope for ARM (default: <ARM endpoint>/.default).
- BCI_CA_BUNDLE: PEM bundle trusted for the providers' TLS (default: the system trust store).
- BCI_POLL_SECONDS: interval between two reads of something Azure is doing (default 15).
- BCI_FAKE_CREDENTIAL: "1" = unsigned test tokens for local fakes; each provider says which endpoints must then be
  loopback addresses (`require_loopback`).

Each provider adds its own (the capture's blob endpoint, deadlines and back-off: components/capture/environment.py)
and raises its own error type, given here as `error`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from components.common.loopback import LoopbackTestCredential, is_loopback_url

PUBLIC_ARM_ENDPOINT = "https://management.azure.com"
PUBLIC_ARM_SCOPE = "https://management.azure.com/.default"

SetupError = Callable[[str], Exception]


@dataclass(frozen=True)
class ArmEnvironment:
    arm_endpoint: str
    arm_scope: str
    ca_bundle: str | None
    poll_seconds: float
    fake_credential: bool

    @property
    def verify(self) -> str | bool:
        """`connection_verify` for azure-core transports."""
        return self.ca_bundle or True


def arm_environment(env: Mapping[str, str], error: SetupError) -> ArmEnvironment:
    """The shared variables; a bad value raises `error` naming the variable, its value and what is allowed."""
    arm = env.get("BCI_ARM_ENDPOINT", "").strip().rstrip("/") or PUBLIC_ARM_ENDPOINT
    default_scope = PUBLIC_ARM_SCOPE if arm == PUBLIC_ARM_ENDPOINT else f"{arm}/.default"
    ca_bundle = env.get("BCI_CA_BUNDLE", "").strip()
    if ca_bundle and not os.path.isfile(ca_bundle):
        raise error(f"BCI_CA_BUNDLE={ca_bundle!r} is not a file; set it to a PEM bundle or unset it")
    return ArmEnvironment(
        arm_endpoint=arm,
        arm_scope=env.get("BCI_ARM_SCOPE", "").strip() or default_scope,
        ca_bundle=ca_bundle or None,
        poll_seconds=positive(env, "BCI_POLL_SECONDS", 15.0, error),
        fake_credential=env.get("BCI_FAKE_CREDENTIAL", "").strip() == "1",
    )


def positive(env: Mapping[str, str], key: str, default: float, error: SetupError, allow_zero: bool = False) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0 or (value == 0 and not allow_zero):
        raise error(f"{key}={raw!r} must be a {'non-negative' if allow_zero else 'positive'} number")
    return value


def require_loopback(urls: Mapping[str, str], error: SetupError) -> None:
    """BCI_FAKE_CREDENTIAL=1 is honoured only when every named endpoint (variable -> URL) is a loopback address."""
    if all(is_loopback_url(url) for url in urls.values()):
        return
    names = " and ".join(urls)
    got = ", ".join(f"{name}={url!r}" for name, url in urls.items())
    raise error(
        f"BCI_FAKE_CREDENTIAL=1 is only honoured when {names} {'both point' if len(urls) > 1 else 'points'} at a "
        f"loopback address (got {got}); unset it to use DefaultAzureCredential"
    )


def credential(environment: ArmEnvironment) -> Any:
    """DefaultAzureCredential trusting the CA bundle, or (BCI_FAKE_CREDENTIAL=1, loopback only) unsigned test tokens.

    Close it after use: `with closing(credential(env)) as cred:` (components/common/provider_kit.py).
    """
    if environment.fake_credential:
        return LoopbackTestCredential()
    from azure.identity import DefaultAzureCredential  # loaded when a provider method runs, never by the program

    return DefaultAzureCredential(connection_verify=environment.verify)
