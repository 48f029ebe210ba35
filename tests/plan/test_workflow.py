"""The pull-request workflow: an offline plan that needs no secret, and a preview only when Azure secrets exist."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github/workflows/pull-request.yml"


def test_offline_job_uses_no_secret_and_runs_the_plan() -> None:
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    offline = yaml.safe_dump(jobs["offline-plan"])
    assert "secrets." not in offline
    assert "make plan STACK=dev" in offline and "GITHUB_STEP_SUMMARY" in offline and "make test" in offline


def test_preview_runs_with_the_policy_pack_only_when_secrets_exist() -> None:
    preview = yaml.safe_load(WORKFLOW.read_text())["jobs"]["preview"]
    assert preview["permissions"]["id-token"] == "write"
    steps = preview["steps"]
    pulumi_step = next(s for s in steps if str(s.get("uses", "")).startswith("pulumi/actions"))
    assert pulumi_step["with"]["command"] == "preview" and pulumi_step["with"]["policyPacks"] == "policies"
    azure_steps = [s for s in steps if "Skip" not in s.get("name", "")]
    assert all(s.get("if") == "env.HAS_AZURE == 'true'" for s in azure_steps)
