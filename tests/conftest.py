"""Session-wide set-up of the test processes (pytest and its xdist workers)."""

from __future__ import annotations

import gc
import signal
import threading


def pytest_configure() -> None:
    """Let the provider processes the tests start receive the engine's SIGINT.

    A shell without job control starts a background command (`make test &`, a CI step run in the background) with
    SIGINT ignored, every child inherits that, and a Python started with SIGINT ignored keeps it ignored: each test that
    stops a provider as the engine does (SIGINT, 5 s, SIGKILL, fakes/provider_process.py) would then see it killed.
    Restoring Python's default handler here gives the children the default disposition again (exec resets handlers).
    """
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_finish() -> None:
    """Fewer garbage collections in the test processes: the program runs under mocks allocate hundreds of thousands
    of short-lived asyncio objects, and the default thresholds (700 allocations) spend a fifth of a run collecting
    (`make bench-plan` measures the same for the plan). What was imported and collected so far is frozen out of
    every later collection. Memory is no concern here; the providers the tests start keep Python's defaults."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
