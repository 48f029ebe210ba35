"""The capture sequence as small named steps, in the manner of Packer's azure-arm builder.

wait_for_guest_power_off -> deallocate -> generalize -> capture_unmanaged | export_managed_disk

Every step first looks at the current state (already powered off, deallocated, generalized; VHD already complete
with matching ownership metadata; a copy still running), so a rerun after a crash or Ctrl-C continues where the
last run stopped and never writes a second VHD.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from components.capture.compute import ComputeCalls, InstanceState, VmFacts
from components.capture.errors import CaptureError, redact
from components.capture.serial_log import serial_log_tail
from components.capture.spec import CaptureSpec
from components.capture.vhd_store import BlobState, VhdStore, matches, ownership

T = TypeVar("T")

MIN_GRANT_SECONDS = 600  # the read SAS on the OS disk lives as long as the copy may take; revoked right after it
CAPTURE_CONTAINER = "system"  # where the VM capture API writes, under Microsoft.Compute/Images/<container>/


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class StepContext:
    spec: CaptureSpec
    compute: ComputeCalls
    vhds: VhdStore | None
    poll_seconds: float
    copy_timeout_seconds: float  # deadline of the VHD copy and of waits on operations an earlier run started
    verify: str | bool = True
    clock: Clock = field(default_factory=SystemClock)
    trail: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        self.trail.append(line)

    def store(self) -> VhdStore:
        if self.vhds is None:
            raise CaptureError("no blob endpoint is configured for the VHD")
        return self.vhds


@dataclass(frozen=True)
class CaptureOutcome:
    vm_id: str
    os_disk_id: str
    vhd_uri: str
    generalized_time: str

    def as_outputs(self) -> dict[str, str]:
        return {
            "vm_id": self.vm_id,
            "os_disk_id": self.os_disk_id,
            "vhd_uri": self.vhd_uri,
            "generalized_time": self.generalized_time,
        }


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def run_step(name: str, action: Callable[[], T]) -> T:
    """Run one step; any failure becomes a CaptureError naming the step, with SAS tokens redacted."""
    try:
        return action()
    except CaptureError as err:
        raise CaptureError(f"capture step {name!r} failed: {err}") from None
    except Exception as err:
        raise CaptureError(f"capture step {name!r} failed: {type(err).__name__}: {redact(str(err))}") from None


# --- the sequence -------------------------------------------------------------------------------------------


def run_create(ctx: StepContext) -> CaptureOutcome:
    vm = run_step("inspect_vm", lambda: inspect_vm(ctx))
    state = run_step("wait_for_guest_power_off", lambda: wait_for_guest_power_off(ctx))
    state = run_step("deallocate", lambda: deallocate(ctx, state))
    generalized_time = run_step("generalize", lambda: generalize(ctx, state))
    vhd_uri = ""
    if ctx.spec.unmanaged:
        vhd_uri = run_step("capture_unmanaged", lambda: capture_unmanaged(ctx))
    elif ctx.spec.export_vhd:
        disk_id = vm.managed_os_disk_id or ""
        vhd_uri = run_step("export_managed_disk", lambda: export_managed_disk(ctx, disk_id))
    os_disk_id = vm.managed_os_disk_id or (vm.os_vhd_uri or "").split("?", 1)[0]
    return CaptureOutcome(ctx.spec.vm_id, os_disk_id, vhd_uri, generalized_time)


def inspect_vm(ctx: StepContext) -> VmFacts:
    vm = ctx.compute.get_vm()
    if vm is None:
        raise CaptureError(f"the builder VM {ctx.spec.vm_id} does not exist")
    if ctx.spec.unmanaged and not vm.os_vhd_uri:
        raise CaptureError("os_disk_mode is 'unmanaged' but the builder VM's OS disk is a managed disk")
    if not ctx.spec.unmanaged and not vm.managed_os_disk_id:
        raise CaptureError("os_disk_mode is 'managed' but the builder VM's OS disk is an unmanaged VHD")
    return vm


def wait_for_guest_power_off(ctx: StepContext) -> InstanceState:
    """Wait for the guest to power itself off after deprovisioning (or find it already off or generalized)."""
    timeout = ctx.spec.guest_timeout_minutes * 60
    deadline = ctx.clock.monotonic() + timeout
    state = ctx.compute.instance_state()
    while not (state.powered_off or state.generalized):
        remaining = deadline - ctx.clock.monotonic()
        if remaining <= 0:
            tail = serial_log_tail(ctx.compute.serial_log_sas_uri, ctx.verify)
            raise CaptureError(
                f"the builder VM did not power itself off within {ctx.spec.guest_timeout_minutes:g} minutes "
                f"(guest_timeout_minutes; power state: {state.power}). The setup script or the deprovisioning "
                "probably failed; the VM was left running for inspection. Last lines of its serial log:\n" + tail
            )
        ctx.clock.sleep(min(ctx.poll_seconds, remaining))
        state = ctx.compute.instance_state()
    ctx.note(f"guest powered off (power state {state.power})")
    return state


def deallocate(ctx: StepContext, state: InstanceState) -> InstanceState:
    if state.power == "deallocating":
        state = _wait_while_deallocating(ctx, state)
    if state.power == "deallocated":
        ctx.note("already deallocated")
        return state
    ctx.compute.deallocate()
    ctx.note("deallocated")
    return ctx.compute.instance_state()


def _wait_while_deallocating(ctx: StepContext, state: InstanceState) -> InstanceState:
    """An earlier run's deallocation is still going on: wait for it rather than start a second one."""
    deadline = ctx.clock.monotonic() + ctx.copy_timeout_seconds
    while state.power == "deallocating" and ctx.clock.monotonic() < deadline:
        ctx.clock.sleep(ctx.poll_seconds)
        state = ctx.compute.instance_state()
    ctx.note("waited for an earlier deallocation")
    return state


def generalize(ctx: StepContext, state: InstanceState) -> str:
    if state.generalized:
        ctx.note("already generalized")
        return state.generalized_time or utc_now()
    ctx.compute.generalize()
    ctx.note("generalized")
    return utc_now()


# --- unmanaged OS disk: the VM capture API ------------------------------------------------------------------------


def capture_unmanaged(ctx: StepContext) -> str:
    store, spec = ctx.store(), ctx.spec
    stamp = ownership(spec.vm_id, spec.image_version)
    earlier = _earlier_capture(ctx, store, stamp)
    if earlier:
        ctx.note("VHD already captured")
        return earlier
    uri = ctx.compute.capture(spec.vhd_prefix, spec.vhd_container)
    store.set_metadata(CAPTURE_CONTAINER, _captured_blob_name(uri), stamp)
    ctx.note("captured")
    return uri.split("?", 1)[0]


def _earlier_capture(ctx: StepContext, store: VhdStore, stamp: dict[str, str]) -> str | None:
    """The URI of a VHD an earlier run captured for this VM and version, adopting one a crash left unstamped."""
    prefix = f"Microsoft.Compute/Images/{ctx.spec.vhd_container}/{ctx.spec.vhd_prefix}-osDisk."
    states = [(n, store.state(CAPTURE_CONTAINER, n)) for n in store.names(CAPTURE_CONTAINER, prefix)]
    found = [(n, s) for n, s in states if s is not None and n.endswith(".vhd")]
    for _, state in found:
        if matches(state, stamp):
            return state.url
    foreign = [n for n, s in found if s.metadata]
    if foreign:
        raise CaptureError(
            f"VHD {foreign[0]!r} in container 'system' was captured from another VM or image version with "
            f"vhd_prefix {ctx.spec.vhd_prefix!r}; choose another vhd_prefix or delete that blob"
        )
    unstamped = [n for n, _ in found]
    if len(unstamped) > 1:
        raise CaptureError(f"several unfinished captures with this prefix exist in container 'system': {unstamped}")
    if unstamped:
        store.set_metadata(CAPTURE_CONTAINER, unstamped[0], stamp)
        return found[0][1].url
    return None


def _captured_blob_name(uri: str) -> str:
    marker = f"/{CAPTURE_CONTAINER}/"
    path = uri.split("?", 1)[0]
    if marker not in path:
        raise CaptureError(f"the captured VHD {path} is not in the {CAPTURE_CONTAINER!r} container")
    return path.split(marker, 1)[1]


# --- managed OS disk: grant access, server-side copy, revoke -----------------------------------------------------


def export_managed_disk(ctx: StepContext, disk_id: str) -> str:
    store, spec = ctx.store(), ctx.spec
    container, name = spec.vhd_container, spec.export_blob_name
    stamp = ownership(spec.vm_id, spec.image_version, disk_id)
    if not store.container_exists(container):
        raise CaptureError(f"container {container!r} does not exist in the storage account; create it first")
    existing = store.state(container, name)
    if existing is not None:
        resumed = _resume_export(ctx, existing, stamp, disk_id)
        if resumed:
            return resumed
    return _copy_with_access(ctx, disk_id, stamp)


def _resume_export(ctx: StepContext, existing: BlobState, stamp: dict[str, str], disk_id: str) -> str | None:
    spec = ctx.spec
    if not matches(existing, stamp):
        raise CaptureError(
            f"blob {spec.vhd_container}/{spec.export_blob_name} already exists and was not exported from this VM's "
            f"OS disk for image version {spec.image_version}; refusing to overwrite it (choose another vhd_prefix)"
        )
    if existing.copy_status == "success":
        ctx.note("VHD already exported")
        _revoke_if_active(ctx, disk_id)
        return existing.url
    if existing.copy_status == "pending" and ctx.compute.disk_access_active(disk_id):
        ctx.note("resuming the unfinished copy")
        _finish_copy_then_revoke(ctx, disk_id)
        return existing.url
    ctx.note(f"discarding an unusable earlier copy (status {existing.copy_status})")
    _discard(ctx, existing)
    return None


def _copy_with_access(ctx: StepContext, disk_id: str, stamp: dict[str, str]) -> str:
    store, spec = ctx.store(), ctx.spec
    try:
        sas = ctx.compute.grant_read_access(disk_id, max(MIN_GRANT_SECONDS, int(ctx.copy_timeout_seconds)))
        store.start_copy(spec.vhd_container, spec.export_blob_name, sas, stamp)
        del sas
    except BaseException as failure:
        _discard(ctx)
        _revoke_after_failure(ctx, disk_id, failure)
        raise
    _finish_copy_then_revoke(ctx, disk_id)
    ctx.note("exported")
    return store.url(spec.vhd_container, spec.export_blob_name)


def _finish_copy_then_revoke(ctx: StepContext, disk_id: str) -> None:
    """Wait for the copy; on every path (failure, timeout, Ctrl-C included) revoke the disk's read access."""
    try:
        _wait_for_copy(ctx)
    except BaseException as failure:
        _discard(ctx)
        _revoke_after_failure(ctx, disk_id, failure)
        raise
    ctx.compute.revoke_access(disk_id)


def _wait_for_copy(ctx: StepContext) -> None:
    store, spec = ctx.store(), ctx.spec
    deadline = ctx.clock.monotonic() + ctx.copy_timeout_seconds
    while True:
        state = store.state(spec.vhd_container, spec.export_blob_name)
        if state is None:
            raise CaptureError("the VHD blob disappeared while it was being copied")
        if state.copy_status == "success":
            return
        if state.copy_status in ("failed", "aborted"):
            raise CaptureError(f"the server-side copy of the OS disk {state.copy_status}: {state.copy_description}")
        if ctx.clock.monotonic() >= deadline:
            raise CaptureError(
                f"the copy of the OS disk did not finish within {ctx.copy_timeout_seconds / 60:g} minutes "
                "(BCI_OPERATION_TIMEOUT_MINUTES)"
            )
        ctx.clock.sleep(ctx.poll_seconds)


def _discard(ctx: StepContext, state: BlobState | None = None) -> None:
    """Best effort: abort a pending copy and delete the partial VHD, so a failed run leaves no half blob."""
    store, spec = ctx.store(), ctx.spec
    try:
        state = state or store.state(spec.vhd_container, spec.export_blob_name)
        if state is not None and state.copy_status == "pending" and state.copy_id:
            store.abort_copy(spec.vhd_container, spec.export_blob_name, state.copy_id)
        store.delete(spec.vhd_container, spec.export_blob_name)
    except Exception as err:
        ctx.note(f"could not remove the partial VHD: {redact(str(err))}")


def _revoke_if_active(ctx: StepContext, disk_id: str) -> None:
    if ctx.compute.disk_access_active(disk_id):
        ctx.compute.revoke_access(disk_id)
        ctx.note("revoked access left over from an earlier run")


def _revoke_after_failure(ctx: StepContext, disk_id: str, failure: BaseException) -> None:
    try:
        ctx.compute.revoke_access(disk_id)
    except Exception as err:
        raise CaptureError(
            f"{redact(str(failure))}; in addition, revoking access to the OS disk failed ({redact(str(err))}), "
            f"so a read SAS on {disk_id} may stay valid until it expires: revoke it with "
            "`az disk revoke-access`"
        ) from None
