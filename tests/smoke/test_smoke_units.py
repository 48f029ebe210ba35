"""The smoke tool's small decisions, checked directly: SKU end of life, job ids, progress display, loopback checks."""

from __future__ import annotations

import io
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from azure.batch.models import BatchSupportedImage

from components.common.loopback import is_loopback_url as is_loopback
from tools.smoke.client import endpoint_url
from tools.smoke.errors import ExitCode, SmokeError
from tools.smoke.marker import EXIT_MARKER_MISMATCH, EXIT_MARKER_MISSING, job_id_for, marker_command
from tools.smoke.sku import sku_end_of_life
from tools.smoke.wait import PoolSnapshot, Progress, format_duration, render_bar

ROOT = Path(__file__).resolve().parents[2]


def image(sku: str, eol: str | None) -> BatchSupportedImage:
    body = {"nodeAgentSKUId": sku, "osType": "linux", "verificationType": "verified",
            "imageReference": {"publisher": "p", "offer": "o", "sku": "s"}}  # fmt: skip
    if eol:
        body["batchSupportEndOfLife"] = eol
    return BatchSupportedImage(body)


def test_sku_end_of_life_is_the_latest_of_its_images_and_none_wins() -> None:
    result = sku_end_of_life(
        [
            image("a", "2026-01-01T00:00:00Z"),
            image("a", "2027-06-30T00:00:00Z"),
            image("b", "2026-01-01T00:00:00Z"),
            image("b", None),
        ]
    )
    assert result["a"] == datetime(2027, 6, 30, tzinfo=UTC)
    assert result["b"] is None


def test_job_ids_fit_batch_limits_even_for_long_pool_ids() -> None:
    job_id = job_id_for("p" * 64, datetime(2026, 11, 26, 8, 30, tzinfo=UTC))
    assert len(job_id) == 64
    assert job_id.startswith("smoke-ppp") and job_id.endswith("-20261126T083000Z")


@pytest.mark.parametrize(
    ("marker", "expected", "exit_code", "stdout"),
    [
        ("1.0.0\n", "1.0.0", 0, "image marker: 1.0.0\nexpected: 1.0.0\n"),
        ("0.9.0\n", "1.0.0", EXIT_MARKER_MISMATCH, "image marker: 0.9.0\nexpected: 1.0.0\n"),
        (None, "1.0.0", EXIT_MARKER_MISSING, ""),
    ],
)
def test_marker_command_in_a_real_shell(
    tmp_path: Path, marker: str | None, expected: str, exit_code: int, stdout: str
) -> None:
    path = tmp_path / "VERSION"
    if marker is not None:
        path.write_text(marker)
    argv = ["/bin/sh", "-c", marker_command(str(path)).removeprefix("/bin/sh -c ").strip("'")]
    done = subprocess.run(argv, env={"EXPECTED_IMAGE_VERSION": expected}, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (exit_code, stdout)


def test_progress_in_a_terminal_redraws_one_line() -> None:
    stream = io.StringIO()
    progress = Progress(stream, interactive=True)
    snapshot = PoolSnapshot("render", "resizing", 2, Counter({"starting": 2}))
    progress.update([snapshot], 5, 60)
    progress.update([snapshot], 10, 60)
    progress.finish()
    text = stream.getvalue()
    assert text.count("\r\x1b[2K") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "] 5s/1m00s render" in text and "] 10s/1m00s render: resizing, 0/2 usable (2 starting)" in text


def test_progress_bar_and_durations() -> None:
    assert render_bar(0.5, width=10) == "[#####-----]"
    assert render_bar(2.0, width=4) == "[####]"
    assert [format_duration(s) for s in (0.2, 59, 61, 3725)] == ["0s", "59s", "1m01s", "1h02m05s"]


@pytest.mark.parametrize(
    ("url", "loopback"),
    [("https://127.0.0.1:8443", True), ("https://[::1]:8443", True), ("https://localhost", True),
     ("https://127.0.0.1.nip.io", False), ("https://mybatch.westeurope.batch.azure.com", False)],
)  # fmt: skip
def test_loopback_detection(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_endpoint_must_be_https() -> None:
    assert endpoint_url("mybatch.westeurope.batch.azure.com", None) == "https://mybatch.westeurope.batch.azure.com"
    with pytest.raises(SmokeError) as raised:
        endpoint_url("x", "http://127.0.0.1:8080")
    assert raised.value.code == ExitCode.BAD_INPUT
    assert "is not an https URL" in raised.value.message


def test_smoke_talks_to_batch_only_and_never_imports_the_capture_provider() -> None:
    code = "import sys, tools.smoke.cli; print(sorted(m for m in sys.modules if m.startswith('components.capture')))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
