"""What the checks check: the stack's settings read through the program's own loader, as `pulumi up` would read them.

`tools.plan.offline.load_stack_config` overlays Pulumi.<stack>.yaml on the project defaults and
`components.settings.settings_from_config` validates them with the program's models, so the builder size, the pools'
sizes, targets and node agents, the location, the base image and which role assignments are created are the values
`up` uses (a stack `up` would refuse is refused here with the same message).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.common.project import PROJECT_ROOT
from components.settings import BaseImage, Settings, SettingsError, settings_from_config
from tools.plan.offline import load_stack_config
from tools.preflight.errors import ExitCode, PreflightError

SUBSCRIPTION_ENV = ("ARM_SUBSCRIPTION_ID", "AZURE_SUBSCRIPTION_ID")


@dataclass(frozen=True)
class PoolNeed:
    name: str
    vm_size: str
    dedicated: int
    spot: int
    autoscale: bool
    node_agent_sku_id: str


@dataclass(frozen=True)
class Target:
    stack: str
    subscription_id: str
    settings: Settings

    @property
    def location(self) -> str:
        return self.settings.location

    @property
    def builder_size(self) -> str | None:
        """The builder VM's size while the stack has a builder (source build, builder enabled)."""
        return self.settings.image.builder.vm_size if self.settings.has_builder else None

    @property
    def base_image(self) -> BaseImage | None:
        return self.settings.image.builder.base_image if self.settings.has_builder else None

    @property
    def pools(self) -> list[PoolNeed]:
        return [
            PoolNeed(p.name, p.vm_size, p.dedicated, p.spot, p.auto_scale is not None, p.node_agent_sku_id)
            for p in self.settings.pools
        ]

    @property
    def pools_use_subscription_quota(self) -> bool:
        """UserSubscription pools' VMs count against the subscription's vCPU quotas; BatchService ones against the
        Batch account's own quotas (learn.microsoft.com/azure/batch/batch-quota-limit)."""
        return self.settings.user_subscription


def load_target(
    stack: str, subscription: str | None, project_root: Path = PROJECT_ROOT, stack_file: Path | None = None
) -> Target:
    try:
        config = load_stack_config(stack, project_root, stack_file=stack_file)
    except FileNotFoundError as exc:
        raise PreflightError(ExitCode.BAD_INPUT, str(exc)) from None
    settings = _settings(config)
    return Target(stack, _subscription(config, subscription, os.environ), settings)


def _settings(config: Mapping[str, Any]) -> Settings:
    try:
        return settings_from_config(config)
    except SettingsError as exc:
        raise PreflightError(ExitCode.BAD_INPUT, str(exc)) from None


def _subscription(config: Mapping[str, Any], flag: str | None, environ: Mapping[str, str]) -> str:
    """The subscription `up` deploys to: --subscription, else azure-native:subscriptionId, else ARM_SUBSCRIPTION_ID /
    AZURE_SUBSCRIPTION_ID (what the azure-native provider reads before falling back to the Azure CLI's account)."""
    found = (
        flag
        or config.get("azure-native:subscriptionId")
        or next((environ[name] for name in SUBSCRIPTION_ENV if environ.get(name)), None)
    )
    if not found:
        raise PreflightError(
            ExitCode.BAD_INPUT,
            "no subscription: give --subscription <id>, set azure-native:subscriptionId in the stack, or export "
            "ARM_SUBSCRIPTION_ID (`az account show --query id -o tsv` prints the Azure CLI's current one)",
        )
    return str(found)
