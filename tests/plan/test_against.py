"""`--against EXPORT.json` and `--as-deployed FILE`: the plan compared with what is deployed, as a reviewer reads it."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tools.plan import cli

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tools/plan/plan.schema.json").read_text())
DEV_STACK = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
IMAGE_KEY = "batch-custom-image:image"
POOLS_KEY = "batch-custom-image:pools"


def _dev_with(tmp_path: Path, changes: dict[str, Any]) -> Path:
    """The dev stack's config with some keys changed, planned as stack dev (so its URNs match dev's export)."""
    document = json.loads(json.dumps(DEV_STACK))
    for key, value in changes.items():
        current = document["config"].get(key)
        document["config"][key] = {**current, **value} if isinstance(current, dict) else value
    path = tmp_path / "Pulumi.dev-changed.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def _main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def dev_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a successful `pulumi up` of the dev stack leaves (its `pulumi stack export`)."""
    path = tmp_path_factory.mktemp("deployed") / "dev.json"
    code, _, err = _main("--stack", "dev", "--graph", "none", "--as-deployed", str(path))
    assert code == 0, err
    return path


def test_as_deployed_writes_a_version_3_stack_export_of_every_planned_resource(dev_export: Path) -> None:
    export = json.loads(dev_export.read_text())
    assert export["version"] == 3
    resources = export["deployment"]["resources"]
    stack = resources[0]
    assert stack["type"] == "pulumi:pulumi:Stack" and stack["urn"] == (
        "urn:pulumi:dev::batch-custom-image::pulumi:pulumi:Stack::batch-custom-image-dev"
    )
    assert set(stack["outputs"]) >= {"galleryImageVersionId", "batchAccountName", "pools", "publishedImageVersions"}
    assert set(stack["outputs"]["publishedImageVersions"]) == {"1.0.0"}  # what the next run reads back
    by_name = {r["urn"].rsplit("::", 1)[-1]: r for r in resources[1:]}
    version = by_name["gallery-version-1.0.0"]
    assert version["id"].endswith("/images/app-node/versions/1.0.0") and version["custom"] is True
    assert version["inputs"]["galleryImageVersionName"] == "1.0.0"
    pool = by_name["pools-render"]
    assert version["urn"] in pool["dependencies"]
    assert version["urn"] in pool["propertyDependencies"]["deploymentConfiguration"]
    assert pool["parent"] == by_name["pools"]["urn"]
    seen: set[str] = set()
    for resource in resources:  # the engine's order: parents and dependencies first
        assert {resource.get("parent", ""), *resource.get("dependencies", [])} - {""} <= seen, resource["urn"]
        seen.add(resource["urn"])
    key = by_name["builder-ssh-key"]["outputs"]["privateKeyPem"]
    assert "ciphertext" in key and "PRIVATE KEY" not in json.dumps(export)  # secrets are never written in the clear


def test_the_same_stack_against_its_own_export_changes_nothing(dev_export: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.json"
    code, out, _ = _main("--stack", "dev", "--graph", "none", "--against", str(dev_export), "--as-deployed", str(again))
    assert code == 0
    assert f"Against {dev_export}: 0 to create, 0 to update, 0 to replace, 0 to delete, 35 unchanged" in out
    assert "Warnings: what this destroys that users depend on\n\nnone" in out
    assert again.read_bytes() == dev_export.read_bytes()  # the export is the same on every run


def test_a_version_bump_publishes_beside_the_old_version_and_rolls_the_pools(dev_export: Path, tmp_path: Path) -> None:
    bumped = _dev_with(tmp_path, {IMAGE_KEY: {"version": "1.1.0"}})
    code, out, _ = _main("--stack", "dev", "--stack-file", str(bumped), "--graph", "none", "--against", str(dev_export))
    assert code == 0
    assert "1 to create, 2 to update, 7 to replace, 0 to delete, 26 unchanged" in out
    lines = out.splitlines()
    assert "+  create  gallery-version-1.1.0 (GalleryImageVersion)" in lines
    # 1.0.0 stays for rollback (the stack's record says how it was published): only excludeFromLatest moves
    assert "~  update  gallery-version-1.0.0 (GalleryImageVersion)" in lines
    assert "       publishingProfile.excludeFromLatest: '(none)' => true" in lines
    for name, kind in (("pools-render", "Pool"), ("pools-burst", "Pool"), ("builder-vm", "VirtualMachine")):
        assert f"+- replace {name} ({kind})" in lines
    for pool in ("pools-render", "pools-burst"):  # a new pool is a new drain; the old one drains the old pool
        assert f"+- replace {pool}-drain (PoolDrain)" in lines
    assert "     deploymentConfiguration: replaces: marked replaceOnChanges in the program" in lines
    assert any(
        line.startswith("       deploymentConfiguration.virtualMachineConfiguration.imageReference.id: ")
        and line.endswith("/versions/1.0.0' => ...gallery_dev_e458199417/images/app-node/versions/1.1.0'")
        for line in lines
    ), out
    warnings = out.split("Warnings: what this destroys that users depend on", 1)[1].split("\n\n")[1].splitlines()
    assert warnings == [  # the pools only, drained first: no image version is destroyed
        "- pools-burst (Batch pool) is replaced: jobs and tasks run on its nodes: its drain lets running tasks finish "
        "(up to drainTimeout), then deletes it; because of "
        "deploymentConfiguration (marked replaceOnChanges in the program)",
        "- pools-render (Batch pool) is replaced: jobs and tasks run on its nodes: its drain lets running tasks finish "
        "(up to drainTimeout), then deletes it; because of "
        "deploymentConfiguration (marked replaceOnChanges in the program)",
    ]


def test_a_version_bump_in_json(dev_export: Path, tmp_path: Path) -> None:
    bumped = _dev_with(tmp_path, {IMAGE_KEY: {"version": "1.1.0"}})
    code, out, _ = _main("--stack", "dev", "--stack-file", str(bumped), "--json", "-", "--against", str(dev_export))
    assert code == 0
    plan = json.loads(out)
    jsonschema.validate(plan, SCHEMA)
    against = plan["against"]
    actions = {c["name"]: c["action"] for c in against["changes"]}
    assert {n for n, a in actions.items() if a == "replace"} == {
        "pools-render",
        "pools-burst",
        "capture",
        "capture-cleanup",
        "builder-vm",
        "pools-render-drain",
        "pools-burst-drain",
    }
    assert actions["gallery-version-1.1.0"] == "create" and actions["gallery-version-1.0.0"] == "update"
    assert actions["batch-account"] == actions["gallery-definition"] == "same"
    assert [w["name"] for w in against["warnings"]] == ["pools-burst", "pools-render"]


def test_retiring_the_builder_after_publishing_deletes_only_the_builder(dev_export: Path, tmp_path: Path) -> None:
    retired = _dev_with(tmp_path, {IMAGE_KEY: {"builder": {"enabled": False}}})
    code, out, _ = _main("--stack", "dev", "--stack-file", str(retired), "--json", "-", "--against", str(dev_export))
    assert code == 0
    actions = {c["name"]: c["action"] for c in json.loads(out)["against"]["changes"]}
    deleted = {n for n, a in actions.items() if a == "delete"}
    assert {"builder-vm", "builder-nat", "builder-nat-ip", "builder-vnet", "capture", "capture-cleanup"} <= deleted
    assert {n for n, a in actions.items() if a not in ("same", "delete")} == set()  # the image and pools untouched
    assert actions["gallery-version-1.0.0"] == actions["pools-render"] == "same"


def _against_with_pools(tmp_path: Path, export: Path, pools: list[dict[str, Any]]) -> str:
    """The dev stack with other pools, planned against `export`: the text output (the plan passes)."""
    changed = _dev_with(tmp_path, {POOLS_KEY: pools})
    code, out, _ = _main("--stack", "dev", "--stack-file", str(changed), "--graph", "none", "--against", str(export))
    assert code == 0
    return out


def test_a_pool_dropped_from_the_config_is_deleted_with_a_warning(dev_export: Path, tmp_path: Path) -> None:
    render_only = [p for p in DEV_STACK["config"][POOLS_KEY] if p["name"] == "render"]
    out = _against_with_pools(tmp_path, dev_export, render_only)
    assert "0 to create, 0 to update, 0 to replace, 2 to delete, 33 unchanged" in out
    assert "-  delete  pools-burst (Pool)" in out.splitlines()
    assert "-  delete  pools-burst-drain (PoolDrain)" in out.splitlines()
    assert (
        "- pools-burst (Batch pool) is deleted: jobs and tasks run on its nodes: its drain lets running tasks finish "
        "(up to drainTimeout), then deletes it" in out
    )


def test_a_changed_pool_size_updates_in_place(dev_export: Path, tmp_path: Path) -> None:
    pools = json.loads(json.dumps(DEV_STACK["config"][POOLS_KEY]))
    render = next(p for p in pools if p["name"] == "render")
    render["taskSlotsPerNode"] = render.get("taskSlotsPerNode", 1) + 1
    out = _against_with_pools(tmp_path, dev_export, pools)
    assert "0 to create, 1 to update, 0 to replace, 0 to delete, 34 unchanged" in out
    assert "~  update  pools-render (Pool)" in out.splitlines()
    assert "     taskSlotsPerNode: updates in place" in out.splitlines()
    assert "Warnings: what this destroys that users depend on\n\nnone" in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read the export file"),
        ("{not json", "not JSON"),
        ("[]", 'no "deployment" object'),
        (json.dumps({"version": 1, "deployment": {}}), "export format version 1 is not supported"),
        (json.dumps({"version": 3, "deployment": {"resources": {}}}), '"deployment.resources" must be a list'),
        (json.dumps({"version": 3, "deployment": {"resources": [{"type": "x"}]}}), 'resources[0]" has no "urn"'),
        (
            json.dumps(
                {
                    "version": 3,
                    "deployment": {"resources": [{"urn": "urn:pulumi:dev::p::t::n", "type": "t", "inputs": ["a"]}]},
                }
            ),
            '"inputs" must be an object',
        ),
    ],
)
def test_a_missing_or_malformed_export_exits_2_naming_the_file(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    export = tmp_path / "export.json"
    if content is not None:
        export.write_text(content)
    code, out, err = _main("--stack", "dev", "--against", str(export))
    assert code == 2 and out == ""
    assert err.startswith(f"error: {export}: ") and expected in err


def test_an_export_of_another_stack_exits_2(dev_export: Path, tmp_path: Path) -> None:
    other = tmp_path / "prod.json"
    other.write_text(dev_export.read_text().replace("urn:pulumi:dev::", "urn:pulumi:prod::"))
    code, _, err = _main("--stack", "dev", "--against", str(other))
    assert code == 2
    assert "the export holds resources of stack 'prod', the plan is for stack 'dev'" in err
