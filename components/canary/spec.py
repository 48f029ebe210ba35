"""The canary's contract: its inputs, how a change of each is handled, and their validation, declared once in
`CanarySpec` with components/common/provider_kit.py (as components/pool_drain/spec.py).

Inputs (wire names = field names = resource.py's `ImageCanaryArgs`):
- `account_id`: the Batch account's ARM id; the canary pool is created, listed and deleted through ARM.
- `account_endpoint`: the account's data-plane host (`<account>.<region>.batch.azure.com`): nodes, the job and its task.
- `image_version`, `image_version_id`: the version under test and its gallery image version ARM id. A change of
  either REPLACES the canary: a new version is canaried from the start.
- `pool_body`: the canary pool's ARM body (API 2024-07-01, one node, the first pool's network and identity).
- `command`: the job's one task; exit code 0 passes. `timeout`: ISO 8601, from the pool's creation to the task's end.

diff: a replacement when `image_version` or `image_version_id` changes, or when the recorded outcome failed (`passed`
false in the olds: the next `up` retries the canary from the start, on a new pool). Any other change (the first
pool's start task, the canary's vmSize, command or timeout, the account's endpoint) is an in-place update that only
records the new inputs: it does NOT run the canary again, since the version it proved has not changed; to re-run it,
`pulumi up --replace <the canary's URN>`.

Outputs besides the inputs: `passed`, `failure` ("" when passed), `pool_name`, `node_minutes`, `job_id` (the canary's
job; deleted by create, recorded so that `delete` can retry it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.dynamic import CheckFailure

from components.common import provider_kit
from components.common.iso_duration import duration_failure, duration_seconds
from components.common.provider_kit import failure_text, input_field, input_keys, is_unknown, keys_for

# The canary pool's metadata: it is a canary of this image definition, for this version, made by this resource.
CANARY_METADATA = "batch-custom-image-canary"
VERSION_METADATA = "batch-custom-image-canary-version"
URN_METADATA = "batch-custom-image-canary-urn"
OUTPUT_KEYS = ("passed", "failure", "pool_name", "node_minutes", "job_id")

_ACCOUNT_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)/providers/Microsoft\.Batch/"
    r"batchAccounts/(?P<account>[^/]+)$",
    re.IGNORECASE,
)
_VERSION_ID = re.compile(
    r"^(?P<definition>/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/galleries/[^/]+/"
    r"images/[^/]+)/versions/(?P<version>[^/]+)$",
    re.IGNORECASE,
)
# A gallery image version name: Major.Minor.Patch, each a 32-bit integer (Compute "Gallery image versions").
_VERSION = re.compile(r"^\d{1,10}\.\d{1,10}\.\d{1,10}$")


def image_definition_id(version_id: str) -> str:
    """The gallery image (definition) ARM id a version id belongs to."""
    match = _VERSION_ID.match(version_id)
    return match.group("definition") if match else ""


# --- validation rules (each sentence names the value) ---------------------------------------------------------------


_text = provider_kit.non_empty


def _account_id(value: Any, _: Mapping[str, Any]) -> str | None:
    if _text(value):
        return _text(value)
    if not _ACCOUNT_ID.match(value):
        return (
            f"{value!r} must be a Batch account ARM id /subscriptions/<id>/resourceGroups/<rg>/providers/"
            "Microsoft.Batch/batchAccounts/<account>"
        )
    return None


def _image_version(value: Any, _: Mapping[str, Any]) -> str | None:
    if _text(value):
        return _text(value)
    if not _VERSION.match(value):
        return f"{value!r} must be a gallery image version Major.Minor.Patch, e.g. 1.4.0"
    return None


def _image_version_id(value: Any, props: Mapping[str, Any]) -> str | None:
    if _text(value):
        return _text(value)
    match = _VERSION_ID.match(value)
    if match is None:
        return (
            f"{value!r} must be a gallery image version ARM id /subscriptions/<id>/resourceGroups/<rg>/providers/"
            "Microsoft.Compute/galleries/<g>/images/<image>/versions/<version>"
        )
    version = props.get("image_version")
    if isinstance(version, str) and not is_unknown(version) and match.group("version") != version:
        return f"{value!r} names version {match.group('version')!r}, not image_version {version!r}"
    return None


def _pool_body(value: Any, _: Mapping[str, Any]) -> str | None:
    properties = value.get("properties") if isinstance(value, dict) else None
    if not isinstance(properties, dict):
        return f"must be an ARM pool body {{'properties': {{...}}}}, got {value!r}"
    vm = (properties.get("deploymentConfiguration") or {}).get("virtualMachineConfiguration")
    if not isinstance(vm, dict) or not vm.get("imageReference") or not vm.get("nodeAgentSkuId"):
        return "properties.deploymentConfiguration.virtualMachineConfiguration needs imageReference and nodeAgentSkuId"
    fixed = (properties.get("scaleSettings") or {}).get("fixedScale")
    targets = [fixed.get(k) for k in ("targetDedicatedNodes", "targetLowPriorityNodes")] if fixed else []
    if not fixed or any(is_unknown(t) for t in targets):
        return None if fixed else "properties.scaleSettings.fixedScale is required: the canary pool has one node"
    if sum(int(t or 0) for t in targets) != 1:
        return f"properties.scaleSettings.fixedScale must target exactly one node (dedicated or Spot), got {fixed!r}"
    return None


def _command(value: Any, _: Mapping[str, Any]) -> str | None:
    return _text(value)


def _timeout(value: Any, _: Mapping[str, Any]) -> str | None:
    return duration_failure(value, positive=True)


# --- the declaration ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CanarySpec:
    """The canary's inputs (see the module docstring for each)."""

    account_id: str = input_field("the Batch account's ARM id", "state", _account_id)
    account_endpoint: str = input_field("the account's data-plane host", "state", provider_kit.account_endpoint_rule)
    image_version: str = input_field("the image version under test (Major.Minor.Patch)", "replace", _image_version)
    image_version_id: str = input_field("the gallery image version's ARM id", "replace", _image_version_id)
    pool_body: dict[str, Any] = input_field("the canary pool's ARM body (2024-07-01)", "state", _pool_body)
    command: str = input_field("the canary task's command line", "state", _command)
    timeout: str = input_field("ISO 8601: pool creation to the task's end", "state", _timeout)

    @property
    def timeout_seconds(self) -> int:
        return duration_seconds(self.timeout)

    @property
    def account(self) -> dict[str, str]:
        """`subscription`, `resource_group` and `account` of `account_id` (check refused any other form)."""
        match = _ACCOUNT_ID.match(self.account_id)
        return match.groupdict() if match else {}

    @property
    def image_definition_id(self) -> str:
        return image_definition_id(self.image_version_id)

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> CanarySpec:
        failures = input_failures(props)
        if failures:
            raise ValueError(failure_text(failures))
        return cls(**{key: props[key] for key in INPUT_KEYS})


INPUT_KEYS = input_keys(CanarySpec)
REPLACE_KEYS = keys_for(CanarySpec, "replace")


def input_failures(props: Mapping[str, Any]) -> list[CheckFailure]:
    """One failure per input that is missing or malformed; unknown values (a preview) pass."""
    return provider_kit.input_failures(CanarySpec, props, show_value=False)


def failed_before(olds: Mapping[str, Any]) -> bool:
    """The recorded outcome is a failed canary (an older record without `passed` is not)."""
    return olds.get("passed") is False
