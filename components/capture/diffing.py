"""What a change of inputs (or drift found by refresh) means for the capture resource."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import DiffResult

from components.capture.spec import is_unknown

# A new VM, image version, disk mode, OS type or VHD destination is a new capture.
REPLACE_KEYS = (
    "vm_id",
    "image_version",
    "os_disk_mode",
    "os_type",
    "export_vhd",
    "storage_account_id",
    "blob_endpoint",
    "vhd_container",
    "vhd_prefix",
)
# Only recorded in the state (delete reads it), no cloud change.
UPDATE_KEYS = ("retain_vhd_on_delete",)
# Deliberately ignored: a new deadline for the guest does not redo a finished capture.
IGNORED_KEYS = ("guest_timeout_minutes",)
DESTINATION_KEYS = ("blob_endpoint", "vhd_container", "vhd_prefix", "os_disk_mode")


def _changed(olds: dict[str, Any], news: dict[str, Any], key: str) -> bool:
    new = news.get(key)
    return is_unknown(new) or olds.get(key) != new


def _drifted(olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    """Outputs a refresh emptied: the VM is no longer generalized, or the VHD blob is gone."""
    drift = []
    if olds.get("generalized_time") == "":
        drift.append("generalized_time")
    needs_vhd = news.get("os_disk_mode") == "unmanaged" or news.get("export_vhd") is True
    if needs_vhd and olds.get("vhd_uri") == "":
        drift.append("vhd_uri")
    return drift


def diff(olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
    replaces = [k for k in REPLACE_KEYS if _changed(olds, news, k)] + _drifted(olds, news)
    updates = [k for k in UPDATE_KEYS if _changed(olds, news, k)]
    same_destination = not any(_changed(olds, news, k) for k in DESTINATION_KEYS)
    return DiffResult(
        changes=bool(replaces or updates),
        replaces=replaces,
        # the replacement would write the same blob name: remove the old VHD first
        delete_before_replace=bool(replaces) and same_destination and bool(olds.get("vhd_uri")),
    )
