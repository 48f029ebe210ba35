"""Reading the settings: the raw config values validated into `Settings`, in or outside a Pulumi run."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from components.common.project import NAMESPACE
from components.settings.errors import SettingsError, describe, unknown_key
from components.settings.models import DeployerSettings, Settings

# Top-level config keys and the Settings field each one fills.
_TOP_LEVEL = {"image": "image", "batch": "batch", "pools": "pools", "storage": "storage", "deployer": "deployer"}


def parse_settings(config: Mapping[str, Any], location: Any) -> Settings:
    """Validate the raw `batch-custom-image:` values (as the YAML holds them) and `azure-native:location`."""
    raw: dict[str, Any] = {k: config[k] for k in _TOP_LEVEL if config.get(k) is not None}
    if location is not None:
        raw["location"] = location
    problems: list[str] = []
    unknown = sorted(set(config) - set(_TOP_LEVEL))
    problems += [unknown_key(k, _TOP_LEVEL) for k in unknown]
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        problems += [describe(error, raw) for error in exc.errors()]
    if problems:
        raise SettingsError(problems)
    return settings


def settings_from_config(config: Mapping[str, Any]) -> Settings:
    """The settings of a stack's config as the stack file holds it (namespaced keys, values as YAML reads them):
    the offline tools' view of what `load_settings` reads inside `pulumi up`. Raises SettingsError."""
    prefix = f"{NAMESPACE}:"
    raw = {key.removeprefix(prefix): value for key, value in config.items() if key.startswith(prefix)}
    return parse_settings(raw, config.get("azure-native:location"))


def load_settings() -> Settings:
    """Read and validate the current stack's config through the Pulumi SDK (inside `pulumi up` or mocks)."""
    from pulumi.runtime import config as runtime_config

    everything = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    raw = {key.removeprefix(prefix): _decode(value) for key, value in everything.items() if key.startswith(prefix)}
    settings = parse_settings(raw, everything.get("azure-native:location"))
    if settings.deployer.principal_type is None:
        detected = detect_deployer_principal_type(everything, os.environ)
        settings = settings.model_copy(
            update={"deployer": DeployerSettings.model_validate({"principalType": detected})}
        )
    return settings


def detect_deployer_principal_type(config: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    """ServicePrincipal when the azure-native provider signs in as an application or a managed identity, else User.

    The provider takes its client id from `azure-native:clientId` or `ARM_CLIENT_ID` (OIDC, client secret or
    certificate sign-in) and a managed identity from `azure-native:useMsi` or `ARM_USE_MSI`; without them it uses the
    Azure CLI's account. `az login --service-principal` alone is not visible here: such a deployer sets
    `batch-custom-image:deployer.principalType: ServicePrincipal`.
    """
    client_id = config.get("azure-native:clientId") or environ.get("ARM_CLIENT_ID")
    use_msi = str(config.get("azure-native:useMsi") or environ.get("ARM_USE_MSI") or "").lower() == "true"
    return "ServicePrincipal" if client_id or use_msi else "User"


def _decode(value: Any) -> Any:
    """Structured config reaches the program as JSON text; plain strings stay strings."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
