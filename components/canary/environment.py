"""Where the canary calls Azure (README "Environment variables of the providers").

The providers' shared variables (components/common/environment.py: BCI_ARM_ENDPOINT, BCI_ARM_SCOPE, BCI_CA_BUNDLE,
BCI_POLL_SECONDS = the interval between two reads of the canary's node and task, BCI_FAKE_CREDENTIAL), and:
- BCI_BATCH_ENDPOINT_URL: the Batch data-plane URL replacing https://<account_endpoint> (a local fake in tests).
- BCI_ROLE_WAIT_SECONDS: how long data-plane 403s are retried while the deployer's new Azure Batch Data Contributor
  role assignment propagates (default 600: "Troubleshoot Azure RBAC" gives up to 10 minutes).
BCI_FAKE_CREDENTIAL=1 is refused unless both endpoints are loopback addresses.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from components.canary.errors import CanarySetupError
from components.common.environment import ArmEnvironment, arm_environment, positive, require_loopback

ROLE_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class CanaryEnvironment:
    arm: ArmEnvironment
    batch_url: str  # the data plane's URL, without a trailing slash
    role_wait_seconds: float


def from_environment(account_endpoint: str, env: Mapping[str, str] | None = None) -> CanaryEnvironment:
    values = os.environ if env is None else env
    arm = arm_environment(values, CanarySetupError)
    override = values.get("BCI_BATCH_ENDPOINT_URL", "").strip().rstrip("/")
    batch_url = override or f"https://{account_endpoint}"
    if not batch_url.startswith("https://"):
        raise CanarySetupError(
            f"BCI_BATCH_ENDPOINT_URL={override!r} must be an https URL (Batch takes tokens over TLS)"
        )
    if arm.fake_credential:
        require_loopback({"BCI_ARM_ENDPOINT": arm.arm_endpoint, "BCI_BATCH_ENDPOINT_URL": batch_url}, CanarySetupError)
    wait = positive(values, "BCI_ROLE_WAIT_SECONDS", ROLE_WAIT_SECONDS, CanarySetupError, allow_zero=True)
    return CanaryEnvironment(arm, batch_url, wait)
