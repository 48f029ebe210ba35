"""Fixtures of the capture tests: trustme PKI, Azurite (HTTPS + OAuth), the copy proxy, the fake ARM, the provider."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.capture.fakes.arm_server import FakeArm
from tests.capture.fakes.arm_world import RESOURCE_GROUP, SUBSCRIPTION, ArmWorld, FakeVm
from tests.capture.fakes.azurite import Azurite, start_azurite
from tests.capture.fakes.copy_proxy import CopyProxy
from tests.capture.fakes.tls import TestPki, make_pki
from tests.capture.grpc_driver import ProviderProcess
from tests.capture.program_pickle import program_capture

STORAGE_ACCOUNT_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Storage/storageAccounts/imgacct"
)
# What the program passes; BCI_BLOB_ENDPOINT sends the provider's blob calls to the local fakes instead.
PROGRAM_BLOB_ENDPOINT = "https://imgacct.blob.core.windows.net/"


@dataclass
class Fakes:
    pki: TestPki
    azurite: Azurite
    proxy: CopyProxy
    arm: FakeArm

    def provider_env(self, **overrides: str) -> dict[str, str]:
        env = {
            "BCI_ARM_ENDPOINT": self.arm.base_url,
            "BCI_BLOB_ENDPOINT": self.proxy.account_url + "/",
            "BCI_CA_BUNDLE": str(self.pki.ca_pem),
            "BCI_FAKE_CREDENTIAL": "1",
            "BCI_POLL_SECONDS": "0.05",
            "BCI_RETRY_BACKOFF_SECONDS": "0.02",
            "BCI_OPERATION_TIMEOUT_MINUTES": "1",
        }
        return {**env, **overrides}


@pytest.fixture(scope="session")
def fakes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fakes]:
    root: Path = tmp_path_factory.mktemp("capture-fakes")
    pki = make_pki(root / "pki")
    azurite = start_azurite(pki, root / "azurite")
    proxy = CopyProxy(pki, azurite)
    arm = FakeArm(pki, azurite)
    try:
        yield Fakes(pki, azurite, proxy, arm)
    finally:
        arm.stop()
        proxy.stop()
        azurite.stop()


@pytest.fixture
def world(fakes: Fakes) -> ArmWorld:
    """A fresh fake-ARM world and copy proxy for each test (Azurite's blobs persist; tests use fresh names)."""
    fakes.proxy.reset()
    return fakes.arm.reset()


@pytest.fixture(scope="session")
def shared_provider(fakes: Fakes) -> Iterator[ProviderProcess]:
    process = ProviderProcess(fakes.provider_env())
    process.configure({"batch-custom-image:image": "{}"})
    yield process
    process.close()


@pytest.fixture
def start_provider(fakes: Fakes) -> Iterator[Callable[..., ProviderProcess]]:
    """Fresh provider processes (for tests that kill one, or need other environment variables)."""
    started: list[ProviderProcess] = []

    def start(**env: str) -> ProviderProcess:
        process = ProviderProcess(fakes.provider_env(**env))
        process.configure({})
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


_containers = itertools.count(1)


@pytest.fixture
def container(fakes: Fakes) -> str:
    name = f"images{next(_containers)}"
    fakes.azurite.admin().create_container(name)
    return name


@pytest.fixture
def inputs(container: str) -> Callable[..., dict[str, Any]]:
    """The program's capture inputs (and pickled provider) pointed at a fake VM and a fresh container."""
    program = program_capture()

    def make(vm: FakeVm, **overrides: Any) -> dict[str, Any]:
        props = {
            **program["inputs"],
            "vm_id": vm.id,
            "os_disk_mode": "managed" if vm.managed else "unmanaged",
            "storage_account_id": STORAGE_ACCOUNT_ID,
            "blob_endpoint": PROGRAM_BLOB_ENDPOINT,
            "vhd_container": container,
            "__provider": program["provider"],
        }
        return {**props, **overrides}

    return make
