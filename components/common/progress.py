"""Progress a dynamic provider shows in `pulumi up` while it works: status on the resource's own row, one final line.

The engine shows a native provider's status beside its resource when the provider calls the engine's `Log` RPC with
`ephemeral` set and the resource's URN (pkg/host/host_server.go `Log`: ephemeral -> `host.LogStatus`, else
`host.Log`). The Python dynamic-provider server never connects to the engine (pulumi/pulumi#6065), but the CLI gives
every resource plugin the engine's address: `NewProvider` (sdk/go/common/resource/plugin/provider_plugin.go) starts it
with `newPlugin(..., []string{host.ServerAddr()}, ...)`, and `ExecPlugin`/`buildPluginArguments` (plugin.go) put the
optional `--logtostderr`, `-v=N` and `--tracing <endpoint>` first and that address last. The plugin script
(sdk/python/dist/pulumi-resource-pulumi-python) passes them on to `python -u -m pulumi.dynamic $@`, which ignores
them: here `engine_address()` reads them back from `sys.argv`.

The provider object is pickled into the state, so nothing here lives on it: the gRPC channel is built lazily, once
per provider process, the first time a line is sent. A resource knows its URN from an input the program computes
(`URN_KEY`, see components/capture/resource.py) and its diff ignores; a record written before that input existed has
none, and its lines go to stderr, which the engine's log keeps.

Reporting never fails the provider: without an engine address (tests, a provider started by hand), without a URN,
or when an RPC fails, the same line goes to stderr. Each RPC has a short deadline, and after a failure the engine is
not tried again for `RETRY_AFTER_SECONDS`, so a dead engine cannot stall a capture. Once the engine is stopping the
provider (its SIGINT, components/common/stopping.py) lines go straight to stderr: the 5-second grace is the cleanup's.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO, cast

from components.common.stopping import engine_cancelled

# The input a resource's own URN travels in (computed by the program; diff ignores it; echoed into the outputs so
# that `delete`, which gets the recorded outputs, has it too).
URN_KEY = "progress_urn"
# BCI_PROGRESS_SECONDS: the longest gap between two status lines (default 30); status lines within one phase are
# sent at most every sixth of it (a poll loop faster than that is not echoed at every poll).
HEARTBEAT_SECONDS = 30.0
RPC_DEADLINE_SECONDS = 1.0
RETRY_AFTER_SECONDS = 60.0

# engine.proto LogSeverity (the engine refuses any other value; DEBUG and ERROR are not used here)
INFO, WARNING = 1, 2


def engine_address(argv: Sequence[str] | None = None) -> str | None:
    """The engine's address the CLI passed as the plugin's last argument, after its optional flags."""
    args = list(sys.argv[1:] if argv is None else argv)
    positional: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--tracing":
            skip = True
        elif not arg.startswith("-"):
            positional.append(arg)
    return positional[-1] if positional else None


def heartbeat_seconds(env: dict[str, str] | os._Environ[str] | None = None) -> float:
    raw = (os.environ if env is None else env).get("BCI_PROGRESS_SECONDS", "").strip()
    try:
        value = float(raw) if raw else HEARTBEAT_SECONDS
    except ValueError:
        return HEARTBEAT_SECONDS
    return value if value > 0 else HEARTBEAT_SECONDS


class Engine:
    """The engine's `Log` RPC at one address; `send` answers False when the line did not reach it."""

    shows = True

    def __init__(self, address: str | None) -> None:
        self._address = address
        self._stub: Any = None
        self._lock = threading.Lock()
        self._retry_at = 0.0

    def send(self, severity: int, message: str, urn: str, ephemeral: bool) -> bool:
        if not self._address or not urn or time.monotonic() < self._retry_at or engine_cancelled():
            return False
        try:
            from pulumi.runtime.proto import engine_pb2

            with self._lock:
                stub = self._stub or self._connect()
            stub.Log(
                engine_pb2.LogRequest(severity=cast(Any, severity), message=message, urn=urn, ephemeral=ephemeral),
                timeout=RPC_DEADLINE_SECONDS,
            )
        except Exception:  # a dead or slow engine, a bad address: the line goes to stderr instead
            self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
            return False
        return True

    def _connect(self) -> Any:
        import grpc
        from pulumi.runtime.proto import engine_pb2_grpc

        self._stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(str(self._address)))
        return self._stub


_engine: Engine | None = None
_engine_lock = threading.Lock()


def process_engine() -> Engine:
    """The one engine connection of this provider process (built on first use, never pickled)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Engine(engine_address())
        return _engine


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Progress:
    """What one operation of one resource is doing: `phase` at each phase change, `status` inside a wait, `final`.

    A heartbeat thread repeats the current phase (with its elapsed time) when nothing was sent for the heartbeat
    interval, so a long Azure call that polls on its own still shows the resource is alive.
    """

    def __init__(
        self,
        urn: Any,
        operation: str,
        engine: Engine | None = None,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: float | None = None,
    ) -> None:
        self.urn = urn if isinstance(urn, str) and urn.startswith("urn:pulumi:") else ""
        self.operation = operation
        self._engine = engine or process_engine()
        self._stream = stream
        self._clock = clock
        self._heartbeat = heartbeat_seconds() if heartbeat is None else heartbeat
        self._lock = threading.Lock()
        self._started = clock()
        self._phase = ""
        self._phase_started = self._started
        self._detail = ""
        self._last_sent = float("-inf")
        self._timings: list[tuple[str, float]] = []
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    # --- what the providers call ------------------------------------------------------------------------------------

    def phase(self, name: str, detail: str = "") -> None:
        """A new phase: always shown."""
        with self._lock:
            now = self._clock()
            self._close_phase(now)
            self._phase, self._phase_started, self._detail = name, now, detail
            line = self._line(now)
        self._emit(INFO, line, ephemeral=True)
        self._start_heartbeat()

    def status(self, detail: str) -> None:
        """Where the current phase is: shown at most every sixth of the heartbeat interval."""
        with self._lock:
            now = self._clock()
            self._detail = detail
            if now - self._last_sent < self._heartbeat / 6:
                return
            line = self._line(now)
        self._emit(INFO, line, ephemeral=True)

    def final(self, outcome: str, failed: bool = False) -> None:
        """The outcome with the total and each phase's time (non-ephemeral: it stays in the update's output)."""
        self._done.set()
        with self._lock:
            now = self._clock()
            self._close_phase(now)
            phases = ", ".join(f"{name} {_span(seconds)}" for name, seconds in self._timings)
            line = f"{self.operation} {outcome} in {_span(now - self._started)}" + (f" ({phases})" if phases else "")
        self._emit(WARNING if failed else INFO, line, ephemeral=False)

    def close(self) -> None:
        self._done.set()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- internals ----------------------------------------------------------------------------------------------

    def _close_phase(self, now: float) -> None:
        if self._phase:
            self._timings.append((self._phase, now - self._phase_started))
            self._phase = ""

    def _line(self, now: float) -> str:
        self._last_sent = now
        elapsed = f"{self._phase} ({_span(now - self._phase_started)})"
        return f"{elapsed}: {self._detail}" if self._detail else elapsed

    def _emit(self, severity: int, line: str, ephemeral: bool) -> None:
        if self._engine.send(severity, line, self.urn, ephemeral):
            return
        stream = self._stream or sys.stderr
        try:
            stream.write(f"[{self.urn or 'progress'}] {line}\n")
            stream.flush()
        except Exception:  # a closed stderr must not fail the provider either
            pass

    def _start_heartbeat(self) -> None:
        if self._thread is None and self._engine.shows and not self._done.is_set():
            self._thread = threading.Thread(target=self._beat, name="progress-heartbeat", daemon=True)
            self._thread.start()

    def _beat(self) -> None:
        while not self._done.wait(self._heartbeat / 6):
            with self._lock:
                now = self._clock()
                if not self._phase or now - self._last_sent < self._heartbeat:
                    continue
                line = self._line(now)
            self._emit(INFO, line, ephemeral=True)


def urn_of(props: dict[str, Any]) -> str:
    return str(props.get(URN_KEY) or "")


def _first_line(err: BaseException) -> str:
    line = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return line if len(line) <= 200 else line[:197] + "..."


@contextmanager
def reporting(
    props: dict[str, Any], operation: str, interrupted: tuple[type[BaseException], ...] = ()
) -> Iterator[Progress]:
    """Progress of one provider operation on the resource whose props these are, ending in its final line:
    "finished", "interrupted" (one of `interrupted` raised) or "failed (<the error's first line>)"."""
    with Progress(urn_of(props), operation) as progress:
        try:
            yield progress
        except interrupted:
            progress.final("interrupted", failed=True)
            raise
        except Exception as err:
            progress.final(f"failed ({_first_line(err)})", failed=True)
            raise
        progress.final("finished")


class _Nowhere(Engine):
    shows = False

    def send(self, severity: int, message: str, urn: str, ephemeral: bool) -> bool:
        return True


def silent(operation: str = "") -> Progress:
    """A reporter that shows nothing (the default of contexts built outside an engine operation, e.g. unit tests)."""
    return Progress("", operation, engine=_Nowhere(None), heartbeat=HEARTBEAT_SECONDS)


def _size(size: float, decimals: int = 0) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2)):
        if size >= scale:
            return f"{size / scale:.{decimals}f} {unit}"
    return f"{size / 1024:.{decimals}f} KiB"


class CopyRate:
    """'41 % of 30 GiB, 2.1 GiB/min, about 9 min left' from a blob's x-ms-copy-progress ('<bytes copied>/<total>'),
    the rate measured from the first reading (a resumed copy's earlier bytes are not counted as this run's)."""

    def __init__(self) -> None:
        self._first: tuple[int, float] | None = None

    def line(self, progress: str | None, now: float) -> str:
        try:
            done, total = (int(part) for part in str(progress or "").split("/", 1))
        except ValueError:
            return "copying"
        if total <= 0:
            return "copying"
        line = f"{100 * done // total} % of {_size(total)}"
        if self._first is None:
            self._first = (done, now)
        copied, minutes = done - self._first[0], (now - self._first[1]) / 60
        if copied > 0 and minutes > 0:
            rate = copied / minutes
            line += f", {_size(rate, 1)}/min, about {_span((total - done) / rate * 60)} left"
        return line
