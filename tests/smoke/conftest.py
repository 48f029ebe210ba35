"""Run `tools.smoke` in-process against the HTTPS fake, as a user would from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fakes.batch import FakeBatch, FakeBatchServer, Scenario
from tools.smoke import cli

GALLERY_VERSION_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-batch/providers/Microsoft.Compute"
    "/galleries/gal/images/app-node/versions/{version}"
)
# Short simulated durations: a poll every 20 ms, at most a few seconds per run.
FAST = ["--poll-interval", "0.02", "--timeout", "5", "--task-timeout", "5"]


def stack_outputs(scenario: Scenario, version: str = "1.0.0") -> dict[str, Any]:
    """The program's stack outputs (the contract in DESIGN.md) for the scenario's pools."""
    return {
        "resourceGroupName": "rg-batch",
        "location": "westeurope",
        "storageAccountName": "stbatchimg",
        "imageVhdUri": "",
        "galleryImageVersionId": GALLERY_VERSION_ID.format(version=version),
        "batchAccountName": "batchacct",
        "batchAccountEndpoint": "batchacct.westeurope.batch.azure.com",
        "pools": {
            pool.pool_id: {
                "id": f"/subscriptions/0/resourceGroups/rg-batch/providers/Microsoft.Batch/batchAccounts/batchacct"
                f"/pools/{pool.pool_id}",
                "poolName": pool.pool_id,
                "vmSize": "Standard_D4ds_v5",
                "nodeAgentSkuId": pool.node_agent_sku_id,
            }
            for pool in scenario.pools
        },
    }


@dataclass
class SmokeRun:
    code: int
    out: str
    err: str
    fake: FakeBatch

    def deleted_jobs(self) -> list[str]:
        return [path.split("/")[2] for path in self.fake.calls("DELETE", "/jobs/")]

    def created_jobs(self) -> list[str]:
        return list(self.fake.jobs)


RunSmoke = Callable[..., SmokeRun]


@pytest.fixture
def run_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> RunSmoke:
    def run(scenario: Scenario, *extra: str, outputs: dict[str, Any] | None = None) -> SmokeRun:
        outputs_file = tmp_path / "outputs.json"
        outputs_file.write_text(json.dumps(outputs if outputs is not None else stack_outputs(scenario)))
        with FakeBatchServer(scenario, tmp_path) as server:
            argv = [
                "--outputs",
                str(outputs_file),
                "--endpoint-url",
                server.url,
                "--ca-bundle",
                str(server.ca_file),
                "--credential",
                "loopback",
                *FAST,
                *extra,
            ]
            code = cli.main(argv)
        captured = capsys.readouterr()
        return SmokeRun(code, captured.out, captured.err, server.fake)

    return run
