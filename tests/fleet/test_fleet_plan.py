"""`make fleet-plan`: every stack of a manifest planned offline with the policy pack, pool stacks fed the outputs of
their image stack's plan; exit 0 for the shipped fleet, 1 when a stack has a mandatory violation."""

from __future__ import annotations

import pytest

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
