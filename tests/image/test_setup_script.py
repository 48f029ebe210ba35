"""image/setup.sh: lint-clean, and what it leaves on the builder (run against a scratch root with stub tools)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from components.common.image_version import is_image_version
from tests.image.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = ROOT / "image" / "setup.sh"
# Real tools the script uses besides the package manager; everything else on PATH is a recording stub.
REAL_TOOLS = ("bash", "cat", "chmod", "install", "rm", "sha256sum", "mkdir")
# Commands the script must never run itself: cloud-init deprovisions and powers off after it.
FORBIDDEN = ("waagent", "poweroff", "shutdown", "systemctl", "reboot", "halt")


def test_setup_script_is_shellcheck_clean() -> None:
    shellcheck = require_tool("shellcheck")
    result = subprocess.run([shellcheck, "--shell=bash", str(SETUP_SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, f"shellcheck findings:\n{result.stdout}{result.stderr}"


def test_setup_script_is_executable_bash_with_strict_mode() -> None:
    text = SETUP_SCRIPT.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
    assert os.access(SETUP_SCRIPT, os.X_OK), "cloud-init runs the script directly, so it must be executable"


class Sandbox:
    """A scratch DESTDIR plus a PATH holding only real coreutils and recording stubs."""

    def __init__(self, tmp: Path, package_manager: str) -> None:
        self.destdir = tmp / "root"
        self.bin = tmp / "bin"
        self.calls = tmp / "calls.log"
        self.destdir.mkdir()
        self.bin.mkdir()
        for tool in REAL_TOOLS:
            real = shutil.which(tool)
            assert real, tool
            (self.bin / tool).symlink_to(real)
        for stub in (package_manager, *FORBIDDEN):
            self._stub(stub)
        # Leftovers the cleanup step must remove.
        (self.destdir / "var/lib/apt/lists").mkdir(parents=True)
        (self.destdir / "var/lib/apt/lists/archive.ubuntu.com_dists_noble_InRelease").write_text("x")
        (self.destdir / "root").mkdir()
        (self.destdir / "root/.bash_history").write_text("az login --password hunter2\n")

    def _stub(self, name: str) -> None:
        path = self.bin / name
        path.write_text(f'#!{shutil.which("bash")}\nprintf "%s\\n" "{name} $*" >>"{self.calls}"\n')
        path.chmod(0o755)

    def run(self, version: str | None) -> subprocess.CompletedProcess[str]:
        env = {"PATH": str(self.bin), "DESTDIR": str(self.destdir), "HOME": str(self.destdir / "root")}
        if version is not None:
            env["BATCH_IMAGE_VERSION"] = version
        return subprocess.run([str(self.bin / "bash"), str(SETUP_SCRIPT)], env=env, capture_output=True, text=True)

    def recorded_calls(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []


@pytest.fixture
def apt_sandbox(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path, "apt-get")


def test_writes_marker_with_the_image_version(apt_sandbox: Sandbox) -> None:
    result = apt_sandbox.run("1.4.2")
    assert result.returncode == 0, result.stderr
    marker = apt_sandbox.destdir / "opt/batch-image/VERSION"
    assert marker.read_text() == "1.4.2\n"
    assert marker.stat().st_mode & 0o777 == 0o644, "task users (non-admin) must be able to read the marker"


def test_installs_toolchain_and_cleans_apt_caches(apt_sandbox: Sandbox) -> None:
    assert apt_sandbox.run("1.0.0").returncode == 0
    calls = apt_sandbox.recorded_calls()
    update = next(c for c in calls if c.startswith("apt-get") and " update" in c)
    install = next(c for c in calls if c.startswith("apt-get") and " install " in c)
    for package in ("python3", "jq"):
        assert package in install.split()
    # waits for the dpkg lock that unattended-upgrades holds on first boot instead of failing
    assert "DPkg::Lock::Timeout=600" in update and "DPkg::Lock::Timeout=600" in install
    assert calls.index(update) < calls.index(install) < calls.index("apt-get clean")
    assert list((apt_sandbox.destdir / "var/lib/apt/lists").iterdir()) == []
    assert not (apt_sandbox.destdir / "root/.bash_history").exists()


def test_reference_data_matches_its_checksum_manifest(apt_sandbox: Sandbox) -> None:
    assert apt_sandbox.run("1.0.0").returncode == 0
    data = apt_sandbox.destdir / "opt/batch-image/data"
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=data, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "regions.csv: OK" in check.stdout
    assert (data / "regions.csv").read_text().startswith("region,display_name,geography\n")


def test_never_deprovisions_or_powers_off_itself(apt_sandbox: Sandbox) -> None:
    assert apt_sandbox.run("1.0.0").returncode == 0
    ran = {call.split()[0] for call in apt_sandbox.recorded_calls()}
    assert ran.isdisjoint(FORBIDDEN), f"setup.sh ran {sorted(ran & set(FORBIDDEN))}; cloud-init does that after it"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (None, "BATCH_IMAGE_VERSION is not set"),
        ("", "BATCH_IMAGE_VERSION is not set"),
        ("latest", "BATCH_IMAGE_VERSION='latest' is not a gallery image version; expected MAJOR.MINOR.PATCH"),
    ],
)
def test_missing_or_malformed_version_fails_before_touching_the_guest(
    apt_sandbox: Sandbox, version: str | None, expected: str
) -> None:
    result = apt_sandbox.run(version)
    assert result.returncode == 78
    assert expected in result.stderr
    assert apt_sandbox.recorded_calls() == []
    assert not (apt_sandbox.destdir / "opt/batch-image").exists()


def test_el9_builder_uses_dnf(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path, "dnf")
    result = sandbox.run("2.0.0")
    assert result.returncode == 0, result.stderr
    calls = sandbox.recorded_calls()
    assert any(c.startswith("dnf install -y -q ") and " jq" in c for c in calls)
    assert "dnf clean all" in calls
    assert (sandbox.destdir / "opt/batch-image/VERSION").read_text() == "2.0.0\n"


def test_no_package_manager_is_a_clear_error(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path, "zypper")
    result = sandbox.run("1.0.0")
    assert result.returncode == 69
    assert "neither apt-get nor dnf found" in result.stderr


@pytest.mark.parametrize(
    "version",
    ["1.0.0", "0.0.0", "10.20.30", "999999999.0.1", "01.0.0", "1.0", "1.0.0-beta", "1234567890.0.0", " 1.0.0"],
)
def test_the_scripts_version_rule_agrees_with_the_programs(apt_sandbox: Sandbox, version: str) -> None:
    """setup.sh keeps a shell copy of components/common/image_version.py's rule: both accept exactly the same."""
    result = apt_sandbox.run(version)
    script_accepts = result.returncode != 78
    assert script_accepts == is_image_version(version), result.stderr
