"""The builder's finish script (deprovision + power-off) run in a sandbox: DESTDIR for every path, stand-ins for
cloud-init, curl (the instance metadata service and Put Blob), waagent, systemctl and sleep on PATH, and the serial
console a file. The curl stand-in keeps each marker the script puts, with its headers, in a directory."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from components.cloud_init import _FINISH_SCRIPT, DEPROVISION_LOG, SETUP_LOG, SETUP_OK_MARKER, WORK_DIR
from components.common.console import FAILURE_LINES, proof_line
from components.common.os_type import OsType
from components.common.proof import Markers, fill_proof_target
from tests.image.tools import require_tool

VM_ID = "0F47B100-583C-48E3-A4C0-AEFC2C9BBCC1"  # IMDS may answer in upper case; the proof is lower case
PROOF_URL = "https://imgacct.blob.core.windows.net/build-proof/"
CLIENT_ID = "7417313c-9fc7-4b63-89ec-d8007752806b"
# curl as the guest uses it: IMDS answers the vmId and the identity token (for the builder's client id only), and
# Put Blob (BlockBlob, x-ms-version, bearer token) stores the body under <dir>/<vmId>/<phase>; PUT_FAILS fails it.
CURL = r"""#!/usr/bin/env python3
import json, os, pathlib, sys
args = sys.argv[1:]
url = args[-1]
headers = [args[i + 1] for i, a in enumerate(args) if a == "-H"]
if "metadata/instance/compute/vmId" in url:
    print(os.environ["IMDS_VM_ID"], end="")
elif "metadata/identity/oauth2/token" in url:
    if "resource=https%3A%2F%2Fstorage.azure.com%2F" not in url or "client_id=" + os.environ["CLIENT_ID"] not in url:
        sys.exit(22)
    print(json.dumps({"access_token": "eyJ0ok", "expires_in": "86399", "token_type": "Bearer"}))
elif "-X" in args and args[args.index("-X") + 1] == "PUT":
    if os.environ.get("PUT_FAILS") or not url.startswith(os.environ["PROOF_URL"]):
        sys.exit(22)
    assert {"x-ms-blob-type: BlockBlob", "Authorization: Bearer eyJ0ok"} <= set(headers), headers
    assert any(h.startswith("x-ms-version: ") for h in headers), headers
    body = pathlib.Path(args[args.index("--data-binary") + 1][1:]).read_text()
    target = pathlib.Path(os.environ["MARKERS"]) / url[len(os.environ["PROOF_URL"]):]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body)
else:
    sys.exit(2)
"""


def shows_proof(serial_log: str, os_type: OsType, vm_instance_id: str) -> bool:
    """The serial console (a diagnostic) carries the proof line too."""
    return any(line.strip().lower() == proof_line(os_type, vm_instance_id) for line in serial_log.splitlines())


def failure_in(serial_log: str) -> str | None:
    return next((line.strip() for line in serial_log.splitlines() if line.strip().startswith(FAILURE_LINES)), None)


class Guest:
    def __init__(
        self, root: Path, setup_ok: bool = True, waagent_exit: int = 0, imds: str = VM_ID, put_fails: bool = False
    ) -> None:
        self.root, self.bin = root / "guest", root / "bin"
        self.calls, self.markers = root / "calls.log", root / "markers"
        self.env = {"IMDS_VM_ID": imds, "CLIENT_ID": CLIENT_ID, "PROOF_URL": PROOF_URL, "MARKERS": str(self.markers)}
        if put_fails:
            self.env["PUT_FAILS"] = "1"
        for path in (self.root / "dev", self.root / WORK_DIR.lstrip("/"), self.root / "var/log", self.bin):
            path.mkdir(parents=True, exist_ok=True)
        (self.root / "dev/console").write_text("")
        (self.root / SETUP_LOG.lstrip("/")).write_text("apt-get install ... done\n")
        if setup_ok:
            (self.root / SETUP_OK_MARKER.lstrip("/")).write_text("")
        self._stub("cloud-init", "exit 0")
        # no token while the role is missing: answered by the shell wrapper, so the ten minutes of retries stay fast
        self._stub("curl", 'case "$*" in *oauth2/token*) [ -z "${PUT_FAILS:-}" ] || exit 22;; esac', CURL)
        self._stub("waagent", f"echo 'WARNING! The waagent service will be stopped.'; exit {waagent_exit}")
        self._stub("systemctl", "exit 0")
        self._stub("sync", "exit 0")
        self._stub("sleep", "exit 0")
        # the storage host's address, as DNS answers before waagent deletes /etc/resolv.conf
        self._stub("getent", 'echo "203.0.113.9     STREAM $3"')
        self.script = root / "finish.sh"
        self.script.write_text(fill_proof_target(_FINISH_SCRIPT, PROOF_URL, CLIENT_ID))

    def _stub(self, name: str, body: str, program: str = "") -> None:
        path = self.bin / name
        if program:  # a Python stand-in, behind a shell wrapper that logs the call
            (self.bin / f"{name}.py").write_text(program)
            body = f'{body}\nexec python3 "{self.bin}/{name}.py" "$@"'
        path.write_text(f'#!/bin/sh\necho "{name} $*" >> "{self.calls}"\n{body}\n')
        path.chmod(path.stat().st_mode | stat.S_IEXEC)

    def marker(self, phase: str) -> str | None:
        path = self.markers / VM_ID.lower() / phase
        return path.read_text() if path.exists() else None

    def judged(self) -> Markers:
        """The markers as the capture step judges them for this VM."""
        found = {p.name: p.read_text() for p in (self.markers / VM_ID.lower()).glob("*")}
        return Markers(found, VM_ID, "Linux")

    def run(self) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **self.env, "DESTDIR": str(self.root), "PATH": f"{self.bin}:{os.environ['PATH']}"}
        return subprocess.run(["sh", str(self.script)], env=env, capture_output=True, text=True, timeout=30)

    def ran(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []

    def console(self) -> str:
        return (self.root / "dev/console").read_text()


def test_a_successful_deprovision_prints_the_proof_then_powers_off(tmp_path: Path) -> None:
    guest = Guest(tmp_path)

    result = guest.run()

    assert result.returncode == 0, result.stderr
    judged = guest.judged()
    assert judged.proven() and judged.foreign() is None and judged.failure() is None
    assert shows_proof(guest.console(), "Linux", VM_ID) and failure_in(guest.console()) is None  # a diagnostic
    ran = guest.ran()
    puts = [i for i, call in enumerate(ran) if call.startswith("curl") and "-X PUT" in call]
    assert [ran[i].rsplit("/", 1)[-1] for i in puts] == ["setup-done", "generalized"]
    assert puts[0] < ran.index("waagent -force -deprovision+user") < puts[1] < ran.index("systemctl poweroff")
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
    judged = guest.judged()
    assert not judged.proven() and judged.foreign() is None
    failure = judged.failure() or ""
    assert "deprovision FAILED" in failure and "waagent service will be stopped" in failure


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
    if guest_kwargs.get("imds") != "":  # with a vmId, the failed marker carries the same tail
        assert "apt-get install ... done" in (guest.judged().failure() or "")
    assert guest.marker("generalized") is None


def test_a_guest_that_cannot_write_its_proof_does_not_deprovision(tmp_path: Path) -> None:
    guest = Guest(tmp_path, put_fails=True)

    result = guest.run()

    assert result.returncode == 1
    assert not any(call.startswith(("waagent", "systemctl")) for call in guest.ran())
    assert "no build-proof marker could be written to " + PROOF_URL in guest.console()
    assert sum(call.startswith("sleep") for call in guest.ran()) >= 39  # retried ~10 minutes for the role to arrive


def test_the_finish_script_passes_shellcheck(tmp_path: Path) -> None:
    script = tmp_path / "finish.sh"
    script.write_text(fill_proof_target(_FINISH_SCRIPT, PROOF_URL, CLIENT_ID))

    result = subprocess.run(
        [require_tool("shellcheck"), "--shell=sh", str(script)], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stdout


def test_the_last_marker_goes_to_the_address_looked_up_before_deprovisioning(tmp_path: Path) -> None:
    guest = Guest(tmp_path)

    assert guest.run().returncode == 0
    ran = guest.ran()
    lookup = ran.index("getent ahostsv4 imgacct.blob.core.windows.net")
    assert lookup < ran.index("waagent -force -deprovision+user")  # waagent deletes /etc/resolv.conf
    (last_put,) = [call for call in ran if "-X PUT" in call and call.endswith("/generalized")]
    assert "--resolve imgacct.blob.core.windows.net:443:203.0.113.9" in last_put
