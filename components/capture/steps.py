"""The capture sequence as small named steps, in the manner of Packer's azure-arm builder.

inspect_vm -> clean_leftovers -> wait_for_guest_power_off -> prove_deprovisioned -> generalize -> deallocate
-> capture_unmanaged (here) | export_managed_disk (export.py)

Every step first looks at the current state (already powered off, generalized, deallocated; VHD already complete with
matching ownership metadata; a copy still running; an earlier run's capture still running in Azure), so a rerun after
a crash or Ctrl-C continues where the last run stopped and never writes a second VHD. Every wait ends when the engine
stops the provider (interrupt.py), and the step's cleanup then runs before the process exits.
"""

from __future__ import annotations

from datetime import timedelta

from components.capture.compute import InstanceState, OperationInProgress, VmFacts
from components.capture.context import StepContext, Ticks, rebuild_hint, run_step, utc_now
from components.capture.errors import CaptureError
from components.capture.export import export_managed_disk
from components.capture.interrupt import utc_iso
from components.capture.leftovers import clean_leftovers
from components.capture.serial_log import tail_for_error
from components.capture.spec import (
    CAPTURE_CONTAINER,
    CaptureOutcome,
    CaptureSpec,
    artifact_stem,
    captured_blob_prefix,
    export_blob_name,
)
from components.capture.vhd_store import BlobState, VhdStore, matches, ownership
from components.common.console import FAILURE_LINES, WINDOWS_SETUP_LOG, WINDOWS_SYSPREP_LOG, proof_line
from components.common.os_type import is_windows
from components.common.proof import FAILED, GENERALIZED, PROOF_CONTAINER, Markers, marker_name
from components.common.proof import PHASES as MARKER_PHASES

# The guest powers itself off within seconds of writing its generalized marker (`systemctl poweroff`; Windows shuts
# down after sysprep): from then on the wait reads the power state this many times as often (every 3 s instead of
# every 15 s on Azure), so the capture starts seconds after the power-off, not up to a whole poll interval later.
SHUTDOWN_POLL_DIVISOR = 5

# --- the sequence -------------------------------------------------------------------------------------------


def run_create(ctx: StepContext) -> CaptureOutcome:
    vm = run_step("inspect_vm", lambda: inspect_vm(ctx), ctx.progress)
    if ctx.vhds is not None:
        run_step("clean_leftovers", lambda: clean_earlier_runs(ctx), ctx.progress)
    state = run_step("wait_for_guest_power_off", lambda: wait_for_guest_power_off(ctx), ctx.progress)
    run_step("prove_deprovisioned", lambda: prove_deprovisioned(ctx, state), ctx.progress)
    generalized_time = run_step("generalize", lambda: generalize(ctx, state), ctx.progress)
    run_step("deallocate", lambda: deallocate(ctx, state), ctx.progress)
    vhd_uri = ""
    if ctx.spec.unmanaged:
        vhd_uri = run_step("capture_unmanaged", lambda: capture_unmanaged(ctx), ctx.progress)
    elif ctx.spec.export_vhd:
        disk_id = vm.managed_os_disk_id or ""
        vhd_uri = run_step("export_managed_disk", lambda: export_managed_disk(ctx, disk_id), ctx.progress)
    os_disk_id = vm.managed_os_disk_id or (vm.os_vhd_uri or "").split("?", 1)[0]
    return CaptureOutcome(vm.instance_id, os_disk_id, vhd_uri, generalized_time)


def clean_earlier_runs(ctx: StepContext) -> None:
    """What interrupted runs of any version left in this stack's container: partial VHDs and their disks' SAS.
    This capture's own unfinished export is left to export_managed_disk, which resumes it."""
    own = export_blob_name(ctx.spec, ctx.builder().instance_id)
    ctx.trail.extend(clean_leftovers(ctx.compute, ctx.store(), ctx.spec.vhd_container, keep_blob=own))


def inspect_vm(ctx: StepContext) -> VmFacts:
    vm = ctx.compute.get_vm()
    if vm is None:
        raise CaptureError(f"the builder VM {ctx.spec.vm_id} does not exist")
    if not vm.instance_id:
        raise CaptureError(f"the builder VM {ctx.spec.vm_id} has no vmId")
    if ctx.spec.unmanaged and not vm.os_vhd_uri:
        raise CaptureError("os_disk_mode is 'unmanaged' but the builder VM's OS disk is a managed disk")
    if not ctx.spec.unmanaged and not vm.managed_os_disk_id:
        raise CaptureError("os_disk_mode is 'managed' but the builder VM's OS disk is an unmanaged VHD")
    ctx.vm = vm
    return vm


def wait_for_guest_power_off(ctx: StepContext) -> InstanceState:
    """Wait for the guest to deprovision and power itself off (or find it already off or generalized).

    The deadline counts from the VM's creation, so a rerun on a VM that already ran out of time fails at once.
    A failed marker from the guest (components/common/proof.py) ends the wait early; so does a marker that names
    another VM instance. Once the generalized marker is listed, the guest's last act before its power-off
    (components/cloud_init.py, image/build-driver.ps1), the power state is read SHUTDOWN_POLL_DIVISOR times as often.
    """
    vm, spec = ctx.builder(), ctx.spec
    deadline = (vm.created or ctx.clock.now()) + timedelta(minutes=spec.guest_timeout_minutes)
    ticks, shutting_down = Ticks(ctx.clock, ctx.poll_seconds), False
    state = ctx.compute.instance_state()
    while not (state.powered_off or state.generalized):
        remaining = (deadline - ctx.clock.now()).total_seconds()
        if remaining <= 0:
            raise CaptureError(
                f"the builder VM did not {_generalizer(spec)} and power itself off within "
                f"{spec.guest_timeout_minutes:g} minutes of its creation (guest_timeout_minutes; power state: "
                f"{state.power}), and wrote no failed marker to {_marker_place(ctx)}. The setup script or "
                f"{_generalizer(spec)} probably hung, or the guest could not reach the storage account; the VM was "
                f"left running for inspection{_where_to_look(spec)}, and every rerun on it fails at once: "
                f"{rebuild_hint(spec)} (or raise guestTimeoutMinutes if the setup only needs longer). Last lines of "
                "its serial log (a diagnostic; it may be empty):\n" + tail_for_error(ctx.compute.serial_log)
            )
        ctx.progress.status(f"setup running (power state {state.power}), deadline {utc_iso(deadline)[11:16]} UTC")
        markers = read_markers(ctx, (FAILED,))
        _stop_on_guest_failure(ctx, markers)
        if GENERALIZED in markers.listed and not shutting_down:  # the power-off follows within seconds
            ticks, shutting_down = Ticks(ctx.clock, ctx.poll_seconds / SHUTDOWN_POLL_DIVISOR), True
        ticks.sleep(at_most=remaining)
        state = ctx.compute.instance_state()
    ctx.note(f"guest powered off (power state {state.power})")
    return state


def _generalizer(spec: CaptureSpec) -> str:
    return "sysprep" if is_windows(spec.os_type) else "deprovision"


def _where_to_look(spec: CaptureSpec) -> str:
    """Where a guest that failed shows it: the serial log, and on Windows also the driver's window."""
    if not is_windows(spec.os_type):
        return ""
    return (
        " (boot diagnostics: the screenshot shows the build driver's window with the failure and the log's last "
        f"lines; the setup log is {WINDOWS_SETUP_LOG}, sysprep's {WINDOWS_SYSPREP_LOG})"
    )


def _marker_place(ctx: StepContext) -> str:
    return f"container {PROOF_CONTAINER!r} under {ctx.builder().instance_id.lower()}/"


def read_markers(ctx: StepContext, phases: tuple[str, ...] = MARKER_PHASES) -> Markers:
    """The guest's build-proof markers under this VM instance's vmId: one List Blobs call, then the body of each
    marker found among `phases` (while waiting, only a failed marker's: one request per poll until the guest fails)."""
    store, vm = ctx.store(), ctx.builder()
    prefix = f"{vm.instance_id.lower()}/"
    bodies, listed = {}, set()
    for name, _ in store.listing(PROOF_CONTAINER, prefix):
        phase = name[len(prefix) :]
        listed.add(phase)
        text = store.read_text(PROOF_CONTAINER, name) if phase in phases else None
        if text is not None:
            bodies[phase] = text
    return Markers(bodies, vm.instance_id, ctx.spec.os_type, frozenset(listed))


def _stop_on_guest_failure(ctx: StepContext, markers: Markers) -> None:
    foreign = markers.foreign()
    if foreign:
        raise CaptureError(
            f"a build-proof marker under this VM's vmId does not name this VM instance ({foreign}): it was not "
            f"written by this builder's guest, so nothing is generalized or captured. Delete the blobs under "
            f"{_marker_place(ctx)} in the image storage account and {rebuild_hint(ctx.spec)}"
        )
    failure = markers.failure()
    if failure is not None:
        lines = [line.strip() for line in failure.splitlines()]
        first = next((line for line in lines if line.startswith(FAILURE_LINES)), lines[0] if lines else "")
        raise CaptureError(
            f"the builder guest reported a failure, {first!r} (marker {marker_name(markers.vm_instance_id, FAILED)} in "
            f"container {PROOF_CONTAINER!r}) and will not power off; the VM was left running for inspection"
            f"{_where_to_look(ctx.spec)}. Fix what it names (the setup script, or the guest's build step that "
            f"failed), then {rebuild_hint(ctx.spec)}. What the guest wrote:\n{failure}"
        )


def prove_deprovisioned(ctx: StepContext, state: InstanceState) -> None:
    """Only a guest that wrote its generalized marker for this vmId is generalized and captured: any other power-off
    is refused, and so is a VM somebody already generalized without that proof."""
    vm, spec = ctx.builder(), ctx.spec
    markers = read_markers(ctx, (GENERALIZED, FAILED))  # the setup-done marker decides nothing here
    _stop_on_guest_failure(ctx, markers)
    if markers.proven():
        ctx.note("the guest proved it deprovisioned")
        return
    how = f"{state.power} and already generalized" if state.generalized else state.power
    raise CaptureError(
        f"the builder VM is {how} but never proved that it deprovisioned: there is no marker "
        f"{marker_name(vm.instance_id, GENERALIZED)!r} in container {PROOF_CONTAINER!r} saying "
        f"{proof_line(spec.os_type, vm.instance_id)!r}. It was stopped or generalized some other way (a setup script "
        f"that shut it down, a Stop or Generalize in the portal or CLI) or {_generalizer(spec)} failed. Capturing it "
        "would publish an image Batch nodes cannot boot cleanly, so it was left as it is: "
        f"{rebuild_hint(spec)}. Last lines of its serial log (a diagnostic; it may be empty):\n"
        + tail_for_error(ctx.compute.serial_log)
    )


def generalize(ctx: StepContext, state: InstanceState) -> str:
    """Mark the powered-off VM generalized, then deallocate it (next step). Packer's azure-arm builder deallocates
    first (step_power_off_compute.go), then generalizes; Azure refuses Generalize only on a running VM ("Operation
    'generalize' is not allowed ... since the VM is running", MicrosoftDocs/azure-docs#86809), so generalizing the
    stopped VM before deallocating it is allowed too, and a crash in between leaves a VM a rerun only deallocates."""
    if state.generalized:
        return state.generalized_time or utc_now(ctx)
    ctx.compute.generalize()
    ctx.note("generalized")
    return utc_now(ctx)


def deallocate(ctx: StepContext, state: InstanceState) -> None:
    """Release the VM's compute (billing stops; a managed disk can then be exported). Generalizing does not change
    the power state, so the state the guest wait ended with still holds."""
    if state.power == "deallocating":
        state = _wait_while_deallocating(ctx, state)
    if state.power == "deallocated":
        ctx.note("already deallocated")
        return
    ctx.compute.deallocate()
    ctx.note("deallocated")


def _wait_while_deallocating(ctx: StepContext, state: InstanceState) -> InstanceState:
    """An earlier run's deallocation is still going on: wait for it rather than start a second one."""
    deadline = ctx.clock.monotonic() + ctx.operation_timeout_seconds
    while state.power == "deallocating" and ctx.clock.monotonic() < deadline:
        ctx.clock.sleep(ctx.poll_seconds)
        state = ctx.compute.instance_state()
    ctx.note("waited for an earlier deallocation")
    return state


# --- unmanaged OS disk: the VM capture API ------------------------------------------------------------------------


def capture_unmanaged(ctx: StepContext) -> str:
    """Capture into container 'system'. An earlier run's capture that is still running in Azure (ARM answers 409)
    is waited for and adopted, never started a second time."""
    store, spec, vm = ctx.store(), ctx.spec, ctx.builder()
    prefix = captured_blob_prefix(spec, vm.instance_id)
    vhd_prefix = artifact_stem(spec.vhd_prefix, vm.instance_id, spec.image_version)
    stamp = ownership(spec.vm_id, vm.instance_id, spec.image_version)
    deadline = ctx.clock.monotonic() + ctx.operation_timeout_seconds
    while True:
        earlier = _earlier_capture(ctx, store, prefix, stamp)
        if earlier:
            ctx.note("VHD already captured")
            return earlier
        try:
            uri = ctx.compute.capture(vhd_prefix, spec.vhd_container)
            break
        except OperationInProgress:
            ctx.note("waiting for an operation an earlier run started (a capture, if its VHD appears)")
            _wait_while_busy(ctx, deadline)
    name = _captured_blob_name(uri)
    store.set_metadata(CAPTURE_CONTAINER, name, stamp)
    _earlier_capture(ctx, store, prefix, stamp)  # a capture that finished meanwhile: removed, ours is stamped
    ctx.note("captured")
    return uri.split("?", 1)[0]


def _wait_while_busy(ctx: StepContext, deadline: float) -> None:
    """Wait until the VM reports no operation in progress, so its result (a VHD) is there to be found."""
    while ctx.compute.instance_state().busy:
        if ctx.clock.monotonic() >= deadline:
            raise CaptureError(
                f"an earlier run's operation on the builder VM did not finish within "
                f"{ctx.operation_timeout_seconds / 60:g} minutes (BCI_OPERATION_TIMEOUT_MINUTES)"
            )
        ctx.clock.sleep(ctx.poll_seconds)


def _earlier_capture(ctx: StepContext, store: VhdStore, prefix: str, stamp: dict[str, str]) -> str | None:
    """The URI of the VHD captured for this VM instance and version: the stamped one, else one a crash left unstamped
    (adopted and stamped). Any other copy under this instance's prefix is a duplicate and is deleted."""
    found = [(n, s) for n, s in store.listing(CAPTURE_CONTAINER, prefix) if n.endswith(".vhd")]
    foreign = [n for n, s in found if s.metadata and not matches(s, stamp)]
    if foreign:
        raise CaptureError(
            f"VHD {foreign[0]!r} in container 'system' carries another capture's ownership metadata under this VM "
            "instance's prefix; delete that blob"
        )
    chosen = _pick(found, stamp)
    if chosen is None:
        return None
    for name, _ in found:
        if name != chosen[0]:
            store.delete(CAPTURE_CONTAINER, name)
            ctx.note(f"deleted a duplicate capture {name}")
    if not chosen[1].metadata:
        store.set_metadata(CAPTURE_CONTAINER, chosen[0], stamp)
    return chosen[1].url


def _pick(found: list[tuple[str, BlobState]], stamp: dict[str, str]) -> tuple[str, BlobState] | None:
    candidates = [item for item in found if matches(item[1], stamp)] or found
    return candidates[0] if candidates else None


def _captured_blob_name(uri: str) -> str:
    marker = f"/{CAPTURE_CONTAINER}/"
    path = uri.split("?", 1)[0]
    if marker not in path:
        raise CaptureError(f"the captured VHD {path} is not in the {CAPTURE_CONTAINER!r} container")
    return path.split(marker, 1)[1]
