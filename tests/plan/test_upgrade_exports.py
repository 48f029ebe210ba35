"""Today's program planned against the exports an earlier program left: upgrading the program changes nothing deployed.

The exports in tests/data/pulumi-state/*-before-publication.json were written by the program at commit 9b089ab (the
last commit before the publication decision moved out of `__main__.py` into components/publication.py), one per way
an image is published: built (Linux with a VHD, Windows without), built on a classic unmanaged disk, imported from a
VHD, a second version beside the first (kept versions, the VHD retention's list, the record), and the builder retired
after that. `python -m tests.plan.test_upgrade_exports` writes them again with the program checked out (SOURCES.md).
A refactoring that moves a resource (its URN), changes an input, or changes an output a user or the next run reads
(the record of published versions, the VHD's URI) fails here.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.program.sources import VHD_SOURCE
from tools.plan import cli

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / "tests/data/pulumi-state"
IMAGE_KEY = "batch-custom-image:image"


@dataclass(frozen=True)
class Deployed:
    """One export: the stack, the image settings changed from its Pulumi.<stack>.yaml, and the export the plan that
    wrote it was planned against (the record it read back), if any."""

    export: str
    stack: str
    image: dict[str, Any] = field(default_factory=dict)
    after: str | None = None


EXPORTS = [
    Deployed("dev-before-publication.json", "dev"),
    Deployed("windows-before-publication.json", "windows"),
    Deployed("dev-unmanaged-before-publication.json", "dev", {"builder": {"osDisk": "unmanaged"}, "exportVhd": False}),
    Deployed("dev-vhd-before-publication.json", "dev", VHD_SOURCE),
    Deployed("dev-bumped-before-publication.json", "dev", {"version": "1.1.0"}, after="dev-before-publication.json"),
    Deployed(
        "dev-retired-before-publication.json",
        "dev",
        {"version": "1.1.0", "builder": {"enabled": False}},
        after="dev-bumped-before-publication.json",
    ),
]


def _merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        merged[key] = _merged(base.get(key) or {}, value) if isinstance(value, dict) else value
    return merged


def _stack_file(deployed: Deployed, directory: Path) -> Path:
    document = yaml.safe_load((ROOT / f"Pulumi.{deployed.stack}.yaml").read_text())
    document["config"][IMAGE_KEY] = _merged(document["config"][IMAGE_KEY], deployed.image)
    path = directory / f"Pulumi.{deployed.export.removesuffix('.json')}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def _plan(deployed: Deployed, directory: Path, *argv: str) -> tuple[int, str, str]:
    graph = [] if "--json" in argv else ["--graph", "none"]
    stack = ["--stack", deployed.stack, "--stack-file", str(_stack_file(deployed, directory)), *graph]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([*stack, *argv])
    return code, out.getvalue(), err.getvalue()


def _stack_outputs(export: Path) -> dict[str, Any]:
    resources = json.loads(export.read_text())["deployment"]["resources"]
    return next(r["outputs"] for r in resources if r["type"] == "pulumi:pulumi:Stack")


@pytest.mark.parametrize("deployed", EXPORTS, ids=[d.export.removesuffix("-before-publication.json") for d in EXPORTS])
def test_todays_program_against_an_export_from_before_the_publication_module_changes_nothing(
    deployed: Deployed, tmp_path: Path
) -> None:
    export = STATE / deployed.export
    again = tmp_path / "again.json"
    code, out, err = _plan(deployed, tmp_path, "--against", str(export), "--as-deployed", str(again))
    assert code == 0, err
    # the canary (on by default) adds only its data-plane role and the owner of `latest`: the version published
    # before it runs no canary, and nothing deployed changes
    assert f"Against {export}: 2 to create, 0 to update, 0 to replace, 0 to delete, " in out, out
    assert _created(out) == [
        "+  create  batch-deployer-data-access (RoleAssignment)",
        "+  create  gallery-latest (GalleryLatest)",
    ]
    assert "Warnings: what this destroys that users depend on\n\nnone" in out
    # what users and the next run read: the record of published versions, the VHD, the pools, the version ids
    assert _stack_outputs(again) == _stack_outputs(export)


@pytest.mark.parametrize("deployed", EXPORTS[:2], ids=["dev", "windows"])
def test_with_the_canary_off_the_program_plans_no_change_at_all(deployed: Deployed, tmp_path: Path) -> None:
    off = Deployed(deployed.export, deployed.stack, {**deployed.image, "canary": {"enabled": False}})
    code, out, err = _plan(off, tmp_path, "--against", str(STATE / deployed.export))
    assert code == 0, err
    assert f"Against {STATE / deployed.export}: 0 to create, 0 to update, 0 to replace, 0 to delete, " in out, out


def test_a_new_version_on_a_stack_from_before_the_canary_runs_it_before_the_pools_move(tmp_path: Path) -> None:
    bumped = Deployed("dev-before-publication.json", "dev", {"version": "1.1.0"})
    code, out, err = _plan(bumped, tmp_path, "--against", str(STATE / bumped.export))
    assert code == 0, err
    lines = out.splitlines()
    assert (
        "+  create  canary (ImageCanary)" in lines and "+  create  gallery-version-1.1.0 (GalleryImageVersion)" in lines
    )
    # 1.0.0 keeps its flag as deployed (GalleryLatest owns it now): no update of the version users boot from
    assert not [line for line in lines if line.endswith("gallery-version-1.0.0 (GalleryImageVersion)")]
    for pool in ("pools-render", "pools-burst"):
        assert f"+- replace {pool} (Pool)" in lines
    # and after it: the canary is an edge before each pool in the plan's graph (the engine's dependencies)
    code, out, err = _plan(bumped, tmp_path, "--against", str(STATE / bumped.export), "--json", "-")
    plan = json.loads(out)
    urns = {r["name"]: r["urn"] for r in plan["resources"]}
    edges = {tuple(edge) for edge in plan["graph"]["edges"]}
    assert {(urns["canary"], urns["pools-render"]), (urns["canary"], urns["pools-burst"])} <= edges
    assert (urns["gallery-version-1.1.0"], urns["canary"]) in edges


def _created(out: str) -> list[str]:
    return sorted(line for line in out.splitlines() if line.startswith("+  create  "))


def test_the_exports_cover_every_way_an_image_is_published() -> None:
    """Built with and without a VHD, classic capture, imported, kept versions with the VHD retention, retired."""
    by_name = {d.export: json.loads((STATE / d.export).read_text())["deployment"]["resources"] for d in EXPORTS}

    def names(export: str) -> set[str]:
        return {r["urn"].rsplit("::", 1)[-1] for r in by_name[export]}

    assert {"capture", "vhd-retention", "builder-vm"} <= names("dev-before-publication.json")
    windows = by_name["windows-before-publication.json"]
    assert next(r for r in windows if r["urn"].endswith("::vhd-retention"))["inputs"]["keep"] == []  # no VHD
    assert "capture" not in names("dev-vhd-before-publication.json")
    assert "capture" not in names("dev-retired-before-publication.json")
    bumped = names("dev-bumped-before-publication.json")
    assert {"gallery-version-1.0.0", "gallery-version-1.1.0"} <= bumped
    retention = next(r for r in by_name["dev-bumped-before-publication.json"] if r["urn"].endswith("::vhd-retention"))
    assert len(retention["inputs"]["keep"]) == 2  # this build's VHD and the kept 1.0.0's
    record = _stack_outputs(STATE / "dev-retired-before-publication.json")["publishedImageVersions"]
    assert set(record) == {"1.0.0", "1.1.0"}


def write_exports(directory: Path) -> None:
    """Write every export with the program checked out (each after the one it reads back)."""
    for deployed in EXPORTS:
        against = ["--against", str(directory / deployed.after)] if deployed.after else []
        code, _, err = _plan(deployed, directory, *against, "--as-deployed", str(directory / deployed.export))
        (directory / f"Pulumi.{deployed.export.removesuffix('.json')}.yaml").unlink()
        if code != 0:
            raise SystemExit(f"{deployed.export}: {err}")


if __name__ == "__main__":
    write_exports(Path(sys.argv[1]) if len(sys.argv) > 1 else STATE)
