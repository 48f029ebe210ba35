"""Environment variables that point the pool drain somewhere other than public Azure Resource Manager (README).

The drain calls the Batch management plane (ARM), as `pulumi up` does, never the account's data-plane endpoint, so
it works when that endpoint is closed (`batch.publicNetworkAccess: Disabled`, IP rules without this machine).

It reads the providers' shared variables only (components/common/environment.py: BCI_ARM_ENDPOINT, BCI_ARM_SCOPE,
BCI_CA_BUNDLE, BCI_POLL_SECONDS = the interval between reads of a draining pool, BCI_FAKE_CREDENTIAL); unset, it
calls https://management.azure.com with DefaultAzureCredential. BCI_FAKE_CREDENTIAL=1 is refused unless
BCI_ARM_ENDPOINT is a loopback address.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from components.common.environment import ArmEnvironment, arm_environment, require_loopback


class DrainSetupError(RuntimeError):
    """A variable above is set to something the drain cannot use."""


def from_environment(env: Mapping[str, str] | None = None) -> ArmEnvironment:
    endpoint = arm_environment(os.environ if env is None else env, DrainSetupError)
    if endpoint.fake_credential:
        require_loopback({"BCI_ARM_ENDPOINT": endpoint.arm_endpoint}, DrainSetupError)
    return endpoint
