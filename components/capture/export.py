"""Export a managed OS disk as a VHD: grant a short read SAS, server-side blob copy, revoke — with one cleanup.

As in Packer's step_capture_image.go, the grant is recorded the moment it is requested and revoked in one place,
whatever ends the copy: success, a failed or timed-out copy, or the engine stopping the provider. On that last path
the revoke is only requested (Azure completes it on its own) so that the cleanup fits in the engine's grace period.
A rerun resumes a copy that is still running, and discards one that cannot finish.
"""

from __future__ import annotations

from components.capture.compute import DiskFacts
from components.capture.context import StepContext, Ticks
from components.capture.errors import CaptureError, redact
from components.capture.interrupt import Interrupted
from components.capture.spec import export_blob_name
from components.capture.vhd_store import BlobState, matches, ownership
from components.common.progress import CopyRate

# A server-side copy reads its source for as long as it runs, so the SAS must outlive the copy: one that expires
# first leaves a failed, partial blob (hashicorp/packer-plugin-azure#549, where a fixed 600 s grant was too short).
# A new SAS cannot be handed to a running copy, so the grant is sized once, to the disk, at a slow copy rate.
MIN_GRANT_SECONDS = 600
GRANT_SECONDS_PER_GIB = 32  # ~32 MiB/s: the slow end of server-side disk copies


def grant_seconds(disk: DiskFacts | None, operation_timeout_seconds: float) -> int:
    """A read SAS sized to the copy: 10 minutes plus 32 s per GiB of disk (26 minutes for the default 30 GiB OS disk),
    capped by the operation deadline; the copy is given up at the same moment (`_wait_for_copy`)."""
    sized = MIN_GRANT_SECONDS + GRANT_SECONDS_PER_GIB * ((disk.size_gb if disk else None) or 0)
    return int(max(MIN_GRANT_SECONDS, min(sized, operation_timeout_seconds)))


def export_managed_disk(ctx: StepContext, disk_id: str) -> str:
    store, spec = ctx.store(), ctx.spec
    vm = ctx.builder()
    container, name = spec.vhd_container, export_blob_name(spec, vm.instance_id)
    stamp = ownership(spec.vm_id, vm.instance_id, spec.image_version, disk_id)
    if not store.container_exists(container):
        raise CaptureError(f"container {container!r} does not exist in the storage account; create it first")
    existing = store.state(container, name)
    if existing is not None:
        if not matches(existing, stamp):
            raise CaptureError(
                f"blob {container}/{name} already exists and was not exported from this VM's OS disk for image "
                f"version {spec.image_version}; refusing to overwrite it (delete it or choose another vhd_prefix)"
            )
        if existing.copy_status in (None, "success"):
            ctx.note("VHD already exported")
            _revoke_left_over_access(ctx, disk_id, ctx.compute.disk(disk_id))
            return existing.url
        disk = ctx.compute.disk(disk_id)
        if existing.copy_status == "pending" and disk is not None and disk.active_sas:
            ctx.note("resuming the unfinished copy")
            DiskAccess(ctx, disk_id, name, granted=True).copy(None, int(ctx.operation_timeout_seconds))
            return existing.url
        ctx.note(f"discarding an unusable earlier copy (status {existing.copy_status})")
        _discard(ctx, name, existing)
    disk = ctx.compute.disk(disk_id)
    _revoke_left_over_access(ctx, disk_id, disk)  # an earlier run's grant whose SAS nobody holds any more
    DiskAccess(ctx, disk_id, name).copy(stamp, grant_seconds(disk, ctx.operation_timeout_seconds))
    ctx.note("exported")
    return store.url(container, name)


class DiskAccess:
    """Read access to the OS disk for one copy, revoked on every path out of `copy`."""

    def __init__(self, ctx: StepContext, disk_id: str, blob_name: str, granted: bool = False) -> None:
        self._ctx, self._disk_id, self._blob = ctx, disk_id, blob_name
        self._granted = granted

    def copy(self, stamp: dict[str, str] | None, seconds: int) -> None:
        """Grant for `seconds` and start the copy (unless resuming: `stamp` None), wait for it at most that long;
        revoke whatever happens."""
        ctx, spec = self._ctx, self._ctx.spec
        try:
            if stamp is not None:
                self._granted = True  # recorded before the request: an interrupted grant still gets revoked
                sas = ctx.compute.grant_read_access(self._disk_id, seconds)
                ctx.store().start_copy(spec.vhd_container, self._blob, sas, stamp)
                del sas
            _wait_for_copy(ctx, self._blob, min(seconds, ctx.operation_timeout_seconds))
        except BaseException as failure:
            left = _discard(ctx, self._blob)
            self._revoke_after(failure, left)
            raise
        try:
            ctx.compute.revoke_access(self._disk_id)
        except Interrupted as err:  # e.g. ARM throttled the revoke and the engine stopped the provider meanwhile
            raise Interrupted(
                f"{err}; the VHD is complete, but a read SAS on {self._disk_id} may stay valid until the next "
                "`pulumi up` (which finds the VHD exported and revokes it) or `pulumi destroy`, or until it expires: "
                "revoke it now with `az disk revoke-access`"
            ) from None

    def _revoke_after(self, failure: BaseException, blob_left: str | None) -> None:
        """Revoke after a failed or interrupted copy; raise an error saying what is left, if anything."""
        interrupted = isinstance(failure, Interrupted)
        blob = (
            f"the partial VHD could not be removed ({blob_left}); the next `pulumi up` or `pulumi destroy` removes it"
            if blob_left
            else "the blob copy was aborted and the partial VHD deleted"
        )
        revoke_error = None
        if self._granted:
            try:
                self._ctx.compute.revoke_access(self._disk_id, wait=not interrupted)
            except Exception as err:
                revoke_error = redact(str(err))
        error = Interrupted if interrupted else CaptureError
        if revoke_error:
            raise error(
                f"{failure}; {blob}; in addition, revoking access to the OS disk failed ({revoke_error}), so a read "
                f"SAS on {self._disk_id} stays valid until the next `pulumi up` or `pulumi destroy` revokes it or it "
                "expires: revoke it now with `az disk revoke-access`"
            ) from None
        if interrupted:
            revoke = "revoke-access on the OS disk was requested" if self._granted else "no disk access was granted"
            raise Interrupted(
                f"{failure}; {blob}, {revoke}. Nothing is left to clean by hand: the next `pulumi up` exports again "
                "(and revokes the SAS itself if Azure has not finished revoking it)"
            ) from None


def _wait_for_copy(ctx: StepContext, name: str, seconds: float) -> None:
    store, spec = ctx.store(), ctx.spec
    deadline = ctx.clock.monotonic() + seconds
    ticks = Ticks(ctx.clock, ctx.poll_seconds)
    rate = CopyRate()
    while True:
        state = store.state(spec.vhd_container, name)
        if state is None:
            raise CaptureError("the VHD blob disappeared while it was being copied")
        if state.copy_status == "success":
            return
        if state.copy_status in ("failed", "aborted"):
            raise CaptureError(f"the server-side copy of the OS disk {state.copy_status}: {state.copy_description}")
        ctx.progress.status(rate.line(state.copy_progress, ctx.clock.monotonic()))
        if ctx.clock.monotonic() >= deadline:
            raise CaptureError(
                f"the copy of the OS disk did not finish within {seconds / 60:g} minutes, the life of its read SAS "
                "(10 minutes + 32 s per GiB of disk, at most BCI_OPERATION_TIMEOUT_MINUTES)"
            )
        ticks.sleep()


def _discard(ctx: StepContext, name: str, state: BlobState | None = None) -> str | None:
    """Abort a pending copy and delete the partial VHD; returns why it could not, or None."""
    store, spec = ctx.store(), ctx.spec
    try:
        state = state or store.state(spec.vhd_container, name)
        if state is not None and state.copy_status == "pending" and state.copy_id:
            store.abort_copy(spec.vhd_container, name, state.copy_id)
        store.delete(spec.vhd_container, name)
    except Exception as err:
        reason = redact(f"{type(err).__name__}: {err}")
        ctx.note(f"could not remove the partial VHD: {reason}")
        return reason
    return None


def _revoke_left_over_access(ctx: StepContext, disk_id: str, disk: DiskFacts | None) -> None:
    if disk is not None and disk.active_sas:
        ctx.compute.revoke_access(disk_id)
        ctx.note("revoked access left over from an earlier run")
