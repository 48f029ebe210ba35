"""The builder's finish script (deprovision + power-off) run in a sandbox: DESTDIR for every path, stand-ins for
cloud-init, curl (the instance metadata service), waagent and systemctl on PATH, and the serial console a file."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from components.cloud_init import _FINISH_SCRIPT, DEPROVISION_LOG, SETUP_LOG, SETUP_OK_MARKER, WORK_DIR
from components.common.console import failure_in, shows_proof
from tests.image.tools import require_tool

VM_ID = "0F47B100-583C-48E3-A4C0-AEFC2C9BBCC1"  # IMDS may answer in upper case; the proof is lower case


class Guest:
    def __init__(self, root: Path, setup_ok: bool = True, waagent_exit: int = 0, imds: str = VM_ID) -> None:
        self.root, self.bin = root / "guest", root / "bin"
        self.calls = root / "calls.log"
        for path in (self.root / "dev", self.root / WORK_DIR.lstrip("/"), self.root / "var/log", self.bin):
            path.mkdir(parents=True, exist_ok=True)
        (self.root / "dev/console").write_text("")
        (self.root / SETUP_LOG.lstrip("/")).write_text("apt-get install ... done\n")
        if setup_ok:
            (self.root / SETUP_OK_MARKER.lstrip("/")).write_text("")
        self._stub("cloud-init", "exit 0")
        self._stub("curl", f"printf '%s' '{imds}'")
        self._stub("waagent", f"echo 'WARNING! The waagent service will be stopped.'; exit {waagent_exit}")
        self._stub("systemctl", "exit 0")
        self._stub("sync", "exit 0")
        self.script = root / "finish.sh"
        self.script.write_text(_FINISH_SCRIPT)

    def _stub(self, name: str, body: str) -> None:
        path = self.bin / name
        path.write_text(f'#!/bin/sh\necho "{name} $*" >> "{self.calls}"\n{body}\n')
        path.chmod(path.stat().st_mode | stat.S_IEXEC)

    def run(self) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DESTDIR": str(self.root), "PATH": f"{self.bin}:{os.environ['PATH']}"}
        return subprocess.run(["sh", str(self.script)], env=env, capture_output=True, text=True, timeout=30)

    def ran(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []

    def console(self) -> str:
        return (self.root / "dev/console").read_text()


def test_a_successful_deprovision_prints_the_proof_then_powers_off(tmp_path: Path) -> None:
    guest = Guest(tmp_path)

    result = guest.run()

    assert result.returncode == 0, result.stderr
    assert shows_proof(guest.console(), "Linux", VM_ID) and failure_in(guest.console()) is None
    ran = guest.ran()
    assert ran.index("waagent -force -deprovision+user") < ran.index("systemctl poweroff")
    assert not (guest.root / WORK_DIR.lstrip("/")).exists() and not (guest.root / SETUP_LOG.lstrip("/")).exists()
    assert not (guest.root / DEPROVISION_LOG.lstrip("/")).exists()


def test_a_failed_waagent_leaves_the_vm_running_with_its_output_on_the_console(tmp_path: Path) -> None:
    guest = Guest(tmp_path, waagent_exit=1)

    result = guest.run()

    assert result.returncode == 1
    assert "systemctl poweroff" not in guest.ran()
    assert failure_in(guest.console()) == (
        "batch-image: deprovision FAILED; last lines of /var/log/batch-image-deprovision.log:"
    )
    assert "The waagent service will be stopped" in guest.console()
    assert not shows_proof(guest.console(), "Linux", VM_ID)


@pytest.mark.parametrize(
    ("guest_kwargs", "failure"),
    [({"setup_ok": False}, "batch-image: setup FAILED"), ({"imds": ""}, "batch-image: deprovision FAILED")],
)
def test_no_deprovision_without_a_successful_setup_and_a_vm_id(tmp_path: Path, guest_kwargs: dict, failure: str):
    guest = Guest(tmp_path, **guest_kwargs)

    result = guest.run()

    assert result.returncode == 1
    assert not any(call.startswith(("waagent", "systemctl")) for call in guest.ran())
    assert (failure_in(guest.console()) or "").startswith(failure)
    assert "apt-get install ... done" in guest.console()  # the setup log's tail, for boot diagnostics


def test_the_finish_script_passes_shellcheck(tmp_path: Path) -> None:
    script = tmp_path / "finish.sh"
    script.write_text(_FINISH_SCRIPT)

    result = subprocess.run(
        [require_tool("shellcheck"), "--shell=sh", str(script)], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stdout
