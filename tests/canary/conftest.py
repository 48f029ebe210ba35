"""Fixtures of the canary tests: the fake Batch (ARM for the canary pool, the data plane for its node, job and task),
the real dynamic-provider server running the provider as the program pickles it, and the canary's inputs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from components.canary.commands import default_command
from components.canary.provider import CanaryProvider
from fakes import batch as fake_batch
from fakes.batch import ACCOUNT_ENDPOINT, ACCOUNT_ID, SUBSCRIPTION, FakeNode, FakePool, Scenario
from fakes.provider_process import ProviderProcess, provider_processes

VERSION = "1.4.0"
DEFINITION_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/gal/images/app-node"
)
URN = "urn:pulumi:dev::batch-custom-image::pulumi-python:dynamic/canary:ImageCanary::image-canary"
VNET = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet"
SUBNET = f"{VNET}/subnets/batch"


def node(*states: str, **kwargs: Any) -> FakeNode:
    return FakeNode("template", list(states), **kwargs)


def canary_pool(*nodes: FakeNode, marker: str | None = f"{VERSION}\n", task_polls: int = 1) -> FakePool:
    """What a pool the canary creates becomes (the fake copies it under the new pool's id)."""
    return FakePool("template", list(nodes), marker=marker, task_polls=task_polls)


def booting() -> FakeNode:
    return node("creating", "starting", "waitingforstarttask", "idle")


@dataclass
class World:
    server: fake_batch.FakeBatchServer

    @property
    def fake(self) -> fake_batch.FakeBatch:
        return self.server.fake

    def puts(self) -> list[tuple[str, dict[str, Any]]]:
        """(pool name, body) of each ARM Pool - Create."""
        prefix = f"{ACCOUNT_ID}/pools/"
        return [(p.removeprefix(prefix), b) for m, p, b in self.fake.bodies if m == "PUT" and p.startswith(prefix)]

    def pool(self, name: str) -> FakePool:
        return next(p for p in self.fake.scenario.pools if p.pool_id == name)

    def delete_requested(self, name: str) -> bool:
        return self.pool(name).deleted_at is not None

    def arm_deletes(self) -> list[str]:
        return [p.rsplit("/", 1)[1] for p in self.fake.calls("DELETE", f"{ACCOUNT_ID}/pools/")]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Callable[..., World]]:
    with fake_batch.fake_batch_servers(tmp_path) as serve:
        yield lambda created, *existing, denied_first=0: World(
            serve(Scenario(list(existing), created_pool=created, data_plane_denied_first=denied_first))
        )


@pytest.fixture
def start_provider() -> Iterator[Callable[..., ProviderProcess]]:
    with provider_processes() as start:

        def make(world: World, role_wait: str = "30") -> ProviderProcess:
            return start(world.server.provider_env(BCI_POLL_SECONDS="0.05", BCI_ROLE_WAIT_SECONDS=role_wait))

        yield make


def canary_props(version: str = VERSION, **changes: Any) -> dict[str, Any]:
    """The canary's inputs as the program sends them (ImageCanaryArgs.props, outputs None, its URN, the provider)."""
    version_id = f"{DEFINITION_ID}/versions/{version}"
    props: dict[str, Any] = {
        "account_id": ACCOUNT_ID,
        "account_endpoint": ACCOUNT_ENDPOINT,
        "image_version": version,
        "image_version_id": version_id,
        "pool_body": {
            "identity": {"type": "None"},
            "properties": {
                "vmSize": "Standard_D2s_v5",
                "deploymentConfiguration": {
                    "virtualMachineConfiguration": {
                        "imageReference": {"id": version_id},
                        "nodeAgentSkuId": "batch.node.ubuntu 24.04",
                    }
                },
                "scaleSettings": {"fixedScale": {"targetDedicatedNodes": 0, "targetLowPriorityNodes": 1}},
                "networkConfiguration": {"subnetId": SUBNET},
                "startTask": {"commandLine": "/bin/sh -c 'echo ready'", "waitForSuccess": True},
                "metadata": [{"name": "team", "value": "render"}],
            },
        },
        "command": default_command("Linux", version),
        "timeout": "PT30M",
        "passed": None,
        "failure": None,
        "pool_name": None,
        "node_minutes": None,
        "job_id": None,
        "progress_urn": URN,
        "__provider": serialize_provider(CanaryProvider()),
    }
    props.update(changes)
    return props
