"""The stack's settings: read the whole `batch-custom-image:` config, validate it, and return typed objects.

This is the ground floor of the program: it imports no component but components/common (a contract in
pyproject.toml). Everything is validated before any resource is registered; a bad value raises one `SettingsError`
whose message names each key, the value found and what is allowed. Split by job, one schema:
- `facts`: Azure and Batch facts and grammars (regions, node agent SKUs, ARM ids, container images);
- `errors`: `SettingsError` and how pydantic's errors become its one-line-per-key message;
- `models`: the typed models, their defaults and their cross-field rules;
- `load`: reading the config (inside `pulumi up` or the mocks) into `Settings`.
Everything imported as `components.settings.<name>` before the split still is (re-exported below).
"""

from components.common.iso_duration import duration_minutes
from components.common.project import NAMESPACE, PROJECT_ROOT
from components.settings.errors import SettingsError, record_problem
from components.settings.facts import (
    AZURE_REGIONS,
    BATCH_SERVICE_PRINCIPAL_APP_ID,
    BLOB_HOST_SUFFIXES,
    CONTAINER_IMAGE,
    CONTAINER_IMAGE_RULE,
    DEFAULT_DRAIN_TIMEOUT,
    MAX_DRAIN_TIMEOUT_HOURS,
    NODE_AGENT_END_OF_LIFE,
    NODE_AGENT_SKUS,
    SETUP_SCRIPT_SUFFIXES,
    SUBNET_ID,
    SUBNET_ID_RULE,
    USER_ASSIGNED_IDENTITY_ID,
    WINDOWS_BASE_IMAGE,
    WINDOWS_PUBLISHERS,
    WINDOWS_SETUP_SCRIPT,
    is_container_image,
)
from components.settings.load import detect_deployer_principal_type, load_settings, parse_settings, settings_from_config
from components.settings.models import (
    AutoScale,
    BaseImage,
    BatchSettings,
    Builder,
    DeployerSettings,
    ImageSettings,
    IpFilter,
    NetworkAccess,
    NonEmpty,
    PoolSettings,
    Replica,
    Settings,
    StartTask,
    StorageSettings,
    ip_filter,
)

__all__ = [
    "AZURE_REGIONS",
    "BATCH_SERVICE_PRINCIPAL_APP_ID",
    "BLOB_HOST_SUFFIXES",
    "CONTAINER_IMAGE",
    "CONTAINER_IMAGE_RULE",
    "DEFAULT_DRAIN_TIMEOUT",
    "MAX_DRAIN_TIMEOUT_HOURS",
    "NAMESPACE",
    "NODE_AGENT_END_OF_LIFE",
    "NODE_AGENT_SKUS",
    "PROJECT_ROOT",
    "SETUP_SCRIPT_SUFFIXES",
    "SUBNET_ID",
    "SUBNET_ID_RULE",
    "USER_ASSIGNED_IDENTITY_ID",
    "WINDOWS_BASE_IMAGE",
    "WINDOWS_PUBLISHERS",
    "WINDOWS_SETUP_SCRIPT",
    "AutoScale",
    "BaseImage",
    "BatchSettings",
    "Builder",
    "DeployerSettings",
    "ImageSettings",
    "IpFilter",
    "NetworkAccess",
    "NonEmpty",
    "PoolSettings",
    "Replica",
    "Settings",
    "SettingsError",
    "StartTask",
    "StorageSettings",
    "detect_deployer_principal_type",
    "duration_minutes",
    "ip_filter",
    "is_container_image",
    "load_settings",
    "parse_settings",
    "record_problem",
    "settings_from_config",
]
