"""The capture step's clock: its waits end when the Pulumi engine stops the provider.

How the provider notices the engine's SIGINT (an exit hook of the threading module) is in
components/common/stopping.py, shared with the pool drain. Every wait of the capture step (the guest, ARM long-running
operations, the blob copy) looks at that mark at least every `CHECK_SECONDS` and raises `Interrupted`; the step's
cleanup (abort the copy, request revoke-access) then fits well inside the engine's 5-second grace.
"""

from __future__ import annotations

from components.capture.errors import CaptureError
from components.common.stopping import CHECK_SECONDS, Clock, engine_cancelled, utc_iso
from components.common.stopping import SystemClock as _SystemClock

__all__ = ["CHECK_SECONDS", "Clock", "Interrupted", "SystemClock", "engine_cancelled", "utc_iso"]


class Interrupted(CaptureError):
    """The engine stopped the provider: the step cleaned up what it could and says what, if anything, is left."""


class SystemClock(_SystemClock):
    """The shared clock (components/common/stopping.py), interrupted with the capture's `Interrupted`."""

    def __init__(self) -> None:
        super().__init__(_interrupted)


def _interrupted() -> Interrupted:
    return Interrupted("the Pulumi engine stopped the provider (Ctrl-C or a cancelled update)")
