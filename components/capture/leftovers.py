"""What an interrupted capture can leave behind, found and removed by any later operation of the provider.

An interrupted export can leave a partial VHD (a copy still pending, failed or aborted) and a read SAS on the OS disk
it was copying. Both carry their origin: every exported blob is stamped with its source VM and disk when its copy
starts (vhd_store.ownership). So `create` of any version, `read`, `delete` and the clean-up resource's `delete` sweep
the stack's VHD container for unfinished blobs this project wrote, abort and delete them, and revoke any still-active
SAS on their source disks (and on the disks they are told about).
"""

from __future__ import annotations

from collections.abc import Iterable

from components.capture.arm_ids import disk_id_parts
from components.capture.compute import ComputeCalls
from components.capture.vhd_store import SOURCE_DISK_KEY, VhdStore


def clean_leftovers(
    compute: ComputeCalls,
    store: VhdStore | None,
    container: str,
    keep_blob: str | None = None,
    disks: Iterable[str] = (),
) -> list[str]:
    """Remove unfinished VHDs of ours in `container` (but `keep_blob`) and revoke leftover SAS; returns what it did."""
    done: list[str] = []
    disk_ids = {d for d in disks if d}
    if store is not None and container:
        for name, state in store.listing(container):
            if not (state.ours and state.unfinished) or name == keep_blob:
                continue
            if state.copy_status == "pending" and state.copy_id:
                store.abort_copy(container, name, state.copy_id)
            store.delete(container, name)
            done.append(f"deleted the partial VHD {container}/{name} an interrupted run left")
            disk_ids.add(state.metadata.get(SOURCE_DISK_KEY, ""))
    for disk_id in sorted(d for d in disk_ids if disk_id_parts(d)):  # an unmanaged OS disk is a VHD URI: no SAS
        facts = compute.disk(disk_id)
        if facts is not None and facts.active_sas:
            compute.revoke_access(disk_id)
            done.append(f"revoked the read SAS an interrupted run left on {disk_id}")
    return done
