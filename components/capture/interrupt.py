"""How the capture step notices that the Pulumi engine is stopping it, and the clock whose waits end when it does.

The Pulumi CLI stops a provider plugin by sending SIGINT, waiting 5 seconds, then SIGKILL; the engine's Cancel RPC is
a no-op in the Python dynamic-provider server. That server (`python -m pulumi.dynamic`) sees SIGINT as a
KeyboardInterrupt in its main thread, stops its gRPC server and lets the interpreter exit, which first runs the
threading module's exit hooks and then joins the worker thread running this provider's method. A worker thread cannot
install a signal handler, so the capture step registers one of those exit hooks: it marks the process as stopping.
Every wait of the capture step (the guest, ARM long-running operations, the blob copy) looks at that mark at least every
`CHECK_SECONDS` and raises `Interrupted`; the step's cleanup (abort the copy, request revoke-access) then fits well
inside the 5-second grace. `threading._register_atexit` is the hook concurrent.futures itself relies on for the same
purpose; tests/capture/test_interrupts.py drives the real server with SIGINT, so a Python that changes it fails there.
"""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import UTC, datetime
from typing import Protocol

from components.capture.errors import CaptureError

CHECK_SECONDS = 0.2

_stopping = threading.Event()


def _mark_stopping() -> None:
    _stopping.set()


with contextlib.suppress(AttributeError, RuntimeError):  # another Python, or the process is already exiting
    threading._register_atexit(_mark_stopping)  # type: ignore[attr-defined]


def engine_cancelled() -> bool:
    """True once the provider process has begun to exit (the engine's SIGINT)."""
    return _stopping.is_set() or not threading.main_thread().is_alive()


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
        deadline = time.monotonic() + seconds
        while True:
            if self.cancelled():
                raise Interrupted("the Pulumi engine stopped the provider (Ctrl-C or a cancelled update)")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(CHECK_SECONDS, remaining))


def utc_iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
