"""`pulumi refresh` (the provider's `read`): how the recorded capture compares with Azure now.

The rule when the builder VM is gone (or is another instance under the same name): while the capture's VHD still
exists, the resource stays in the state with an empty `vm_instance_id`, so the next `pulumi up` replaces it — the new
capture is taken from the new builder VM and the old VHD is deleted with the old resource (or kept, with
retain_vhd_on_delete). Nothing is orphaned silently. Without a VHD the resource is reported gone.
"""

from __future__ import annotations

from typing import Any

from components.capture.cloud import Cloud
from components.capture.leftovers import clean_leftovers


def refreshed_outputs(cloud: Cloud, props: dict[str, Any]) -> dict[str, Any] | None:
    """The state as Azure has it now; None when neither the builder VM nor a VHD of this capture exists.

    A VM that is no longer generalized empties `generalized_time`; a VHD blob that is gone (or no longer carries
    this VM's ownership metadata) empties `vhd_uri`; a VM that is gone empties `vm_instance_id`. `diff` then replaces
    the resource on the next `pulumi up`. Leftovers of interrupted runs are cleaned on the way.
    """
    vm = cloud.compute.get_vm()
    clean_leftovers(cloud.compute, cloud.vhds, props.get("vhd_container") or "", disks=[props.get("os_disk_id", "")])
    outs = dict(props)
    vhd_uri = props.get("vhd_uri") or ""
    if vhd_uri and not _vhd_present(cloud, vhd_uri, props.get("vm_id", "")):
        outs["vhd_uri"] = ""
    recorded = str(props.get("vm_instance_id") or "")  # absent in states written before it was recorded
    if vm is None or (recorded and vm.instance_id.lower() != recorded.lower()):
        if not outs["vhd_uri"]:
            return None
        outs["vm_instance_id"] = ""
        outs["generalized_time"] = ""
        return outs
    if not cloud.compute.instance_state().generalized:
        outs["generalized_time"] = ""
    return outs


def _vhd_present(cloud: Cloud, vhd_uri: str, vm_id: str) -> bool:
    if cloud.vhds is None:
        return False
    state = cloud.vhds.state_of_url(vhd_uri)
    return state is not None and state.owned_by(vm_id) and state.copy_status in (None, "success")
