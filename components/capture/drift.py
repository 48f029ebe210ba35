"""Refresh and delete: how the recorded capture compares with Azure, and removing the VHD this resource made."""

from __future__ import annotations

from typing import Any

from components.capture.cloud import Cloud


def refreshed_outputs(cloud: Cloud, props: dict[str, Any]) -> dict[str, Any] | None:
    """The state as Azure has it now; None when the builder VM is gone (the resource is gone with it).

    A VM that is no longer generalized empties `generalized_time`; a VHD blob that is gone (or no longer carries
    this VM's ownership metadata) empties `vhd_uri`. `diff` then replaces the resource on the next `pulumi up`.
    """
    if cloud.compute.get_vm() is None:
        return None
    outs = dict(props)
    if not cloud.compute.instance_state().generalized:
        outs["generalized_time"] = ""
    vhd_uri = props.get("vhd_uri") or ""
    if vhd_uri and not _vhd_present(cloud, vhd_uri, props.get("vm_id", "")):
        outs["vhd_uri"] = ""
    return outs


def _vhd_present(cloud: Cloud, vhd_uri: str, vm_id: str) -> bool:
    if cloud.vhds is None:
        return False
    state = cloud.vhds.state_of_url(vhd_uri)
    return state is not None and state.owned_by(vm_id) and state.copy_status in (None, "success")


def delete_vhd(cloud: Cloud, props: dict[str, Any]) -> str:
    """Delete the VHD this resource created (unless retained); succeeds when it is already gone."""
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
