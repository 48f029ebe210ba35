"""What a change of inputs (or drift found by refresh) means for the capture resource and its clean-up resource."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import DiffResult

from components.capture.spec import DESTINATION_KEYS, REPLACE_KEYS, STATE_KEYS, makes_vhd
from components.common.provider_kit import DIFF_IGNORED, changed_inputs


def _changed(olds: dict[str, Any], news: dict[str, Any], key: str) -> bool:
    return bool(changed_inputs(olds, news, (key,)))


def _drifted(olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    """Outputs a refresh emptied: the builder VM is gone, it is no longer generalized, or the VHD blob is gone."""
    drift = [key for key in ("vm_instance_id", "generalized_time") if olds.get(key) == ""]
    if makes_vhd(news.get("os_disk_mode"), news.get("export_vhd")) and olds.get("vhd_uri") == "":
        drift.append("vhd_uri")
    return drift


def diff(olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
    # An input the recorded state does not have yet was added by a newer version of this program (image_content,
    # for one): recorded by an update, never a reason to rebuild what is deployed.
    replaces = [k for k in REPLACE_KEYS if k in olds and _changed(olds, news, k)] + _drifted(olds, news)
    updates = [k for k in STATE_KEYS if _changed(olds, news, k)]
    updates += [k for k in REPLACE_KEYS if k not in olds and news.get(k) is not None]
    # The VHD's name is keyed on the VM instance and version (spec.artifact_stem): only a replacement on the same
    # VM and destination writes the same blob, and then the old one goes first (or, retained, is adopted as is).
    same_blob = not any(_changed(olds, news, k) for k in ("vm_id", *DESTINATION_KEYS)) and bool(olds.get("vhd_uri"))
    return DiffResult(
        changes=bool(replaces or updates),
        replaces=replaces,
        delete_before_replace=bool(replaces) and same_blob,
    )


def diff_cleanup(olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
    """The clean-up resource follows its builder VM: a new VM is a new clean-up resource; the rest is recorded."""
    replaces = ["vm_id"] if _changed(olds, news, "vm_id") else []
    others = [k for k in news if k not in (*DIFF_IGNORED, "vm_id") and _changed(olds, news, k)]
    return DiffResult(changes=bool(replaces or others), replaces=replaces, delete_before_replace=False)
