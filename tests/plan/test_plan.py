"""The offline plan: exit codes, the JSON schema, the dependency chain and the critical path, as a user sees them."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tools.plan import canary as plan_canary
from tools.plan import catalog, cli, report

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tools/plan/plan.schema.json").read_text())
DEV_STACK = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
IMAGE = "batch-custom-image:image"


def _stack_file(tmp_path: Path, changes: dict[str, Any]) -> Path:
    document = json.loads(json.dumps(DEV_STACK))
    document["config"].update(changes)
    path = tmp_path / "Pulumi.variant.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def dev_plan() -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "tools.plan", "--stack", "dev", "--json", "-"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    document: dict[str, Any] = json.loads(completed.stdout)
    return document


def test_dev_stack_passes_with_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--stack", "dev")
    assert code == 0
    assert "PASS: no mandatory violation" in out
    assert "```mermaid" in out and "flowchart LR" in out
    assert "mandatory: 0" in out
    for name in ("builder-vm", "capture", "gallery-version-1.0.0", "pools-render", "pools-burst", "batch-vault"):
        assert name in out


def test_a_violating_stack_exits_1_and_names_the_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = _stack_file(tmp_path, {"batch-custom-image:batch": {"poolAllocationMode": "BatchService"}})
    code, out, _ = _run(capsys, "--stack", "variant", "--stack-file", str(stack))
    assert code == 1
    assert "FAIL: 1 mandatory violation(s)" in out
    assert "batch-account-user-subscription-mode [batch-account]" in out
    assert "BatchService" in out


def test_policy_pack_config_can_turn_a_pass_into_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "policy-config.json"
    config.write_text(
        json.dumps({"vm-size-allowed": {"enforcementLevel": "mandatory", "allowedVmSizes": ["Standard_D2ds_v5"]}})
    )
    code, out, _ = _run(capsys, "--stack", "dev", "--policy-pack-config", str(config))
    assert code == 1
    assert "vm-size-allowed [pools-render]" in out and "Standard_D4ds_v5" in out


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"batch-custom-image:image": {"name": "app-node", "version": "1.0"}}, "image.version = '1.0'"),
        ({"batch-custom-image:pools": []}, "batch-custom-image:pools"),
    ],
)
def test_a_broken_config_exits_2_with_the_settings_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, Any], expected: str
) -> None:
    stack = _stack_file(tmp_path, changes)
    code, out, err = _run(capsys, "--stack", "variant", "--stack-file", str(stack))
    assert code == 2
    assert out == ""
    assert "invalid stack configuration" in err and expected in err


def test_a_missing_stack_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "--stack", "nosuchstack")
    assert code == 2
    assert "Pulumi.nosuchstack.yaml" in err


def test_json_follows_the_documented_schema(dev_plan: dict[str, Any], tmp_path: Path) -> None:
    jsonschema.validate(dev_plan, SCHEMA)
    assert dev_plan["exitCode"] == 0 and dev_plan["stack"] == "dev"
    assert set(dev_plan["outputs"]) >= {"galleryImageVersionId", "batchAccountEndpoint", "pools"}
    broken = {**dev_plan, "exitCode": 3}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_json_file_and_text_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "plan.json"
    code, out, _ = _run(capsys, "--stack", "dev", "--json", str(target), "--graph", "dot")
    assert code == 0 and "digraph plan {" in out
    assert json.loads(target.read_text())["schemaVersion"] == 1


def test_graph_has_the_pool_version_capture_builder_chain(dev_plan: dict[str, Any]) -> None:
    by_name = {r["name"]: r["urn"] for r in dev_plan["resources"]}
    edges = {tuple(e) for e in dev_plan["graph"]["edges"]}
    chain = ["builder-vm", "capture-cleanup", "capture", "gallery-version-1.0.0", "pools-render"]
    for before, after in itertools.pairwise(chain):
        assert (by_name[before], by_name[after]) in edges, f"{before} → {after}"
    assert (by_name["pools-render"], by_name["gallery-version-1.0.0"]) not in edges  # edges point in creation order


def test_critical_path_and_its_estimate_for_dev(dev_plan: dict[str, Any]) -> None:
    path = dev_plan["criticalPath"]
    names = [s["name"] for s in path["steps"]]
    assert names[0] == "rg"
    assert names[-7:] == [
        "builder-vm",
        "capture-cleanup",
        "capture",
        "gallery-version-1.0.0",
        "canary",  # a new version boots the canary before any pool moves to it
        "pools-render",
        "pools-render-drain",
    ]
    minutes = {s["name"]: s["minutes"] for s in path["steps"]}
    assert minutes["capture"] == catalog.typical_minutes("pulumi-python:dynamic/capture:GeneralizedImage")
    assert path["estimatedMinutes"] == pytest.approx(sum(minutes.values()))
    assert minutes["canary"] == catalog.CANARY_TYPICAL_MINUTES
    # dominated by the build (35), the gallery version (25) and the canary (12)
    assert 72 < path["estimatedMinutes"] < 82


def test_every_custom_resource_type_of_the_program_is_in_the_catalog(dev_plan: dict[str, Any]) -> None:
    types = {r["type"] for r in dev_plan["resources"] if r["custom"]}
    local = {"tls:index/privateKey:PrivateKey"}  # created locally: no ARM path, no Azure time
    assert types - local <= set(catalog.CATALOG), "add the new type to tools/plan/catalog.py"


def test_source_vhd_shortens_the_critical_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = {
        "name": "app-node",
        "version": "1.0.0",
        "source": "vhd",
        "vhdUri": "https://byo.blob.core.windows.net/vhds/app.vhd",
        "vhdStorageAccountId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/byo",
    }
    stack = _stack_file(tmp_path, {"batch-custom-image:image": image})
    target = tmp_path / "plan.json"
    code, _, _ = _run(capsys, "--stack", "variant", "--stack-file", str(stack), "--json", str(target))
    document = json.loads(target.read_text())
    assert code == 0
    assert "capture" not in [s["name"] for s in document["criticalPath"]["steps"]]
    assert document["criticalPath"]["estimatedMinutes"] < 30 + catalog.CANARY_TYPICAL_MINUTES


def test_markdown_format_for_the_job_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--stack", "dev", "--format", "markdown")
    assert code == 0
    assert out.startswith("## Offline plan for stack 'dev'")
    assert "| type | name | parent | properties |" in out and "**PASS: no mandatory violation**" in out


def test_secrets_are_masked_in_the_plan() -> None:
    assert report._display({"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "k"}) == (
        "[secret]"
    )
    assert report._display(["04da6b54-80e4-46f7-96ec-b56ff0331ba9"]) == ["(known after apply)"]


def test_each_advisory_says_how_to_fix_it_and_where_to_read_more(
    dev_plan: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    advisories = dev_plan["policies"]["advisory"]
    assert advisories and all(a["remediation"] and a["url"].startswith("https://") for a in advisories)
    code, out, _ = _run(capsys, "--stack", "dev")
    shared_key = next(a for a in advisories if a["policy"] == "storage-account-shared-key-disabled")
    assert code == 0 and f"    fix: {shared_key['remediation']} ({shared_key['url']})" in out.splitlines()


def _plan_outputs(tmp_path: Path, run: int, hash_seed: str) -> dict[str, bytes]:
    """Text, markdown and JSON of the dev stack from two fresh processes (one per text format)."""
    produced: dict[str, bytes] = {}
    for fmt in ("text", "markdown"):
        target = tmp_path / f"plan-{run}-{fmt}.json"
        export = tmp_path / f"export-{run}-{fmt}.json"
        argv = ["--stack", "dev", "--format", fmt, "--json", str(target), "--as-deployed", str(export)]
        completed = subprocess.run(
            [sys.executable, "-m", "tools.plan", *argv],
            cwd=ROOT,
            capture_output=True,
            timeout=120,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        assert completed.returncode == 0, completed.stderr
        produced[fmt] = completed.stdout
        produced[f"json ({fmt} run)"] = target.read_bytes()
        produced[f"--as-deployed ({fmt} run)"] = export.read_bytes()
    return produced


def test_two_runs_give_byte_identical_text_markdown_json_and_export(tmp_path: Path) -> None:
    first, second = _plan_outputs(tmp_path, 1, "1"), _plan_outputs(tmp_path, 2, "2")
    for name, output in first.items():
        assert output == second[name], f"{name} differs between two runs of the same stack"
    assert first["json (text run)"] == first["json (markdown run)"]
    document = json.loads(first["json (text run)"])
    urns = [r["urn"] for r in document["resources"]]
    assert urns == sorted(urns)
    assert document["graph"]["edges"] == sorted(document["graph"]["edges"])


def test_a_stack_picks_up_its_own_policy_config_unless_one_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pack_dir = tmp_path / "policies"
    pack_dir.mkdir()
    (pack_dir / "config.variant.json").write_text(
        json.dumps({"vm-size-allowed": {"enforcementLevel": "mandatory", "allowedVmSizes": ["Standard_D2ds_v5"]}})
    )
    monkeypatch.setattr(cli, "POLICY_PACK_DIR", pack_dir)
    stack = _stack_file(tmp_path, {})
    code, out, _ = _run(capsys, "--stack", "variant", "--stack-file", str(stack))
    assert code == 1 and "vm-size-allowed [pools-render]" in out
    assert f"policy pack config: {pack_dir / 'config.variant.json'}" in out

    explicit = tmp_path / "relaxed.json"
    explicit.write_text("{}")
    code, out, _ = _run(capsys, "--stack", "variant", "--stack-file", str(stack), "--policy-pack-config", str(explicit))
    assert code == 0 and f"policy pack config: {explicit}" in out

    code, out, _ = _run(capsys, "--stack", "dev")  # no policies/config.dev.json in this directory: the pack's levels
    assert code == 0 and "policy pack config: none" in out


def test_a_broken_per_stack_policy_config_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.dev.json").write_text("{not json")
    monkeypatch.setattr(cli, "POLICY_PACK_DIR", tmp_path)
    code, out, err = _run(capsys, "--stack", "dev")
    assert code == 2 and out == ""
    assert "config.dev.json: not valid JSON" in err


def test_help_lists_the_plan_exit_codes_from_the_tools_one_table() -> None:
    """The codes `make plan` exits with, numbered as in `make smoke` (tools/errors.py): 2 is bad input in both."""
    help_text = cli.build_parser().format_help()
    assert "exit codes:\n  0 ok\n  1 mandatory_violation\n  2 bad_input\n" in help_text


def test_the_plan_says_the_canary_runs_for_a_new_version_and_what_it_costs(dev_plan: dict[str, Any]) -> None:
    canary = dev_plan["canary"]
    assert canary["state"] == "runs" and canary["runs"] is True
    assert canary["reason"] == "image.version 1.0.0 is new (not in the record)"
    # the first pool's size (Standard_D4ds_v5: 4 vCPUs), Spot, typical minutes and at most the timeout (PT30M)
    assert canary["vmSize"] == "Standard_D4ds_v5" and canary["spot"] is True and canary["vcpus"] == 4
    assert canary["nodeMinutes"] == {"typical": catalog.CANARY_TYPICAL_MINUTES, "atMost": 30}
    assert canary["vcpuMinutes"] == {"typical": 4 * catalog.CANARY_TYPICAL_MINUTES, "atMost": 120}


def test_the_plan_text_shows_the_canary_and_why_it_does_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = {**DEV_STACK["config"]["batch-custom-image:image"], "canary": {"spot": False, "timeout": "PT1H"}}
    code, out, _ = _run(capsys, "--stack", "variant", "--stack-file", str(_stack_file(tmp_path, {IMAGE: image})))
    assert code == 0
    assert "runs in this update: image.version 1.0.0 is new (not in the record)" in out
    assert (
        "cost per new image.version: one dedicated Standard_D4ds_v5 node, ~12 node-minutes typical, at most 60 "
        "(image.canary.timeout); 4 vCPUs: ~48 vCPU-minutes, at most 240" in out
    )
    off = {**image, "canary": {"enabled": False}}
    code, out, _ = _run(capsys, "--stack", "variant", "--stack-file", str(_stack_file(tmp_path, {IMAGE: off})))
    assert code == 0
    assert "does not run in this update: image.canary.enabled is false" in out and "node-minutes" not in out
    before = ROOT / "tests/data/pulumi-state/dev-before-publication.json"
    code, out, _ = _run(capsys, "--stack", "dev", "--graph", "none", "--against", str(before))
    assert code == 0
    assert "does not run in this update: image.version 1.0.0 was published before the canary" in out


def test_the_vcpus_come_from_the_size_name() -> None:
    assert plan_canary.vm_size_vcpus("Standard_D4ds_v5") == 4
    assert plan_canary.vm_size_vcpus("Standard_NC24ads_A100_v4") == 24
    assert plan_canary.vm_size_vcpus("Standard_E8-4ds_v5") == 4  # constrained: the vCPUs it runs
    assert plan_canary.vm_size_vcpus("Basic_A1") is None
