"""The capture step's clock: its waits end when the Pulumi engine stops the provider.

How the provider notices the engine's SIGINT (an exit hook of the threading module) is in
components/common/stopping.py, shared with the pool drain. Every wait of the capture step (the guest, ARM long-running
operations, the blob copy) looks at that mark at least every `CHECK_SECONDS` and raises `Interrupted`; the step's
cleanup (abort the copy, request revoke-access) then fits well inside the engine's 5-second grace.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

from components.capture.errors import CaptureError
from components.common.stopping import CHECK_SECONDS, engine_cancelled, sleep_unless_stopped, utc_iso

__all__ = ["CHECK_SECONDS", "Clock", "Interrupted", "SystemClock", "engine_cancelled", "utc_iso"]


class Interrupted(CaptureError):
    """The engine stopped the provider: the step cleaned up what it could and says what, if anything, is left."""


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def now(self) -> datetime: ...
    def sleep(self, seconds: float) -> None: ...  # raises Interrupted when the engine stops the provider
    def cancelled(self) -> bool: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def cancelled(self) -> bool:
        return engine_cancelled()

    def sleep(self, seconds: float) -> None:
        sleep_unless_stopped(seconds, self.cancelled, _interrupted)


def _interrupted() -> Interrupted:
    return Interrupted("the Pulumi engine stopped the provider (Ctrl-C or a cancelled update)")
