"""The Azure Compute calls the capture steps make (azure-mgmt-compute), behind a small injectable interface."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from azure.core.exceptions import ResourceNotFoundError
from azure.core.polling import LROPoller
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import GrantAccessData, VirtualMachineCaptureParameters

from components.capture.arm_ids import ArmId, disk_id_parts
from components.capture.clients import lro_polling
from components.capture.environment import Endpoints
from components.capture.errors import CaptureError

T = TypeVar("T")

ACTIVE_SAS_STATES = ("activesas", "activesasfrozen")


@dataclass(frozen=True)
class VmFacts:
    vm_id: str
    managed_os_disk_id: str | None  # managed OS disk
    os_vhd_uri: str | None  # unmanaged OS disk


@dataclass(frozen=True)
class InstanceState:
    power: str  # running, stopping, stopped, deallocating, deallocated, starting, unknown
    generalized: bool
    generalized_time: str | None

    @property
    def powered_off(self) -> bool:
        return self.power in ("stopped", "deallocating", "deallocated")


class ComputeCalls(Protocol):
    def get_vm(self) -> VmFacts | None: ...
    def instance_state(self) -> InstanceState: ...
    def deallocate(self) -> None: ...
    def generalize(self) -> None: ...
    def capture(self, vhd_prefix: str, container: str) -> str: ...
    def disk_access_active(self, disk_id: str) -> bool: ...
    def grant_read_access(self, disk_id: str, seconds: int) -> str: ...
    def revoke_access(self, disk_id: str) -> None: ...
    def serial_log_sas_uri(self) -> str | None: ...


class AzureCompute:
    """ComputeCalls against ARM; long-running operations use ARM pollers that honour Retry-After."""

    def __init__(self, client: ComputeManagementClient, endpoints: Endpoints, vm: ArmId) -> None:
        self._client = client
        self._endpoints = endpoints
        self._vm = vm

    def get_vm(self) -> VmFacts | None:
        try:
            vm = self._client.virtual_machines.get(self._vm.resource_group, self._vm.name)
        except ResourceNotFoundError:
            return None
        os_disk = vm.get("properties", {}).get("storageProfile", {}).get("osDisk", {})
        return VmFacts(
            vm_id=vm.id or "",
            managed_os_disk_id=(os_disk.get("managedDisk") or {}).get("id"),
            os_vhd_uri=(os_disk.get("vhd") or {}).get("uri"),
        )

    def instance_state(self) -> InstanceState:
        view = self._client.virtual_machines.instance_view(self._vm.resource_group, self._vm.name)
        power, generalized, when = "unknown", False, None
        for status in view.statuses or []:
            code = (status.code or "").lower()
            if code.startswith("powerstate/"):
                power = code.split("/", 1)[1]
            if code == "osstate/generalized":
                generalized = True
                when = _utc_iso(status.time) if status.time else None
        return InstanceState(power, generalized, when)

    def deallocate(self) -> None:
        poller = self._client.virtual_machines.begin_deallocate(
            self._vm.resource_group, self._vm.name, polling=lro_polling(self._endpoints)
        )
        self._finish(poller, "deallocate")

    def generalize(self) -> None:
        self._client.virtual_machines.generalize(self._vm.resource_group, self._vm.name)

    def capture(self, vhd_prefix: str, container: str) -> str:
        params = VirtualMachineCaptureParameters(
            vhd_prefix=vhd_prefix, destination_container_name=container, overwrite_vhds=False
        )
        poller = self._client.virtual_machines.begin_capture(
            self._vm.resource_group, self._vm.name, params, polling=lro_polling(self._endpoints)
        )
        return captured_vhd_uri(self._finish(poller, "capture"))

    def disk_access_active(self, disk_id: str) -> bool:
        disk = self._client.disks.get(*self._disk(disk_id))
        state = str(disk.get("properties", {}).get("diskState", "")).lower()
        return state in ACTIVE_SAS_STATES

    def grant_read_access(self, disk_id: str, seconds: int) -> str:
        data = GrantAccessData(access="Read", duration_in_seconds=seconds)
        poller = self._client.disks.begin_grant_access(*self._disk(disk_id), data, polling=lro_polling(self._endpoints))
        result = self._finish(poller, "grant access to the OS disk")
        sas = result.access_sas if result is not None else None
        if not sas:
            raise CaptureError("grant access to the OS disk returned no access URL")
        return sas

    def revoke_access(self, disk_id: str) -> None:
        poller = self._client.disks.begin_revoke_access(*self._disk(disk_id), polling=lro_polling(self._endpoints))
        self._finish(poller, "revoke access to the OS disk")

    def serial_log_sas_uri(self) -> str | None:
        data = self._client.virtual_machines.retrieve_boot_diagnostics_data(
            self._vm.resource_group, self._vm.name, sas_uri_expiration_time_in_minutes=5
        )
        return data.serial_console_log_blob_uri

    def _disk(self, disk_id: str) -> tuple[str, str]:
        parts = disk_id_parts(disk_id)
        if parts is None:
            raise CaptureError(f"the VM's OS disk id {disk_id!r} is not a managed disk id")
        return parts.resource_group, parts.name

    def _finish(self, poller: LROPoller[T], what: str) -> T:
        timeout = self._endpoints.operation_timeout_seconds
        poller.wait(timeout)
        if not poller.done():
            raise CaptureError(f"{what} did not finish within {timeout / 60:g} minutes (BCI_OPERATION_TIMEOUT_MINUTES)")
        return poller.result()


def _utc_iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def captured_vhd_uri(result: Any) -> str:
    """The VHD URI in a capture result: resources[0].properties.storageProfile.osDisk.image.uri."""
    try:
        uri = result["resources"][0]["properties"]["storageProfile"]["osDisk"]["image"]["uri"]
    except (KeyError, IndexError, TypeError):
        uri = None
    if not isinstance(uri, str) or not uri:
        raise CaptureError("the capture result has no resources[0].properties.storageProfile.osDisk.image.uri")
    return uri
