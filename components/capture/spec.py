"""The capture resource's inputs: validation (one clear failure per property) and a typed view of them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from pulumi.dynamic import CheckFailure

from components.capture.arm_ids import storage_account_id_parts, vm_id_parts
from components.common.image_version import IMAGE_VERSION_RULE, is_image_version

# What `pulumi preview` sends for a value that is not known yet (pulumi.runtime.rpc.UNKNOWN).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

INPUT_KEYS = (
    "vm_id",
    "os_disk_mode",
    "os_type",
    "image_version",
    "export_vhd",
    "storage_account_id",
    "blob_endpoint",
    "vhd_container",
    "vhd_prefix",
    "guest_timeout_minutes",
    "retain_vhd_on_delete",
)
OUTPUT_KEYS = ("vm_id", "os_disk_id", "vhd_uri", "generalized_time")

DISK_MODES = ("managed", "unmanaged")
OS_TYPES = ("Linux", "Windows")
MAX_GUEST_TIMEOUT_MINUTES = 24 * 60
_CONTAINER = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


@dataclass(frozen=True)
class CaptureSpec:
    vm_id: str
    os_disk_mode: str
    os_type: str
    image_version: str
    export_vhd: bool
    storage_account_id: str
    blob_endpoint: str
    vhd_container: str
    vhd_prefix: str
    guest_timeout_minutes: float
    retain_vhd_on_delete: bool

    @property
    def unmanaged(self) -> bool:
        return self.os_disk_mode == "unmanaged"

    @property
    def makes_vhd(self) -> bool:
        return self.unmanaged or self.export_vhd

    @property
    def export_blob_name(self) -> str:
        return f"{self.vhd_prefix}.vhd"

    @staticmethod
    def from_props(props: dict[str, Any]) -> CaptureSpec:
        """The typed inputs; raises ValueError naming every bad key (create/update call check's rules again)."""
        failures = input_failures(props)
        if failures:
            raise ValueError("; ".join(f"{f.property}: {f.reason}" for f in failures))
        return CaptureSpec(
            vm_id=props["vm_id"],
            os_disk_mode=props["os_disk_mode"],
            os_type=props["os_type"],
            image_version=props["image_version"],
            export_vhd=bool(props.get("export_vhd", False)),
            storage_account_id=props.get("storage_account_id") or "",
            blob_endpoint=props.get("blob_endpoint") or "",
            vhd_container=props.get("vhd_container") or "",
            vhd_prefix=props["vhd_prefix"],
            guest_timeout_minutes=float(props["guest_timeout_minutes"]),
            retain_vhd_on_delete=bool(props.get("retain_vhd_on_delete", False)),
        )


def is_unknown(value: Any) -> bool:
    """A value not known yet: the wire sentinel, or the `pulumi.output.Unknown` the servicer decodes it to."""
    kind = type(value)
    return (isinstance(value, str) and value == UNKNOWN) or (
        kind.__name__ == "Unknown" and kind.__module__ == "pulumi.output"
    )


def input_failures(props: dict[str, Any]) -> list[CheckFailure]:
    """One failure per bad property; values unknown during preview are not judged."""
    needs_vhd = props.get("os_disk_mode") == "unmanaged" or props.get("export_vhd") is True
    rules = {
        "vm_id": _vm_id,
        "os_disk_mode": lambda v: _one_of(v, DISK_MODES),
        "os_type": lambda v: _one_of(v, OS_TYPES),
        "image_version": _image_version,
        "export_vhd": _boolean,
        "storage_account_id": lambda v: _storage_account_id(v, needs_vhd),
        "blob_endpoint": lambda v: _blob_endpoint(v, needs_vhd),
        "vhd_container": lambda v: _container(v, needs_vhd),
        "vhd_prefix": _prefix,
        "guest_timeout_minutes": _timeout,
        "retain_vhd_on_delete": _optional_boolean,
    }
    failures = []
    for key, rule in rules.items():
        value = props.get(key)
        if is_unknown(value):
            continue
        reason = rule(value)
        if reason:
            failures.append(CheckFailure(key, f"{reason} (got {value!r})"))
    return failures


def _vm_id(value: Any) -> str | None:
    if vm_id_parts(value) is None:
        return (
            "must be the ARM id of a virtual machine: "
            "/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.Compute/virtualMachines/<name>"
        )
    return None


def _one_of(value: Any, allowed: tuple[str, ...]) -> str | None:
    return None if value in allowed else f"must be one of {', '.join(allowed)}"


def _image_version(value: Any) -> str | None:
    return None if is_image_version(value) else f"must be a gallery image version {IMAGE_VERSION_RULE}"


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _optional_boolean(value: Any) -> str | None:
    return None if value is None else _boolean(value)


def _storage_account_id(value: Any, needed: bool) -> str | None:
    if not needed and value in (None, ""):
        return None
    if storage_account_id_parts(value) is None:
        return (
            "must be the ARM id of a storage account: "
            "/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<name>"
        )
    return None


def _blob_endpoint(value: Any, needed: bool) -> str | None:
    if not needed and value in (None, ""):
        return None
    parsed = urlparse(value) if isinstance(value, str) else None
    if not parsed or parsed.scheme != "https" or not parsed.netloc or parsed.query or not value.endswith("/"):
        return (
            "must be the storage account's https blob endpoint ending in '/', e.g. https://acct.blob.core.windows.net/"
        )
    return None


def _container(value: Any, needed: bool) -> str | None:
    if not needed and value in (None, ""):
        return None
    ok = isinstance(value, str) and _CONTAINER.match(value)
    return None if ok else "must be a blob container name: 3-63 lowercase letters, digits and single hyphens"


def _prefix(value: Any) -> str | None:
    ok = isinstance(value, str) and _PREFIX.match(value)
    return None if ok else "must be 1-80 letters, digits, '.', '_' or '-', starting with a letter or digit"


def _timeout(value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not 0 < value <= MAX_GUEST_TIMEOUT_MINUTES:
        return f"must be a number of minutes greater than 0 and at most {MAX_GUEST_TIMEOUT_MINUTES}"
    return None
