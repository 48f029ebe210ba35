"""Wires the Azure clients for one provider call: credential, compute calls and the VHD store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from components.capture.arm_ids import vm_id_parts
from components.capture.clients import compute_client
from components.capture.compute import AzureCompute, ComputeCalls
from components.capture.environment import Endpoints, from_environment
from components.capture.errors import CaptureError
from components.capture.interrupt import Clock, SystemClock
from components.capture.vhd_store import AzureVhdStore, VhdStore
from components.common.environment import credential
from components.common.provider_kit import closing


@dataclass
class Cloud:
    endpoints: Endpoints
    compute: ComputeCalls
    vhds: VhdStore | None
    clock: Clock


@contextmanager
def open_cloud(vm_id: str, blob_endpoint: str) -> Iterator[Cloud]:
    """Clients for the VM's subscription (taken from the VM id) and, when given, the storage account's blobs."""
    vm = vm_id_parts(vm_id)
    if vm is None:
        raise CaptureError(f"vm_id {vm_id!r} is not the ARM id of a virtual machine")
    endpoints = from_environment()
    clock = SystemClock()
    with closing(credential(endpoints)) as cred, compute_client(endpoints, cred, vm.subscription_id) as client:
        vhds = AzureVhdStore(endpoints, cred, blob_endpoint) if blob_endpoint else None
        yield Cloud(endpoints, AzureCompute(client, endpoints, vm, clock), vhds, clock)
