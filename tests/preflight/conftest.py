"""Run `tools.preflight` in-process against the HTTPS fake subscription, as a user would from the command line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.common.project import PROJECT_ROOT
from tests.preflight.fake_subscription import SUBSCRIPTION, FakeSubscription, FakeSubscriptionServer, Scenario
from tools.preflight import cli


@dataclass
class PreflightRun:
    code: int
    out: str
    err: str
    fake: FakeSubscription

    def line(self, start: str) -> str:
        """The one output line that starts with `start` (with the line after it: what to do)."""
        lines = self.out.splitlines()
        found = [i for i, line in enumerate(lines) if line.startswith(start)]
        assert len(found) == 1, f"{len(found)} lines start with {start!r}:\n{self.out}"
        return "\n".join(lines[found[0] : found[0] + 2])


RunPreflight = Callable[..., PreflightRun]


def dev_stack(tmp_path: Path, **changes: Any) -> Path:
    """Pulumi.dev.yaml with `changes` (config key without namespace -> a function editing its value in place)."""
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())
    for key, edit in changes.items():
        edit(document["config"][f"batch-custom-image:{key}"])
    path = tmp_path / "Pulumi.changed.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture
def run_preflight(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunPreflight:
    for name in ("BCI_ARM_ENDPOINT", "BCI_GRAPH_ENDPOINT", "BCI_CA_BUNDLE", "BCI_FAKE_CREDENTIAL"):
        monkeypatch.delenv(name, raising=False)

    def run(
        scenario: Scenario,
        *extra: str,
        stack_file: Path | None = None,
        resource_group: str | None = "shared-rg",
        batch: bool = True,
    ) -> PreflightRun:
        with FakeSubscriptionServer(scenario, tmp_path) as server:
            argv = ["--stack", "dev", "--subscription", SUBSCRIPTION, "--arm-endpoint", server.url]
            argv += ["--graph-endpoint", server.url, "--ca-bundle", str(server.ca_file), "--credential", "loopback"]
            if stack_file is not None:
                argv += ["--stack-file", str(stack_file)]
            if resource_group is not None:
                argv += ["--resource-group", resource_group]
            if batch:
                argv += ["--batch-endpoint", server.url]
            code = cli.main([*argv, *extra])
        captured = capsys.readouterr()
        writes = [(method, path) for method, path in server.fake.requests if method != "GET"]
        assert not writes, f"preflight must only read; it sent {writes}"
        return PreflightRun(code, captured.out, captured.err, server.fake)

    return run
