"""The builder's cloud-config (setup + deprovision + power-off) with the real image/setup.sh: schema-valid for
cloud-init, and carrying what the design relies on (the schema lets unknown top-level keys through)."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.cloud_init import _FINISH_SCRIPT, FINISH_PATH, render_user_data
from components.common.proof import fill_proof_target
from components.settings import Builder
from tests.image.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = ROOT / "image" / "setup.sh"
VERSION = "1.3.0"


def schema_check(tmp_path: Path, user_data: str) -> subprocess.CompletedProcess[str]:
    cloud_init = require_tool("cloud-init")
    config = tmp_path / "user-data.yaml"
    config.write_text(user_data)
    return subprocess.run(
        [cloud_init, "schema", "--config-file", str(config)], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def user_data() -> str:
    return render_user_data(SETUP_SCRIPT.read_text(), VERSION)


@pytest.fixture(scope="module")
def document(user_data: str) -> dict[str, Any]:
    parsed = yaml.safe_load(user_data)
    assert isinstance(parsed, dict)
    return parsed


def test_generated_cloud_config_passes_cloud_init_schema(tmp_path: Path, user_data: str) -> None:
    result = schema_check(tmp_path, user_data)
    assert result.returncode == 0, f"cloud-init schema rejected the user data:\n{result.stdout}{result.stderr}"
    assert "Valid cloud-config" in result.stdout


def test_schema_check_rejects_a_broken_document(tmp_path: Path, user_data: str) -> None:
    # Guards the check above: the same document with a type error in runcmd must fail.
    broken = yaml.safe_load(user_data)
    broken["runcmd"] = 5
    result = schema_check(tmp_path, "#cloud-config\n" + yaml.safe_dump(broken))
    assert result.returncode != 0
    assert "runcmd" in result.stdout + result.stderr


def test_user_data_starts_with_the_cloud_config_header(user_data: str) -> None:
    assert user_data.startswith("#cloud-config\n")


def _written_files(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["path"]: entry for entry in document["write_files"]}


def test_the_real_setup_script_is_written_executable(document: dict[str, Any]) -> None:
    entry = _written_files(document)["/var/lib/batch-image/setup.sh"]
    assert entry["permissions"] == "0755"
    assert entry.get("encoding") in ("b64", "base64")
    assert base64.b64decode(entry["content"]).decode() == SETUP_SCRIPT.read_text()


def _commands(document: dict[str, Any]) -> list[str]:
    return [" ".join(cmd) if isinstance(cmd, list) else cmd for cmd in document["runcmd"]]


def test_runcmd_runs_setup_with_the_image_version(document: dict[str, Any]) -> None:
    setup_runs = [cmd for cmd in _commands(document) if "/var/lib/batch-image/setup.sh" in cmd]
    assert setup_runs, _commands(document)
    assert f"BATCH_IMAGE_VERSION={VERSION}" in setup_runs[0]


def test_deprovision_and_power_off_follow_setup(document: dict[str, Any]) -> None:
    # The finishing step may be inline in runcmd or a script written by write_files and started from runcmd.
    scripts = "\n".join(_commands(document))
    for entry in _written_files(document).values():
        encoded = entry.get("encoding") in ("b64", "base64")
        scripts += "\n" + (base64.b64decode(entry["content"]).decode() if encoded else entry["content"])
    setup_text = SETUP_SCRIPT.read_text()
    finish_text = scripts.replace(setup_text, "")
    assert "waagent" in finish_text and "-deprovision+user" in finish_text
    assert "poweroff" in finish_text
    assert "cloud-init clean" in finish_text


def test_the_program_uses_this_script_by_default() -> None:
    assert Builder().setup_script_path == SETUP_SCRIPT


def test_the_filled_in_proof_target_keeps_the_document_valid(tmp_path: Path, user_data: str) -> None:
    url, client_id = "https://imgacct.blob.core.windows.net/build-proof/", "7417313c-9fc7-4b63-89ec-d8007752806b"
    filled = fill_proof_target(user_data, url, client_id)

    assert schema_check(tmp_path, filled).returncode == 0
    finish = _written_files(yaml.safe_load(filled))[FINISH_PATH]["content"]
    assert finish == fill_proof_target(_FINISH_SCRIPT, url, client_id)
    assert f"proof_url='{url}'" in finish and f"client_id='{client_id}'" in finish
