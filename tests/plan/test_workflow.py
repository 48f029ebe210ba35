"""The pull-request workflow: an offline plan that needs no secret, and a preview only when Azure secrets exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github/workflows/pull-request.yml"

# The Node 24 majors (GitHub's runners dropped Node 20 actions in September 2026).
EXPECTED_MAJORS = {
    "actions/checkout": "v6",
    "actions/setup-python": "v6",
    "actions/setup-node": "v6",
    "azure/login": "v3",
    "pulumi/actions": "v7",
}


def _jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    return jobs


def _steps() -> list[dict[str, Any]]:
    return [step for job in _jobs().values() for step in job["steps"]]


def test_offline_job_uses_no_secret_and_runs_the_plan() -> None:
    offline = yaml.safe_dump(_jobs()["offline-plan"])
    assert "secrets." not in offline
    assert "make plan STACK=dev" in offline and "GITHUB_STEP_SUMMARY" in offline and "make test" in offline


def test_preview_runs_with_the_policy_pack_only_when_secrets_exist() -> None:
    steps = _jobs()["preview"]["steps"]
    pulumi_step = next(s for s in steps if str(s.get("uses", "")).startswith("pulumi/actions"))
    assert pulumi_step["with"]["command"] == "preview" and pulumi_step["with"]["policyPacks"] == "policies"
    assert (ROOT / pulumi_step["with"]["policyPackConfigs"]).is_file()
    azure_steps = [s for s in steps if "Skip" not in s.get("name", "")]
    assert all(str(s.get("if", "")).startswith("env.HAS_AZURE == 'true'") for s in azure_steps)


def test_jobs_that_comment_on_the_pull_request_may_write_to_it() -> None:
    """comment-on-pr without `pull-requests: write` fails: "Resource not accessible by integration" (#1195)."""
    for name, job in _jobs().items():
        commenting = any(str(s.get("with", {}).get("comment-on-pr", "")).lower() == "true" for s in job["steps"])
        if commenting:
            assert job.get("permissions", {}).get("pull-requests") == "write", name


def test_jobs_that_sign_in_to_azure_get_an_oidc_token() -> None:
    for name, job in _jobs().items():
        if any(str(s.get("uses", "")).startswith("azure/login@") for s in job["steps"]):
            assert job.get("permissions", {}).get("id-token") == "write", name
            assert "client-secret" not in yaml.safe_dump(job), name  # OIDC, no stored password


def test_workflow_defaults_to_read_only() -> None:
    assert yaml.safe_load(WORKFLOW.read_text())["permissions"] == {"contents": "read"}
    assert "permissions" not in _jobs()["offline-plan"]  # runs fork code: keeps the read-only default


def test_every_action_is_pinned_to_its_node_24_major() -> None:
    used = [str(s["uses"]) for s in _steps() if "uses" in s]
    assert used
    for reference in used:
        action, _, version = reference.partition("@")
        assert action in EXPECTED_MAJORS, f"{reference}: not an action this test knows; add its expected major"
        assert version == EXPECTED_MAJORS[action], f"{reference}: expected @{EXPECTED_MAJORS[action]}"
    assert {r.partition("@")[0] for r in used} == set(EXPECTED_MAJORS)


def test_plan_against_state_runs_only_when_a_state_export_exists() -> None:
    steps = _jobs()["preview"]["steps"]
    export = next(s for s in steps if "pulumi stack export" in s.get("run", ""))
    against = next(s for s in steps if "--against state.json" in s.get("run", ""))
    assert "--file state.json" in export["run"] and "available=true" in export["run"]
    assert "available=false" in export["run"]  # a never-deployed stack skips, it doesn't fail the job
    assert against["if"] == f"env.HAS_AZURE == 'true' && steps.{export['id']}.outputs.available == 'true'"
    assert "python -m tools.plan --stack dev --against state.json" in against["run"]
    assert steps.index(export) < steps.index(against)
    pulumi_step = next(s for s in steps if str(s.get("uses", "")).startswith("pulumi/actions"))
    assert steps.index(pulumi_step) < steps.index(export)  # the action installs the CLI the export uses
