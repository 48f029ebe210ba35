"""Fixtures of the pool drain tests: the fake Batch (wall-clock pools; the drain calls its management plane, a
consumer its data plane), the real dynamic-provider server with the provider the program pickles, and a consumer's
Batch client submitting jobs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.batch import BatchClient
from azure.batch.models import BatchJobCreateOptions, BatchPoolInfo, BatchTask, BatchTaskCreateOptions

from fakes.batch import (
    ACCOUNT_ENDPOINT,
    ACCOUNT_ID,
    FakeBatch,
    FakeBatchServer,
    FakeNode,
    FakePool,
    Scenario,
    fake_batch_servers,
)
from fakes.provider_process import ProviderProcess, provider_processes
from tools.plan.program_pickle import program_capture
from tools.smoke.client import ClientSettings, make_client

OLD_POOL = "pools-render-old1234"
NEW_POOL = "pools-render-new5678"


def live_pool(pool_id: str, nodes: int = 2, task_seconds: float = 3.0, **kwargs: Any) -> FakePool:
    return FakePool(
        pool_id, [FakeNode(f"{pool_id}-node{i}", ["idle"]) for i in range(nodes)], task_seconds=task_seconds, **kwargs
    )


@dataclass
class BatchWorld:
    server: FakeBatchServer
    client: BatchClient

    @property
    def fake(self) -> FakeBatch:
        return self.server.fake

    def pool(self, pool_id: str) -> FakePool:
        found = next(p for p in self.fake.scenario.pools if p.pool_id == pool_id)
        return found

    def submit(self, pool_id: str, job_id: str, task_id: str = "work") -> None:
        """What a consumer does with the stack output poolName: a job on that pool and a task in it."""
        self.client.create_job(BatchJobCreateOptions(id=job_id, pool_info=BatchPoolInfo(pool_id=pool_id)))
        self.client.create_task(job_id, BatchTaskCreateOptions(id=task_id, command_line="/bin/true"))

    def task(self, job_id: str, task_id: str = "work") -> BatchTask:
        return self.client.get_task(job_id, task_id)

    def task_ends(self, job_id: str, task_id: str = "work") -> float:
        """When (time.monotonic()) the fake's task ends."""
        return float(self.fake.jobs[job_id].tasks[task_id]["_ends"])

    def arm_path(self, pool_id: str) -> str:
        return f"{ACCOUNT_ID}/pools/{pool_id}"

    def resizes(self, pool_id: str) -> list[dict[str, Any]]:
        """The drain's resize requests of the pool: ARM PATCH bodies carrying scaleSettings."""
        patches = self.fake.bodies_of("PATCH", self.arm_path(pool_id))
        return [body["properties"] for body in patches if "scaleSettings" in body.get("properties", {})]

    def gone(self, pool_id: str) -> bool:
        with self.fake.lock:
            return self.fake.pool(pool_id) is None


@pytest.fixture
def batch(tmp_path: Path) -> Iterator[Callable[..., BatchWorld]]:
    with fake_batch_servers(tmp_path) as serve:

        def start(*pools: FakePool) -> BatchWorld:
            server = serve(Scenario(list(pools)))
            return BatchWorld(server, make_client(ClientSettings(server.url, str(server.ca_file), "loopback")))

        yield start


@pytest.fixture
def start_provider() -> Iterator[Callable[..., ProviderProcess]]:
    """A provider process for the world's fake Batch; `args`: the plugin's arguments (the engine's address)."""
    with provider_processes() as start:
        yield lambda world, args=None: start(world.server.provider_env(), args)


@pytest.fixture
def drain_props() -> Callable[..., dict[str, Any]]:
    """The program's drain inputs (and its pickled provider) for another pool of the fake's account and timeout."""
    program = program_capture()

    def make(pool_name: str, drain_timeout: str = "PT2H") -> dict[str, Any]:
        return {
            **program["drain_inputs"],
            "pool_name": pool_name,
            "account_endpoint": ACCOUNT_ENDPOINT,
            "drain_timeout": drain_timeout,
            "pool_resource_id": f"{ACCOUNT_ID}/pools/{pool_name}",
            "__provider": program["drain_provider"],
        }

    return make


@pytest.fixture
def main_drain_props(drain_props: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A drain record exactly as the program before `pool_resource_id` wrote it (main at 962c36f): three inputs and
    the pickled provider, nothing else."""

    def make(pool_name: str, drain_timeout: str = "PT2H") -> dict[str, Any]:
        keys = ("pool_name", "account_endpoint", "drain_timeout", "__provider")
        return {key: drain_props(pool_name, drain_timeout)[key] for key in keys}

    return make


def wait_for(predicate: Callable[[], object], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the fake"
        time.sleep(0.02)
