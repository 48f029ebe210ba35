"""How a dynamic provider notices that the Pulumi engine is stopping it (shared by the capture and the pool drain).

The Pulumi CLI stops a provider plugin by sending SIGINT, waiting 5 seconds, then SIGKILL; the engine's Cancel RPC is
a no-op in the Python dynamic-provider server. That server (`python -m pulumi.dynamic`) sees SIGINT as a
KeyboardInterrupt in its main thread, stops its gRPC server and lets the interpreter exit, which first runs the
threading module's exit hooks and then joins the worker thread running the provider's method. A worker thread cannot
install a signal handler, so this module registers one of those exit hooks: it marks the process as stopping.
Every wait of a provider looks at that mark at least every `CHECK_SECONDS` and gives up, leaving its cleanup well
inside the 5-second grace. `threading._register_atexit` is the hook concurrent.futures itself relies on for the same
purpose; tests/capture/test_engine_operations.py and tests/pool_drain/test_drain_engine.py drive the real server
with SIGINT, so a Python that changes it fails there.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

CHECK_SECONDS = 0.2

_stopping = threading.Event()


def _mark_stopping() -> None:
    _stopping.set()


with contextlib.suppress(AttributeError, RuntimeError):  # another Python, or the process is already exiting
    threading._register_atexit(_mark_stopping)  # type: ignore[attr-defined]


def engine_cancelled() -> bool:
    """True once the provider process has begun to exit (the engine's SIGINT)."""
    return _stopping.is_set() or not threading.main_thread().is_alive()


def sleep_unless_stopped(seconds: float, stopped: Callable[[], bool], interrupted: Callable[[], Exception]) -> None:
    """Sleep `seconds`, looking at `stopped` every CHECK_SECONDS; raise `interrupted()` as soon as it holds."""
    deadline = time.monotonic() + seconds
    while True:
        if stopped():
            raise interrupted()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        time.sleep(min(CHECK_SECONDS, remaining))


class Clock(Protocol):
    """What a provider's waits need of time (injected, so tests run them without waiting)."""

    def monotonic(self) -> float: ...
    def now(self) -> datetime: ...
    def sleep(self, seconds: float) -> None: ...  # raises the provider's interruption when the engine stops it
    def cancelled(self) -> bool: ...


class SystemClock:
    """The real clock: `sleep` ends with `interrupted()` within CHECK_SECONDS of the engine's SIGINT."""

    def __init__(self, interrupted: Callable[[], Exception]) -> None:
        self._interrupted = interrupted

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def cancelled(self) -> bool:
        return engine_cancelled()

    def sleep(self, seconds: float) -> None:
        sleep_unless_stopped(seconds, self.cancelled, self._interrupted)


def utc_iso(when: datetime) -> str:
    """`2026-12-01T12:00:00Z`: how the providers write a moment (logs, blob and pool metadata)."""
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
