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

from components.pools import POOL_REPLACE_REASON
from tools.plan import cli

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tools/plan/plan.schema.json").read_text())
DEV_STACK = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
IMAGE_KEY = "batch-custom-image:image"
POOLS_KEY = "batch-custom-image:pools"
JOBS_LINE = (  # what a user with long-lived jobs or job schedules must do when a pool is replaced
    "Jobs and job schedules stay bound to the old pool id: disable each job (disableTasks: wait), patch its "
    "poolInfo.poolId to the new pool (stack output pools.<name>.poolName), then enable it; for a job schedule patch "
    "jobSpecification.poolInfo, and move its current job the same way"
)


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
    assert f"Against {dev_export}: 0 to create, 0 to update, 0 to replace, 0 to delete, 38 unchanged" in out
    assert "Warnings: what this destroys that users depend on\n\nnone" in out
    assert again.read_bytes() == dev_export.read_bytes()  # the export is the same on every run


def test_an_export_from_before_the_progress_urn_input_changes_nothing(dev_export: Path, tmp_path: Path) -> None:
    """The dynamic resources' diffs ignore `progress_urn`: upgrading the program updates and replaces nothing."""
    document = json.loads(dev_export.read_text())
    stripped = 0
    for resource in document["deployment"]["resources"]:
        for key in ("inputs", "outputs"):
            stripped += resource.get(key, {}).pop("progress_urn", None) is not None
    assert stripped >= 8  # capture, clean-up, VHD retention, two drains: inputs and outputs
    older = tmp_path / "before-progress.json"
    older.write_text(json.dumps(document))

    code, out, _ = _main("--stack", "dev", "--graph", "none", "--against", str(older))

    assert code == 0
    assert f"Against {older}: 0 to create, 0 to update, 0 to replace, 0 to delete, 38 unchanged" in out


def test_a_version_bump_publishes_beside_the_old_version_and_rolls_the_pools(dev_export: Path, tmp_path: Path) -> None:
    bumped = _dev_with(tmp_path, {IMAGE_KEY: {"version": "1.1.0"}})
    code, out, _ = _main("--stack", "dev", "--stack-file", str(bumped), "--graph", "none", "--against", str(dev_export))
    assert code == 0
    assert "1 to create, 2 to update, 8 to replace, 0 to delete, 28 unchanged" in out
    lines = out.splitlines()
    assert "+  create  gallery-version-1.1.0 (GalleryImageVersion)" in lines
    # 1.0.0 stays for rollback (the stack's record says how it was published); the canary owns `latest`: 1.1.0 is
    # created excluded from it, and GalleryLatest moves it to 1.1.0 once the new canary passed
    assert not [line for line in lines if line.endswith("gallery-version-1.0.0 (GalleryImageVersion)")]  # no change
    assert "~  update  gallery-latest (GalleryLatest)" in lines
    assert "       latest_version: '1.0.0' => '1.1.0'" in lines
    assert "+- replace canary (ImageCanary)" in lines
    for pool in ("pools-render", "pools-burst"):  # the pools move only after the canary
        section = out.split(f"+- replace {pool} (Pool)\n", 1)[1].split("\n+", 1)[0]
        assert "(known after apply: waits for canary, which is replaced)" in section
    for name, kind in (("pools-render", "Pool"), ("pools-burst", "Pool"), ("builder-vm", "VirtualMachine")):
        assert f"+- replace {name} ({kind})" in lines
    for pool in ("pools-render", "pools-burst"):  # a new pool is a new drain; the old one drains the old pool
        assert f"+- replace {pool}-drain (PoolDrain)" in lines
    assert f"     deploymentConfiguration: replaces: {POOL_REPLACE_REASON}" in lines
    assert any(
        line.startswith("       deploymentConfiguration.virtualMachineConfiguration.imageReference.id: ")
        and line.endswith("/versions/1.0.0' => ...gallery_dev_e458199417/images/app-node/versions/1.1.0'")
        for line in lines
    ), out
    warnings = out.split("Warnings: what this destroys that users depend on", 1)[1].split("\n\n")[1].splitlines()
    assert warnings == [  # the pools only, drained first: no image version is destroyed
        f"- {pool} (Batch pool) is replaced: jobs and tasks run on its nodes: its drain lets running tasks finish "
        f"(up to drainTimeout), then deletes it; because of deploymentConfiguration ({POOL_REPLACE_REASON}). "
        f"{JOBS_LINE}"
        for pool in ("pools-burst", "pools-render")
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
        "canary",
    }
    assert actions["gallery-version-1.1.0"] == "create" and actions["gallery-version-1.0.0"] == "same"
    assert actions["gallery-latest"] == "update"
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
    assert "0 to create, 0 to update, 0 to replace, 2 to delete, 36 unchanged" in out
    assert "-  delete  pools-burst (Pool)" in out.splitlines()
    assert "-  delete  pools-burst-drain (PoolDrain)" in out.splitlines()
    assert (
        "- pools-burst (Batch pool) is deleted: jobs and tasks run on its nodes: its drain lets running tasks finish "
        "(up to drainTimeout), then deletes it" in out
    )


def _pools_with(**render_changes: Any) -> list[dict[str, Any]]:
    pools = json.loads(json.dumps(DEV_STACK["config"][POOLS_KEY]))
    next(p for p in pools if p["name"] == "render").update(render_changes)
    return pools


def test_a_changed_pool_size_updates_in_place(dev_export: Path, tmp_path: Path) -> None:
    render = next(p for p in DEV_STACK["config"][POOLS_KEY] if p["name"] == "render")
    out = _against_with_pools(
        tmp_path, dev_export, _pools_with(targetDedicatedNodes=render["targetDedicatedNodes"] + 1)
    )
    assert "0 to create, 1 to update, 0 to replace, 0 to delete, 37 unchanged" in out
    assert "~  update  pools-render (Pool)" in out.splitlines()
    assert "     scaleSettings: updates in place" in out.splitlines()
    assert "Warnings: what this destroys that users depend on\n\nnone" in out


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"taskSlotsPerNode": 4}, "taskSlotsPerNode"),
        ({"vmSize": "Standard_D8s_v5"}, "vmSize"),
        (
            {
                "identities": [
                    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/render-id"
                ]
            },
            "identity",
        ),
    ],
)
def test_a_pool_property_batch_refuses_on_a_pool_with_nodes_replaces_it_with_the_reason_and_the_jobs_guidance(
    dev_export: Path, tmp_path: Path, change: dict[str, Any], key: str
) -> None:
    """Batch updates a pool with nodes in place only for applicationPackages, certificates, metadata, scaleSettings and
    startTask: a PATCH of anything else fails while nodes run, so the plan shows the drain-safe replace."""
    out = _against_with_pools(tmp_path, dev_export, _pools_with(**change))
    lines = out.splitlines()
    assert "+- replace pools-render (Pool)" in lines and "+- replace pools-render-drain (PoolDrain)" in lines
    assert f"     {key}: replaces: {POOL_REPLACE_REASON}" in lines
    assert f"because of {key} ({POOL_REPLACE_REASON}). {JOBS_LINE}" in out


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


# --- real exports (pulumi/pulumi's own checkpoint test data and apitype shapes; tests/data/SOURCES.md) -----------

STATE = ROOT / "tests/data/pulumi-state"


def test_an_export_of_a_stack_never_updated_is_an_empty_stack(tmp_path: Path) -> None:
    """`apitype.UntypedDeployment.Deployment` is raw JSON: a stack never updated exports `"deployment": null`."""
    export = tmp_path / "new.json"
    export.write_text(json.dumps({"version": 3, "deployment": None}))
    code, out, err = _main("--stack", "dev", "--graph", "none", "--against", str(export))
    assert code == 0, err
    assert f"Against {export}: 38 to create, 0 to update, 0 to replace, 0 to delete, 0 unchanged" in out


def test_an_export_of_another_project_with_the_same_stack_name_exits_2(tmp_path: Path) -> None:
    other = tmp_path / "countdown-dev.json"
    other.write_text((STATE / "countdown-foo.json").read_text().replace("urn:pulumi:foo::", "urn:pulumi:dev::"))
    code, out, err = _main("--stack", "dev", "--against", str(other))
    assert code == 2 and out == ""
    assert "the export holds resources of project 'countdown', the plan is for project 'batch-custom-image'" in err


def test_old_copies_pending_deletion_and_interrupted_operations_are_shown(dev_export: Path, tmp_path: Path) -> None:
    """ResourceV3 `delete: true` (the old copy of a replaced pool the update did not get to delete) and
    DeploymentV3 `pending_operations` (OperationV2 {resource, type}: a create running when the engine stopped)."""
    document = json.loads(dev_export.read_text())
    resources = document["deployment"]["resources"]
    pool = next(r for r in resources if r["urn"].endswith("::pools-render"))
    resources.append({**pool, "id": pool["id"] + "-old", "delete": True})
    version = next(r for r in resources if r["urn"].endswith("::gallery-version-1.0.0"))
    document["deployment"]["pending_operations"] = [
        {"resource": {**version, "urn": version["urn"].replace("1.0.0", "1.1.0")}, "type": "creating"}
    ]
    export = tmp_path / "interrupted.json"
    export.write_text(json.dumps(document))
    code, out, _ = _main("--stack", "dev", "--graph", "none", "--against", str(export))
    assert code == 0
    assert "0 to create, 0 to update, 0 to replace, 1 to delete, 38 unchanged" in out
    assert (
        "-  delete  pools-render (Pool) [old copy marked delete: true: a replace or delete an earlier update did "
        "not finish]" in out.splitlines()
    )
    section = out.split("Interrupted operations (pending_operations): what the next `up` must clean up\n\n", 1)[1]
    assert section.startswith(
        "- creating gallery-version-1.1.0 (GalleryImageVersion): an interrupted create: the cloud resource may exist "
        "without being in the state"
    )
    code, out, _ = _main("--stack", "dev", "--json", "-", "--against", str(export))
    against = json.loads(out)["against"]
    jsonschema.validate(json.loads(out), SCHEMA)
    assert [c["name"] for c in against["changes"] if c.get("pendingDeletion")] == ["pools-render"]
    assert [p["operation"] for p in against["pendingOperations"]] == ["creating"]


def test_as_deployed_writes_what_a_real_export_holds(dev_export: Path) -> None:
    """As pulumi/pulumi's checkpoint-v3.json: `secrets_providers` beside secrets, stack children's URNs without a
    parent type, explicit provider resources; `created`/`modified` as CLIs since early 2023 write them."""
    real = json.loads((STATE / "countdown-foo.json").read_text())["deployment"]
    deployment = json.loads(dev_export.read_text())["deployment"]
    assert set(real["secrets_providers"]) == set(deployment["secrets_providers"]) == {"type", "state"}
    assert "::pulumi:pulumi:Stack$" not in json.dumps(deployment)  # as the engine makes URNs
    assert real["resources"][0]["urn"] == "urn:pulumi:foo::countdown::aws:sns/topic:Topic::countDown"
    by_name = {r["urn"].rsplit("::", 1)[-1]: r for r in deployment["resources"]}
    assert by_name["rg"]["urn"] == "urn:pulumi:dev::batch-custom-image::azure-native:resources:ResourceGroup::rg"
    assert by_name["marketplace-lookup"]["type"] == "pulumi:providers:azure"
    assert all(r["created"] == r["modified"] == "1970-01-01T00:00:00Z" for r in deployment["resources"])


# --- the program upgraded under a deployed stack -------------------------------------------------------------------

BEFORE_RECORD = STATE / "dev-before-record.json"


def test_the_dev_stack_from_before_the_record_is_refused_rather_than_rebuilt() -> None:
    """Planning today's dev stack against the export its program left before the record and the pinned base image:
    the same image.version would rebuild the published version (builder VM and capture replaced, the version
    re-created from the VM). Refused before anything is registered, with the command that upgrades safely."""
    code, out, err = _main("--stack", "dev", "--graph", "none", "--against", str(BEFORE_RECORD))
    assert code == 2 and out == ""
    assert "batch-custom-image:image.version = '1.0.0': a version newer than 1.0.0" in err
    assert "`pulumi config set --path image.version 1.0.1` and `pulumi up`" in err
    assert "Traceback" not in err


def test_upgrading_with_a_new_version_replaces_the_old_version_under_its_alias(tmp_path: Path) -> None:
    bumped = _dev_with(tmp_path, {IMAGE_KEY: {"version": "1.0.1"}})
    code, out, _ = _main("--stack", "dev", "--stack-file", str(bumped), "--json", "-", "--against", str(BEFORE_RECORD))
    assert code == 0
    changes = {c["name"]: c for c in json.loads(out)["against"]["changes"]}
    new = changes["gallery-version-1.0.1"]
    # followed under its alias, as the engine does: one replacement (create 1.0.1, then delete 1.0.0), no orphan
    assert new["action"] == "replace"
    old_urn = "::batch-custom-image:gallery:ImageGallery$azure-native:compute:GalleryImageVersion::gallery-version"
    assert new["was"].endswith(old_urn)
    assert "gallery-version" not in changes
    assert {c["action"] for c in changes.values()} == {"create", "replace", "same"}


def test_a_start_task_change_after_the_canary_passed_updates_the_pools_in_place(
    dev_export: Path, tmp_path: Path
) -> None:
    """The deployed version passed its canary: the canary keeps what it ran with (nothing re-runs, its outputs stay
    known), so the pools' image id is unchanged and the start task updates them in place."""
    render = next(p for p in DEV_STACK["config"][POOLS_KEY] if p["name"] == "render")
    start_task = {**render["startTask"], "commandLine": "/bin/sh -c 'echo ready'"}
    out = _against_with_pools(tmp_path, dev_export, _pools_with(startTask=start_task))
    assert "0 to create, 1 to update, 0 to replace, 0 to delete, 37 unchanged" in out
    assert "~  update  pools-render (Pool)" in out.splitlines()
    assert "canary (ImageCanary)" not in out.split("Against", 1)[1].split("Warnings", 1)[0]


def test_a_canary_whose_last_run_failed_shows_as_replaced_with_why(dev_export: Path, tmp_path: Path) -> None:
    """As the canary provider's diff: a failed canary (output `passed: false`, kept in the state so that `destroy`
    finds its pool) is replaced by the next `up`, which runs it again from the start, though no input changed. The
    failed update registered no stack outputs, so the record does not name the version yet."""
    export = json.loads(dev_export.read_text())
    resources = export["deployment"]["resources"]
    (canary,) = [r for r in resources if r["type"] == "pulumi-python:dynamic/canary:ImageCanary"]
    canary["outputs"].update(passed=False, failure="the canary of image version 1.0.0 failed: ...")
    resources[0]["outputs"] = {}  # the pulumi:pulumi:Stack: a failed first update registered none
    failed = tmp_path / "failed.json"
    failed.write_text(json.dumps(export))

    code, out, _ = _main("--stack", "dev", "--graph", "none", "--against", str(failed))

    assert code == 0
    assert "+- replace canary (ImageCanary)" in out.splitlines()
    assert "its last run failed: the next `up` runs the canary again from the start" in out


def test_a_canary_that_passed_is_unchanged(dev_export: Path) -> None:
    code, out, _ = _main("--stack", "dev", "--graph", "none", "--against", str(dev_export))
    assert code == 0 and "canary (ImageCanary)" not in out.split("Against", 1)[1].split("Warnings", 1)[0]
