"""The progress kit (components/common/progress.py) against a fake engine: what reaches the resource's row in
`pulumi up`, what reaches stderr without an engine, and that a dead or slow engine never holds a provider up."""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Iterator

import pytest

from components.common.progress import RPC_DEADLINE_SECONDS, CopyRate, Engine, Progress, engine_address, reporting
from fakes.engine import FakeEngine

URN = "urn:pulumi:dev::batch-custom-image::pulumi-python:dynamic/capture:GeneralizedImage::capture"


@pytest.fixture
def engine() -> Iterator[FakeEngine]:
    fake = FakeEngine()
    yield fake
    fake.stop()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("argv", "address"),
    [
        (["127.0.0.1:5000"], "127.0.0.1:5000"),  # what `pulumi up` passes without flags
        (["--logtostderr", "-v=9", "--tracing", "http://127.0.0.1:9/trace", "127.0.0.1:5000"], "127.0.0.1:5000"),
        (["--tracing", "http://127.0.0.1:9/trace"], None),
        ([], None),  # a provider started by hand, or by the tests
    ],
)
def test_the_engine_address_is_the_plugins_last_argument_after_the_clis_flags(argv, address):
    assert engine_address(argv) == address


def test_phases_and_status_reach_the_resources_row_and_the_final_line_stays(engine):
    clock = Clock()
    progress = Progress(URN, "capture", engine=Engine(engine.address), clock=clock, heartbeat=30)

    progress.phase("guest", "waiting for the guest to power off")
    clock.now += 1
    progress.status("setup running")  # within 5 s of the last line: not sent
    clock.now += 5
    progress.status("setup running, deadline 14:05 UTC")
    clock.now += 125
    progress.phase("export", "copying")
    clock.now += 540
    progress.final("finished")
    progress.close()

    assert [(s.message, s.urn, s.severity) for s in engine.status()] == [
        ("guest (0 s): waiting for the guest to power off", URN, "info"),
        ("guest (6 s): setup running, deadline 14:05 UTC", URN, "info"),
        ("export (0 s): copying", URN, "info"),
    ]
    assert [(f.message, f.urn) for f in engine.finals()] == [
        ("capture finished in 11 min (guest 2 min, export 9 min)", URN)
    ]


def test_a_long_call_without_status_still_shows_the_phase_every_heartbeat(engine):
    progress = Progress(URN, "drain", engine=Engine(engine.address), heartbeat=0.3)
    progress.phase("delete", "waiting for Batch to delete the pool")
    time.sleep(1.0)
    progress.close()

    beats = engine.status(URN)
    assert len(beats) >= 3 and all(
        b.message.startswith("delete (") and b.message.endswith("): waiting for Batch to delete the pool")
        for b in beats
    )
    gaps = [b.at - a.at for a, b in itertools.pairwise(beats)]
    assert max(gaps) < 0.3 + 0.2


def test_without_an_engine_the_same_lines_go_to_stderr():
    err = io.StringIO()
    clock = Clock()
    progress = Progress(URN, "capture", engine=Engine(None), stream=err, clock=clock, heartbeat=30)
    progress.phase("guest", "waiting")
    clock.now += 60
    progress.final("failed (the guest reported a failure)", failed=True)

    assert err.getvalue().splitlines() == [
        f"[{URN}] guest (0 s): waiting",
        f"[{URN}] capture failed (the guest reported a failure) in 60 s (guest 60 s)",
    ]


def test_a_record_without_a_urn_reports_to_stderr_not_to_the_engine(engine):
    err = io.StringIO()
    progress = Progress(None, "delete", engine=Engine(engine.address), stream=err, heartbeat=30)
    progress.phase("delete", "removing the VHD")
    progress.final("finished")

    assert engine.lines == []
    assert "[progress] delete (0 s): removing the VHD" in err.getvalue() and "delete finished" in err.getvalue()


def test_a_dead_engine_costs_one_short_deadline_then_stderr(engine):
    address = engine.address
    engine.stop()
    err = io.StringIO()
    progress = Progress(URN, "capture", engine=Engine(address), stream=err, heartbeat=30)

    started = time.monotonic()
    for n in range(20):
        progress.phase(f"step{n}")
    elapsed = time.monotonic() - started

    assert elapsed < 5 * RPC_DEADLINE_SECONDS  # one RPC deadline (1 s) and some load, not one per line (20 s)
    assert len(err.getvalue().splitlines()) == 20


def test_a_failed_operation_ends_with_a_warning_naming_the_error(engine):
    engine_at = Engine(engine.address)

    class Stopped(Exception):
        pass

    with pytest.raises(RuntimeError), reporting({"progress_urn": URN}, "capture") as progress:
        progress._engine = engine_at
        progress.phase("guest")
        raise RuntimeError("capture step 'guest' failed: the guest reported 'setup failed'\nlast lines: ...")
    with pytest.raises(Stopped), reporting({"progress_urn": URN}, "drain", (Stopped,)) as progress:
        progress._engine = engine_at
        raise Stopped("Ctrl-C")

    finals = engine.finals(URN)
    assert [(f.severity, f.message.split(" in ")[0]) for f in finals] == [
        ("warning", "capture failed (capture step 'guest' failed: the guest reported 'setup failed')"),
        ("warning", "drain interrupted"),
    ]


def test_copy_progress_reads_like_the_issue_asks():
    rate = CopyRate()
    gib = 1024**3
    assert rate.line(f"{10 * gib}/{30 * gib}", now=0.0) == "33 % of 30 GiB"
    line = rate.line(f"{int(12.4 * gib)}/{30 * gib}", now=60.0)
    assert line == "41 % of 30 GiB, 2.4 GiB/min, about 7 min left"
    assert rate.line(None, now=61.0) == "copying"
