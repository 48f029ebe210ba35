"""The capture steps through their injected interfaces (ComputeCalls, VhdStore, Clock): one test per failing call,
deadlines and interrupts without real waiting — in the manner of Packer's step_capture_image_test.go."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from components.capture.arm_ids import disk_id_parts
from components.capture.compute import DiskFacts, InstanceState, OperationInProgress, VmFacts
from components.capture.errors import CaptureError
from components.capture.export import export_managed_disk, grant_seconds
from components.capture.interrupt import Interrupted
from components.capture.leftovers import clean_leftovers
from components.capture.spec import CaptureSpec, captured_blob_prefix, export_blob_name
from components.capture.steps import (
    StepContext,
    capture_unmanaged,
    deallocate,
    prove_deprovisioned,
    wait_for_guest_power_off,
)
from components.capture.vhd_store import SOURCE_DISK_KEY, BlobState, ownership
from components.common.console import (
    DRIVER_START_FAILED,
    PRE_SYSPREP_FAILED,
    SYSPREP_FAILED,
    deprovisioned_line,
    sysprep_generalized_line,
)
from components.common.os_type import OsType
from components.common.proof import (
    FAILED,
    GENERALIZED,
    PROOF_CONTAINER,
    SETUP_DONE,
    generalized_body,
    marker_header,
    marker_name,
)

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute"
VM = f"{SUB}/virtualMachines/builder"
DISK = f"{SUB}/disks/builder-osdisk"
URN = "urn:pulumi:dev::batch-custom-image::batch-custom-image:builder:BuilderVm$azure-native:compute:VirtualMachine::b"
INSTANCE = "0f47b100-583c-48e3-a4c0-aefc2c9bbcc1"
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, interrupt_after: int | None = None) -> None:
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self.interrupt_after = interrupt_after  # the engine's SIGINT arrives during this many-th sleep

    def monotonic(self) -> float:
        return self.elapsed

    def now(self) -> datetime:
        return START + timedelta(seconds=self.elapsed)

    def cancelled(self) -> bool:
        return self.interrupt_after is not None and len(self.sleeps) >= self.interrupt_after

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.cancelled():
            raise Interrupted("the Pulumi engine stopped the provider")
        self.elapsed += seconds


@dataclass
class ScriptedCompute:
    """Instance states in order (the last one repeats); serial logs in order likewise; records every call."""

    powers: list[str] = field(default_factory=lambda: ["stopped"])
    logs: list[str | None] = field(default_factory=lambda: [f"{deprovisioned_line(INSTANCE)}\n"])
    generalized: bool = False
    disks: dict[str, DiskFacts] = field(default_factory=lambda: {DISK: DiskFacts(False, 30)})
    calls: list[str] = field(default_factory=list)
    fail: dict[str, Exception] = field(default_factory=dict)
    capture_conflicts: int = 0
    on_capture_conflict: object = None
    busy_polls: int = 0  # instance views that report an operation in progress

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if name in self.fail:
            raise self.fail[name]

    def get_vm(self) -> VmFacts | None:
        return VmFacts(VM, INSTANCE, START, DISK, None)

    def instance_state(self) -> InstanceState:
        self._call("instance_state")
        power = self.powers.pop(0) if len(self.powers) > 1 else self.powers[0]
        busy, self.busy_polls = self.busy_polls > 0, max(0, self.busy_polls - 1)
        return InstanceState(power, self.generalized, "2026-12-01T10:30:00Z" if self.generalized else None, busy)

    def deallocate(self) -> None:
        self._call("deallocate")
        self.powers = ["deallocated"]

    def generalize(self) -> None:
        self._call("generalize")
        self.generalized = True

    def capture(self, vhd_prefix: str, container: str) -> str:
        self._call("capture")
        if self.capture_conflicts:
            self.capture_conflicts -= 1
            if callable(self.on_capture_conflict):
                self.on_capture_conflict()
            raise OperationInProgress("another operation is in progress")
        return (
            f"https://acct.blob.core.windows.net/system/Microsoft.Compute/Images/{container}/{vhd_prefix}-osDisk.x.vhd"
        )

    def disk(self, disk_id: str) -> DiskFacts | None:
        if disk_id_parts(disk_id) is None:  # as AzureCompute does
            raise CaptureError(f"the VM's OS disk id {disk_id!r} is not a managed disk id")
        return self.disks.get(disk_id)

    def grant_read_access(self, disk_id: str, seconds: int) -> str:
        self._call(f"grant {seconds}")
        self.disks[disk_id] = replace(self.disks[disk_id], active_sas=True)
        return "https://md.blob.core.windows.net/disk/abcd?sv=2024&sig=SECRET"

    def revoke_access(self, disk_id: str, wait: bool = True) -> None:
        self._call("revoke" if wait else "revoke (not waited for)")
        self.disks[disk_id] = replace(self.disks[disk_id], active_sas=False)

    def serial_log(self) -> str | None:
        self._call("serial_log")
        return self.logs.pop(0) if len(self.logs) > 1 else self.logs[0]


@dataclass
class MemoryStore:
    """VhdStore in memory: copies stay pending until `finish_copies`, or fail when `copy_outcome` says so."""

    blobs: dict[tuple[str, str], BlobState] = field(default_factory=dict)
    texts: dict[tuple[str, str], str] = field(default_factory=dict)  # small text blobs: the guest's markers
    copy_outcome: str = "success"
    calls: list[str] = field(default_factory=list)
    fail: dict[str, Exception] = field(default_factory=dict)

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if name in self.fail:
            raise self.fail[name]

    def url(self, container: str, name: str) -> str:
        return f"https://acct.blob.core.windows.net/{container}/{name}"

    def state(self, container: str, name: str) -> BlobState | None:
        self._call("state")
        state = self.blobs.get((container, name))
        if state is not None and state.copy_status == "pending" and self.copy_outcome != "pending":
            state = self.blobs[(container, name)] = replace(state, copy_status=self.copy_outcome)
        return state

    def state_of_url(self, url: str) -> BlobState | None:
        return next((s for s in self.blobs.values() if s.url == url), None)

    def container_exists(self, container: str) -> bool:
        return True

    def start_copy(self, container: str, name: str, source_url: str, metadata: dict[str, str]) -> None:
        self._call("start_copy")
        self.blobs[(container, name)] = BlobState(self.url(container, name), "pending", "copy-1", None, metadata)

    def abort_copy(self, container: str, name: str, copy_id: str) -> None:
        self._call(f"abort {name}")

    def delete(self, container: str, name: str) -> bool:
        self._call(f"delete {name}")
        return self.blobs.pop((container, name), None) is not None

    def delete_url(self, url: str) -> bool:
        return False

    def set_metadata(self, container: str, name: str, metadata: dict[str, str]) -> None:
        self._call(f"stamp {name}")
        self.blobs[(container, name)] = replace(self.blobs[(container, name)], metadata=metadata)

    def listing(self, container: str, prefix: str = "") -> list[tuple[str, BlobState]]:
        if container == PROOF_CONTAINER:  # the VHD tests count their own calls
            self._call(f"list {container}")
        return sorted((n, s) for (c, n), s in self.blobs.items() if c == container and n.startswith(prefix))

    def read_text(self, container: str, name: str) -> str | None:
        self._call(f"read {name.split('/')[-1]}")
        return self.texts.get((container, name))

    def put_text(self, container: str, name: str, text: str) -> None:
        self.blobs[(container, name)] = BlobState(self.url(container, name), None)
        self.texts[(container, name)] = text


def _spec(**overrides: Any) -> CaptureSpec:
    spec = CaptureSpec(VM, "managed", "Linux", "1.0.0", {}, True, "", "https://acct.blob.core.windows.net/", "images",
                       "app-node-1.0.0", 60, URN, False)  # fmt: skip
    return replace(spec, **overrides)


def proven(os_type: OsType = "Linux", instance: str = INSTANCE) -> dict[str, str]:
    """The markers a guest that succeeded writes (components/common/proof.py)."""
    return {SETUP_DONE: f"{marker_header(SETUP_DONE, instance)}\n", GENERALIZED: generalized_body(os_type, instance)}


def failed(text: str, instance: str = INSTANCE) -> dict[str, str]:
    return {FAILED: f"{marker_header(FAILED, instance)}\n{text}"}


def _ctx(
    compute: ScriptedCompute,
    clock: FakeClock,
    store: MemoryStore | None = None,
    markers: dict[str, str] | None = None,
    **spec: Any,
) -> StepContext:
    """A step context whose store holds `markers` under INSTANCE/ (by default, in a new store: the guest proved its
    build; a store the test passes gets none unless asked)."""
    if markers is None:
        markers = proven(spec.get("os_type", "Linux")) if store is None else {}
    store = store if store is not None else MemoryStore()
    for phase, body in markers.items():
        store.put_text(PROOF_CONTAINER, marker_name(INSTANCE, phase), body)
    ctx = StepContext(_spec(**spec), compute, store, poll_seconds=15, operation_timeout_seconds=7200, clock=clock)
    ctx.vm = compute.get_vm()
    return ctx


# --- waiting for the guest ----------------------------------------------------------------------------------------


def test_the_guest_wait_polls_at_the_interval_until_power_off():
    compute, clock = ScriptedCompute(powers=["running", "running", "stopping", "stopped"]), FakeClock()
    still_setting_up = {SETUP_DONE: f"{marker_header(SETUP_DONE, INSTANCE)}"}

    state = wait_for_guest_power_off(_ctx(compute, clock, markers=still_setting_up))

    assert state.power == "stopped" and clock.sleeps == [15, 15, 15]


def test_once_the_generalized_marker_is_listed_the_power_off_is_read_every_3_seconds_not_15():
    compute, clock = ScriptedCompute(powers=["running", "running", "stopping", "stopped"]), FakeClock()

    state = wait_for_guest_power_off(_ctx(compute, clock))  # the guest wrote its proof; its shutdown is under way

    assert state.power == "stopped" and clock.sleeps == [3, 3, 3]
    assert compute.calls.count("instance_state") == 4


def test_the_guest_deadline_counts_from_the_vms_creation_and_names_the_replace_command():
    compute, clock = ScriptedCompute(powers=["running"], logs=[None]), FakeClock()

    with pytest.raises(CaptureError) as failure:
        wait_for_guest_power_off(_ctx(compute, clock, markers={}, guest_timeout_minutes=1))

    assert clock.elapsed == 60 and clock.sleeps == [15, 15, 15, 15]
    message = str(failure.value)
    assert "within 1 minutes of its creation" in message and f"`pulumi up --replace '{URN}'`" in message
    assert f"wrote no failed marker to container 'build-proof' under {INSTANCE}/" in message
    assert "boot diagnostics are not enabled" in message  # the serial log is only a diagnostic
    assert "deallocate" not in compute.calls and "generalize" not in compute.calls


def test_a_rerun_on_a_vm_that_already_timed_out_fails_at_once():
    compute, clock = ScriptedCompute(powers=["running"], logs=["cloud-init: still installing\n"]), FakeClock()
    clock.elapsed = 61 * 60  # the VM was created 61 minutes ago; the deadline is 60

    with pytest.raises(CaptureError, match="every rerun on it fails at once") as failure:
        wait_for_guest_power_off(_ctx(compute, clock, markers={}))

    assert clock.sleeps == [] and compute.calls == ["instance_state", "serial_log"]
    assert "cloud-init: still installing" in str(failure.value)


def test_a_failed_marker_ends_the_wait_at_the_next_poll_with_what_the_guest_wrote():
    tail = "batch-image: deprovision FAILED; last lines of /var/log/batch-image-deprovision.log:\nwaagent: error\n"
    compute, clock = ScriptedCompute(powers=["running"], logs=["noise\n"]), FakeClock()

    with pytest.raises(CaptureError) as failure:
        wait_for_guest_power_off(_ctx(compute, clock, markers=failed(tail)))

    assert clock.sleeps == []  # the first poll sees it, not the 60 min deadline
    message = str(failure.value)
    assert "reported a failure, 'batch-image: deprovision FAILED; last lines of" in message
    assert f"marker {INSTANCE}/failed in container 'build-proof'" in message
    assert "batch-image: deprovision FAILED" in message and "waagent: error" in message
    assert f"`pulumi up --replace '{URN}'`" in message
    assert "serial_log" not in compute.calls  # the serial log is not the gate


def test_an_interrupt_ends_the_guest_wait_within_one_check():
    compute, clock = ScriptedCompute(powers=["running"]), FakeClock(interrupt_after=2)

    with pytest.raises(Interrupted):
        wait_for_guest_power_off(_ctx(compute, clock, markers={}))

    assert len(clock.sleeps) == 2 and "deallocate" not in compute.calls


def test_the_guest_wait_reads_the_markers_with_one_listing_per_poll():
    store = MemoryStore()
    compute, clock = ScriptedCompute(powers=["running", "running", "stopped"]), FakeClock()

    wait_for_guest_power_off(
        _ctx(compute, clock, store, markers={SETUP_DONE: f"{marker_header(SETUP_DONE, INSTANCE)}"})
    )

    assert store.calls == ["list build-proof"] * 2  # one request per poll; a marker's body only once it failed


# --- the proof of deprovisioning ------------------------------------------------------------------------------------


def test_a_vm_powered_off_without_the_generalized_marker_is_refused_and_left_alone():
    compute, clock = ScriptedCompute(logs=[f"{deprovisioned_line(INSTANCE)}\n"]), FakeClock()
    markers = {SETUP_DONE: f"{marker_header(SETUP_DONE, INSTANCE)}\n"}

    with pytest.raises(CaptureError) as failure:
        prove_deprovisioned(_ctx(compute, clock, markers=markers), InstanceState("stopped", False, None))

    message = str(failure.value)
    assert "is stopped but never proved that it deprovisioned" in message
    assert f"no marker '{INSTANCE}/generalized' in container 'build-proof'" in message
    assert deprovisioned_line(INSTANCE) in message  # what the marker must say (the serial log's line is no proof)
    assert "a Stop or Generalize in the portal" in message and f"`pulumi up --replace '{URN}'`" in message
    assert "generalize" not in compute.calls and "deallocate" not in compute.calls


def test_a_vm_already_generalized_without_the_proof_is_refused_like_a_stopped_one():
    compute, clock = ScriptedCompute(generalized=True), FakeClock()

    with pytest.raises(CaptureError) as failure:
        prove_deprovisioned(_ctx(compute, clock, markers={}), InstanceState("deallocated", True, "2026-12-01T10:30Z"))

    assert "is deallocated and already generalized but never proved that it deprovisioned" in str(failure.value)


def test_a_vm_already_generalized_with_its_proof_goes_on():
    compute, clock = ScriptedCompute(generalized=True), FakeClock()

    prove_deprovisioned(_ctx(compute, clock), InstanceState("deallocated", True, "2026-12-01T10:30Z"))


def test_a_marker_naming_another_vm_instance_is_refused():
    other = "11111111-2222-3333-4444-555555555555"
    compute, clock = ScriptedCompute(), FakeClock()

    with pytest.raises(CaptureError) as failure:
        prove_deprovisioned(_ctx(compute, clock, markers=proven(instance=other)), InstanceState("stopped", False, None))

    message = str(failure.value)
    assert "does not name this VM instance" in message and other in message
    assert "generalize" not in compute.calls


def test_a_guest_that_failed_is_refused_even_with_a_generalized_marker():
    compute, clock = ScriptedCompute(), FakeClock()
    markers = {**proven(), **failed("batch-image: setup FAILED (exit code 1)\napt-get: error\n")}

    with pytest.raises(CaptureError) as failure:
        prove_deprovisioned(_ctx(compute, clock, markers=markers), InstanceState("stopped", False, None))

    assert "reported a failure" in str(failure.value) and "apt-get: error" in str(failure.value)


def test_a_windows_guest_proves_it_with_the_sysprep_marker_without_any_serial_log():
    compute, clock = ScriptedCompute(logs=[""]), FakeClock()  # COM1 held by the Special Administration Console

    prove_deprovisioned(_ctx(compute, clock, os_type="Windows"), InstanceState("stopped", False, None))

    assert "serial_log" not in compute.calls


def test_a_windows_guest_is_not_proven_by_the_linux_marker_nor_the_reverse():
    windows = ScriptedCompute()
    with pytest.raises(CaptureError) as failure:
        prove_deprovisioned(
            _ctx(windows, FakeClock(), markers=proven("Linux"), os_type="Windows"),
            InstanceState("stopped", False, None),
        )
    message = str(failure.value)
    assert sysprep_generalized_line(INSTANCE) in message and "or sysprep failed" in message

    linux = ScriptedCompute()
    with pytest.raises(CaptureError, match="never proved"):
        prove_deprovisioned(_ctx(linux, FakeClock(), markers=proven("Windows")), InstanceState("stopped", False, None))


@pytest.mark.parametrize(
    "line",
    [
        f"{SYSPREP_FAILED}: ImageState IMAGE_STATE_UNDEPLOYABLE\nSYSPRP error 0x80070005",
        f"{PRE_SYSPREP_FAILED}: the RdAgent service is not running",
        f"{DRIVER_START_FAILED}: Access is denied",
    ],
)
def test_a_windows_failure_ends_the_wait_at_once(line):
    compute, clock = ScriptedCompute(powers=["running"], logs=[""]), FakeClock()

    with pytest.raises(CaptureError) as failure:
        wait_for_guest_power_off(_ctx(compute, clock, markers=failed(line), os_type="Windows"))

    assert line in str(failure.value) and "screenshot" in str(failure.value)
    assert "generalize" not in compute.calls and "deallocate" not in compute.calls


def test_a_windows_guest_timeout_says_where_to_look():
    compute, clock = (
        ScriptedCompute(powers=["running"], logs=["batch-image: setup done; running sysprep\n"]),
        FakeClock(),
    )

    with pytest.raises(CaptureError) as failure:
        wait_for_guest_power_off(_ctx(compute, clock, markers={}, os_type="Windows", guest_timeout_minutes=1))

    message = str(failure.value)
    assert "did not sysprep and power itself off" in message and "screenshot" in message
    assert r"C:\batch-image-build\setup.log" in message and "setuperr.log" in message
    assert "running sysprep" in message  # the serial log's tail


def test_deallocate_waits_for_a_deallocation_in_progress_instead_of_starting_another():
    compute, clock = ScriptedCompute(powers=["deallocating", "deallocated"]), FakeClock()

    deallocate(_ctx(compute, clock), InstanceState("deallocating", True, None))

    assert "deallocate" not in compute.calls and clock.sleeps == [15, 15]


# --- exporting the managed disk -------------------------------------------------------------------------------------


def test_the_grant_is_sized_to_the_copy_never_hours_by_default():
    two_hours = 120 * 60

    assert grant_seconds(DiskFacts(False, 30), two_hours) == 600 + 32 * 30  # 26 minutes for the default OS disk
    assert grant_seconds(DiskFacts(False, None), two_hours) == 600
    assert grant_seconds(DiskFacts(False, 128), two_hours) == 600 + 32 * 128
    assert grant_seconds(DiskFacts(False, 1024), two_hours) == two_hours


def test_a_successful_export_grants_copies_and_revokes_once():
    compute, store = ScriptedCompute(), MemoryStore()

    uri = export_managed_disk(_ctx(compute, FakeClock(), store), DISK)

    name = export_blob_name(_spec(), INSTANCE)
    assert uri.endswith(f"/images/{name}") and store.blobs[("images", name)].copy_status == "success"
    assert compute.calls == ["grant 1560", "revoke"]


@pytest.mark.parametrize("failing", ["grant", "start_copy", "copy"])
def test_every_failing_call_of_the_export_revokes_and_leaves_no_blob(failing):
    compute, store = ScriptedCompute(), MemoryStore()
    if failing == "grant":
        compute.fail["grant 1560"] = RuntimeError("grant failed")
    elif failing == "start_copy":
        store.fail["start_copy"] = RuntimeError("copy refused")
    else:
        store.copy_outcome = "failed"

    with pytest.raises((RuntimeError, CaptureError)):
        export_managed_disk(_ctx(compute, FakeClock(), store), DISK)

    assert compute.calls[-1] == "revoke" and not compute.disks[DISK].active_sas
    assert store.blobs == {}


def test_an_interrupted_copy_is_aborted_deleted_and_revoked_without_waiting():
    compute, store = ScriptedCompute(), MemoryStore(copy_outcome="pending")
    ctx = _ctx(compute, FakeClock(interrupt_after=1), store)

    with pytest.raises(Interrupted) as failure:
        export_managed_disk(ctx, DISK)

    name = export_blob_name(_spec(), INSTANCE)
    assert f"abort {name}" in store.calls and f"delete {name}" in store.calls and store.blobs == {}
    assert compute.calls == ["grant 1560", "revoke (not waited for)"]
    message = str(failure.value)
    assert "the blob copy was aborted and the partial VHD deleted" in message
    assert "revoke-access on the OS disk was requested" in message and "Nothing is left to clean by hand" in message
    assert "sig=" not in message


def test_an_interrupt_whose_revoke_fails_says_how_to_revoke():
    compute, store = ScriptedCompute(), MemoryStore(copy_outcome="pending")
    compute.fail["revoke (not waited for)"] = RuntimeError("ARM unreachable")

    with pytest.raises(Interrupted) as failure:
        export_managed_disk(_ctx(compute, FakeClock(interrupt_after=1), store), DISK)

    assert "az disk revoke-access" in str(failure.value) and "next `pulumi up` or `pulumi destroy`" in str(
        failure.value
    )


def test_a_grant_left_by_a_run_killed_before_its_copy_is_revoked_before_a_new_grant():
    compute, store = ScriptedCompute(disks={DISK: DiskFacts(True, 30)}), MemoryStore()

    export_managed_disk(_ctx(compute, FakeClock(), store), DISK)

    assert compute.calls == ["revoke", "grant 1560", "revoke"]


# --- the classic capture and leftovers ------------------------------------------------------------------------------


def test_a_capture_an_earlier_run_left_running_is_waited_for_and_adopted_not_repeated():
    compute, store, clock = ScriptedCompute(capture_conflicts=1, busy_polls=1), MemoryStore(), FakeClock()
    spec = _spec(os_disk_mode="unmanaged", export_vhd=False)
    name = f"{captured_blob_prefix(spec, INSTANCE)}guid-of-the-first-run.vhd"

    def first_run_finishes() -> None:  # Azure finishes the killed run's capture while this run waits
        store.blobs[("system", name)] = BlobState(store.url("system", name), None)

    compute.on_capture_conflict = first_run_finishes
    uri = capture_unmanaged(_ctx(compute, clock, store, os_disk_mode="unmanaged", export_vhd=False))

    assert compute.calls == ["capture", "instance_state", "instance_state"] and clock.sleeps == [15]
    assert uri.endswith(name)
    assert store.blobs[("system", name)].metadata == ownership(VM, INSTANCE, "1.0.0")


def test_leftovers_of_another_version_are_removed_and_their_disk_revoked():
    other_disk = f"{SUB}/disks/old-builder-osdisk"
    compute = ScriptedCompute(disks={DISK: DiskFacts(False, 30), other_disk: DiskFacts(True, 30)})
    stamp = {**ownership(f"{SUB}/virtualMachines/old", "9", "0.9.0"), SOURCE_DISK_KEY: other_disk}
    store = MemoryStore()
    store.blobs[("images", "old.vhd")] = BlobState("u1", "pending", "copy-9", None, stamp)
    store.blobs[("images", "done.vhd")] = BlobState("u2", "success", "copy-8", None, stamp)
    store.blobs[("images", "someone-elses.vhd")] = BlobState("u3", "failed", None, None, {})

    done = clean_leftovers(compute, store, "images")

    assert set(store.blobs) == {("images", "done.vhd"), ("images", "someone-elses.vhd")}
    assert store.calls == ["abort old.vhd", "delete old.vhd"] and compute.calls == ["revoke"]
    assert len(done) == 2 and not compute.disks[other_disk].active_sas


def test_leftovers_skip_an_unmanaged_os_disk_which_has_no_sas():
    compute = ScriptedCompute()

    done = clean_leftovers(compute, MemoryStore(), "images", disks=["https://acct.blob.core.windows.net/vhds/os.vhd"])

    assert done == [] and compute.calls == []
