"""`pulumi destroy` and replacements (the providers' `delete`): remove what the capture made, and its leftovers."""

from __future__ import annotations

from typing import Any

from components.capture.cloud import Cloud
from components.capture.leftovers import clean_leftovers
from components.capture.spec import CAPTURE_CONTAINER, CaptureSpec, captured_blob_prefix


def delete_capture(cloud: Cloud, props: dict[str, Any]) -> list[str]:
    """Delete the VHD this resource created (unless retained), then what interrupted runs left."""
    done = [_delete_vhd(cloud, props)]
    disks = [props.get("os_disk_id", "")]
    return done + clean_leftovers(cloud.compute, cloud.vhds, props.get("vhd_container") or "", disks=disks)


def _delete_vhd(cloud: Cloud, props: dict[str, Any]) -> str:
    vhd_uri = props.get("vhd_uri") or ""
    if not vhd_uri:
        return "no VHD"
    if props.get("retain_vhd_on_delete"):
        return "VHD retained"
    if cloud.vhds is None:
        return "no blob endpoint"
    state = cloud.vhds.state_of_url(vhd_uri)
    if state is None:
        return "VHD already gone"
    if not state.owned_by(props.get("vm_id", "")):
        return "VHD not created by this resource: left in place"
    cloud.vhds.delete_url(vhd_uri)
    return "VHD deleted"


def clean_up_after_builder(cloud: Cloud, spec: CaptureSpec) -> list[str]:
    """The clean-up resource's delete, just before its builder VM goes: whatever a capture of this VM that never
    finished (and so never reached the state) left — a read SAS on the OS disk, partial exports, an unstamped VHD of
    the classic capture."""
    vm = cloud.compute.get_vm()
    disks = [vm.managed_os_disk_id or ""] if vm else []
    done = clean_leftovers(cloud.compute, cloud.vhds, spec.vhd_container, disks=disks)
    if vm is not None and spec.unmanaged and cloud.vhds is not None:
        for name, state in cloud.vhds.listing(CAPTURE_CONTAINER, captured_blob_prefix(spec, vm.instance_id)):
            if not state.metadata:  # stamped ones belong to a capture in the state, which deletes (or keeps) them
                cloud.vhds.delete(CAPTURE_CONTAINER, name)
                done.append(f"deleted the unrecorded capture {name}")
    return done
