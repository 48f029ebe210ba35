"""`make fleet-plan`: every stack of a manifest planned offline with the policy pack, pool stacks fed the outputs of
their image stack's plan; exit 0 for the shipped fleet, 1 when a stack has a mandatory violation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.common.project import PROJECT_ROOT
from tools.fleet import cli


def test_the_shipped_fleet_plans_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plan", "--manifest", str(PROJECT_ROOT / "fleet/fleet.yaml"), "--workers", "2"]) == 0
    out = capsys.readouterr().out
    header, *rows = out.split("\n\n")[0].splitlines()
    assert header.split() == ["stack", "kind", "region", "resources", "changes", "mandatory", "advisory", "seconds"]
    table = {row.split()[0]: row.split() for row in rows}
    assert len(table) == 8
    for name in ("render-weu", "render-neu", "render-eus2", "win-weu", "win-neu", "win-eus2"):
        assert table[name][1] == "pools" and table[name][5] == "0"  # planned, no mandatory result
        assert int(table[name][3]) < int(table["linux-image"][3])  # no builder, capture or gallery
    assert "8 stacks in" in out


def test_a_stack_with_a_mandatory_violation_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    manifest = PROJECT_ROOT / "tests/data/fleet/mandatory.yaml"
    assert cli.main(["plan", "--manifest", str(manifest), "--workers", "2"]) == 1
    out = capsys.readouterr().out
    assert "big-pools: mandatory: batch-pool-max-nodes: pools-huge" in out


def test_a_stack_that_cannot_be_planned_exits_2_and_its_pool_stacks_are_not_planned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An image stack whose settings are refused: its row says so, and its pool stacks wait for it (exit 2)."""
    document = yaml.safe_load((PROJECT_ROOT / "tests/data/fleet/mandatory.yaml").read_text())
    image_file = tmp_path / "Pulumi.linux-image.yaml"
    config = yaml.safe_load((PROJECT_ROOT / "fleet/stacks/Pulumi.linux-image.yaml").read_text())
    config["config"]["batch-custom-image:image"]["version"] = "1.0"
    image_file.write_text(yaml.safe_dump(config))
    document["imageStacks"][0]["config"] = str(image_file)  # an absolute path: the project root is ignored
    manifest = tmp_path / "fleet.yaml"
    manifest.write_text(yaml.safe_dump(document))
    assert cli.main(["plan", "--manifest", str(manifest), "--workers", "2"]) == 2
    out = capsys.readouterr().out
    assert "linux-image: error: invalid stack configuration" in out and "image.version = '1.0'" in out
    assert "big-pools: error: not planned: the stack it needs, linux-image, can't be planned" in out
