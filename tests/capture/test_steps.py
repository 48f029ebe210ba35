"""The capture steps with injected cloud calls and a fake clock: deadlines without real waiting."""

from __future__ import annotations

import pytest

from components.capture.compute import InstanceState, VmFacts
from components.capture.errors import CaptureError
from components.capture.spec import CaptureSpec
from components.capture.steps import StepContext, deallocate, wait_for_guest_power_off

VM = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg"
    "/providers/Microsoft.Compute/virtualMachines/builder"
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedCompute:
    """Instance states in order (the last one repeats); records the calls that change things."""

    def __init__(self, *powers: str, boot_diagnostics: bool = False) -> None:
        self.powers = list(powers)
        self.calls: list[str] = []
        self.boot_diagnostics = boot_diagnostics

    def get_vm(self) -> VmFacts | None:
        return VmFacts(VM, "/d", None)

    def instance_state(self) -> InstanceState:
        self.calls.append("instance_state")
        power = self.powers.pop(0) if len(self.powers) > 1 else self.powers[0]
        return InstanceState(power, False, None)

    def deallocate(self) -> None:
        self.calls.append("deallocate")
        self.powers = ["deallocated"]

    def serial_log_sas_uri(self) -> str | None:
        self.calls.append("serial_log_sas_uri")
        return None


def _ctx(compute: ScriptedCompute, clock: FakeClock, timeout_minutes: float = 1) -> StepContext:
    spec = CaptureSpec(VM, "managed", "Linux", "1.0.0", False, "", "", "", "p", timeout_minutes, False)
    return StepContext(spec, compute, None, poll_seconds=15, copy_timeout_seconds=600, clock=clock)  # type: ignore[arg-type]


def test_the_guest_wait_polls_at_the_interval_until_power_off():
    compute, clock = ScriptedCompute("running", "running", "stopping", "stopped"), FakeClock()

    state = wait_for_guest_power_off(_ctx(compute, clock))

    assert state.power == "stopped" and clock.sleeps == [15, 15, 15]


def test_the_guest_wait_ends_at_the_deadline_and_says_boot_diagnostics_are_off():
    compute, clock = ScriptedCompute("running"), FakeClock()

    with pytest.raises(CaptureError) as failure:
        wait_for_guest_power_off(_ctx(compute, clock, timeout_minutes=1))

    assert clock.now == 60 and clock.sleeps == [15, 15, 15, 15]
    assert "did not power itself off within 1 minutes" in str(failure.value)
    assert "boot diagnostics are not enabled" in str(failure.value)
    assert "deallocate" not in compute.calls


def test_deallocate_waits_for_a_deallocation_in_progress_instead_of_starting_another():
    compute, clock = ScriptedCompute("deallocating", "deallocating", "deallocated"), FakeClock()

    state = deallocate(_ctx(compute, clock), compute.instance_state())

    assert state.power == "deallocated" and "deallocate" not in compute.calls and clock.sleeps == [15, 15]
