"""Fixtures of the capture tests: trustme PKI, Azurite (HTTPS + OAuth), the copy proxy, the fake ARM, the provider."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

from components.capture.spec import CaptureSpec, captured_blob_prefix, export_blob_name
from fakes.arm_world import RESOURCE_GROUP, SUBSCRIPTION, ArmWorld, FakeVm
from fakes.provider_process import ProviderProcess, provider_processes
from fakes.stack import Fakes, fakes_fixture
from tools.plan.program_pickle import program_capture

STORAGE_ACCOUNT_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Storage/storageAccounts/imgacct"
)
# What the program passes; BCI_BLOB_ENDPOINT sends the provider's blob calls to the local fakes instead.
PROGRAM_BLOB_ENDPOINT = "https://imgacct.blob.core.windows.net/"


fakes = fakes_fixture("session", "capture-fakes")


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
    with provider_processes() as start:
        yield lambda **env: start(fakes.provider_env(**env))


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


@pytest.fixture
def as_cleanup() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The clean-up resource's props for a capture's props (the same inputs, its own pickled provider)."""
    provider = program_capture()["cleanup_provider"]
    return lambda props: {**props, "__provider": provider}


def wait_for(predicate: Callable[[], object], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the fakes"
        time.sleep(0.02)


def killed_create(
    start: Callable[..., ProviderProcess],
    props: dict[str, Any],
    when: Callable[[], object],
    after_kill: Callable[[], object] = lambda: None,
) -> None:
    """A create SIGKILLed (a crash: no handler runs) as soon as `when()` holds; `after_kill` e.g. releases a held
    response, which then reaches nobody."""
    process = start()
    pending = process.create_async(props)
    wait_for(when)
    process.kill()
    after_kill()
    with pytest.raises(grpc.RpcError):
        pending.result()


def export_name(props: dict[str, Any], vm: FakeVm) -> str:
    """Where the provider exports this VM's OS disk: the name is keyed on the VM instance (spec.artifact_stem)."""
    return export_blob_name(CaptureSpec.from_props(props), vm.instance_id)


def capture_prefix(props: dict[str, Any], vm: FakeVm) -> str:
    """Where the VM capture API writes this VM's VHD in container 'system'."""
    return captured_blob_prefix(CaptureSpec.from_props(props), vm.instance_id)
