"""What every capture step shares: the step context (the spec, the injected Azure calls, the clock, the trail and the
progress), the fixed-rate poller, and `run_step`, which names the step in any failure and in `pulumi up`'s progress.

The sequence (steps.py) and the managed-disk export (export.py) both build on this module, which imports neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from components.capture.compute import ComputeCalls, VmFacts
from components.capture.errors import CaptureError, redact
from components.capture.interrupt import Clock, Interrupted, SystemClock, utc_iso
from components.capture.spec import CaptureSpec
from components.capture.vhd_store import VhdStore
from components.common.progress import Progress, silent

T = TypeVar("T")


@dataclass
class StepContext:
    spec: CaptureSpec
    compute: ComputeCalls
    vhds: VhdStore | None
    poll_seconds: float
    operation_timeout_seconds: float  # deadline of the VHD copy and of waits on operations an earlier run started
    clock: Clock = field(default_factory=SystemClock)
    trail: list[str] = field(default_factory=list)
    vm: VmFacts | None = None  # what inspect_vm found
    progress: Progress = field(default_factory=silent)  # what `pulumi up` shows beside the resource

    def note(self, line: str) -> None:
        self.trail.append(line)

    def store(self) -> VhdStore:
        if self.vhds is None:
            raise CaptureError("no blob endpoint is configured for the VHD")
        return self.vhds

    def builder(self) -> VmFacts:
        if self.vm is None:
            raise CaptureError("the builder VM was not inspected")  # a programming error, never a user's
        return self.vm


class Ticks:
    """Polls at a fixed rate (start + k * interval): the time each request takes does not push the next one later."""

    def __init__(self, clock: Clock, interval: float) -> None:
        self._clock, self._interval = clock, interval
        self._next = clock.monotonic()

    def sleep(self, at_most: float | None = None) -> None:
        self._next += self._interval
        wait = max(0.0, self._next - self._clock.monotonic())
        self._clock.sleep(wait if at_most is None else min(wait, at_most))


def utc_now(ctx: StepContext) -> str:
    return utc_iso(ctx.clock.now())


# What `pulumi up` shows beside the resource while each step runs (components/common/progress.py).
STEP_PHASES = {
    "inspect_vm": ("inspect", "reading the builder VM"),
    "clean_leftovers": ("clean-up", "removing what interrupted runs left"),
    "wait_for_guest_power_off": ("guest", "waiting for the setup to finish and the guest to power off"),
    "prove_deprovisioned": ("proof", "reading the guest's deprovisioning proof"),
    "generalize": ("generalize", "Azure marks the VM generalized"),
    "deallocate": ("deallocate", "Azure releases the VM's compute"),
    "capture_unmanaged": ("capture", "Azure copies the OS disk into a VHD"),
    "export_managed_disk": ("export", "copying the OS disk into a VHD"),
    "delete": ("delete", "revoking the disk's access and deleting the capture's VHD unless it is retained"),
    "clean_up_after_builder": ("clean-up", "revoking the disk's access and removing partial VHDs"),
}


def run_step(name: str, action: Callable[[], T], progress: Progress | None = None) -> T:
    """Run one step; any failure becomes a CaptureError naming the step, with SAS tokens redacted."""
    if progress is not None:
        progress.phase(*STEP_PHASES.get(name, (name, "")))
    try:
        return action()
    except Interrupted as err:
        raise Interrupted(f"interrupted in capture step {name!r}: {err}") from None
    except CaptureError as err:
        raise CaptureError(f"capture step {name!r} failed: {err}") from None
    except Exception as err:
        raise CaptureError(f"capture step {name!r} failed: {type(err).__name__}: {redact(str(err))}") from None


def rebuild_hint(spec: CaptureSpec) -> str:
    """The exact command that gives the capture a fresh builder VM (the capture follows the VM's replacement)."""
    target = f"'{spec.vm_urn}'" if spec.vm_urn else "<the builder VM's URN (pulumi stack --show-urns)>"
    return f"rebuild the builder VM with `pulumi up --replace {target}`"
