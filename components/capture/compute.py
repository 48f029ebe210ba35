"""The Azure Compute calls the capture steps make (azure-mgmt-compute), behind a small injectable interface."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.polling import LROPoller
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import GrantAccessData, VirtualMachineCaptureParameters

from components.capture.arm_ids import ArmId, disk_id_parts
from components.capture.clients import lro_polling
from components.capture.environment import Endpoints
from components.capture.errors import CaptureError
from components.capture.interrupt import CHECK_SECONDS, Clock, Interrupted, utc_iso
from components.capture.serial_log import read_tail

T = TypeVar("T")

ACTIVE_SAS_STATES = ("activesas", "activesasfrozen")


@dataclass(frozen=True)
class VmFacts:
    vm_id: str
    instance_id: str  # properties.vmId: unique to this VM instance, even when a VM is recreated under the same name
    created: datetime | None  # properties.timeCreated: the guest's deadline counts from here
    managed_os_disk_id: str | None  # managed OS disk
    os_vhd_uri: str | None  # unmanaged OS disk


@dataclass(frozen=True)
class DiskFacts:
    active_sas: bool  # diskState ActiveSAS / ActiveSASFrozen: a read SAS granted on it is still valid
    size_gb: int | None


class OperationInProgress(CaptureError):
    """ARM answered 409: another operation (perhaps an earlier run's) is still running on the VM."""


@dataclass(frozen=True)
class InstanceState:
    power: str  # running, stopping, stopped, deallocating, deallocated, starting, unknown
    generalized: bool
    generalized_time: str | None
    busy: bool = False  # ProvisioningState/updating: an operation (perhaps an earlier run's) still runs on the VM

    @property
    def powered_off(self) -> bool:
        return self.power in ("stopped", "deallocating", "deallocated")


class ComputeCalls(Protocol):
    def get_vm(self) -> VmFacts | None: ...
    def instance_state(self) -> InstanceState: ...
    def deallocate(self) -> None: ...
    def generalize(self) -> None: ...
    def capture(self, vhd_prefix: str, container: str) -> str: ...
    def disk(self, disk_id: str) -> DiskFacts | None: ...
    def grant_read_access(self, disk_id: str, seconds: int) -> str: ...
    def revoke_access(self, disk_id: str, wait: bool = True) -> None: ...
    def serial_log(self) -> str | None: ...  # the end of the serial console log; None without boot diagnostics


class AzureCompute:
    """ComputeCalls against ARM; long-running operations use ARM pollers that honour Retry-After, and their waits end
    when the engine stops the provider (the operation itself goes on in Azure; a rerun finds it)."""

    def __init__(self, client: ComputeManagementClient, endpoints: Endpoints, vm: ArmId, clock: Clock) -> None:
        self._client = client
        self._endpoints = endpoints
        self._vm = vm
        self._clock = clock

    def get_vm(self) -> VmFacts | None:
        try:
            vm = self._client.virtual_machines.get(self._vm.resource_group, self._vm.name)
        except ResourceNotFoundError:
            return None
        props = vm.get("properties", {})
        os_disk = props.get("storageProfile", {}).get("osDisk", {})
        created = props.get("timeCreated")
        return VmFacts(
            vm_id=vm.id or "",
            instance_id=str(props.get("vmId") or ""),
            created=_aware(datetime.fromisoformat(created)) if created else None,
            managed_os_disk_id=(os_disk.get("managedDisk") or {}).get("id"),
            os_vhd_uri=(os_disk.get("vhd") or {}).get("uri"),
        )

    def instance_state(self) -> InstanceState:
        view = self._client.virtual_machines.instance_view(self._vm.resource_group, self._vm.name)
        power, generalized, when, busy = "unknown", False, None, False
        for status in view.statuses or []:
            code = (status.code or "").lower()
            if code.startswith("powerstate/"):
                power = code.split("/", 1)[1]
            if code in ("provisioningstate/updating", "provisioningstate/creating"):
                busy = True
            if code == "osstate/generalized":
                generalized = True
                when = utc_iso(status.time) if status.time else None
        return InstanceState(power, generalized, when, busy)

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
        try:
            poller = self._client.virtual_machines.begin_capture(
                self._vm.resource_group, self._vm.name, params, polling=lro_polling(self._endpoints)
            )
        except HttpResponseError as err:
            if err.status_code == 409:
                raise OperationInProgress(f"ARM refused the capture: {err.message}") from None
            raise
        return captured_vhd_uri(self._finish(poller, "capture"))

    def disk(self, disk_id: str) -> DiskFacts | None:
        try:
            disk = self._client.disks.get(*self._disk(disk_id))
        except ResourceNotFoundError:
            return None
        props = disk.get("properties", {})
        size = props.get("diskSizeGB")
        return DiskFacts(str(props.get("diskState", "")).lower() in ACTIVE_SAS_STATES, int(size) if size else None)

    def grant_read_access(self, disk_id: str, seconds: int) -> str:
        data = GrantAccessData(access="Read", duration_in_seconds=seconds)
        poller = self._client.disks.begin_grant_access(*self._disk(disk_id), data, polling=lro_polling(self._endpoints))
        result = self._finish(poller, "grant access to the OS disk")
        sas = result.access_sas if result is not None else None
        if not sas:
            raise CaptureError("grant access to the OS disk returned no access URL")
        return sas

    def revoke_access(self, disk_id: str, wait: bool = True) -> None:
        """Revoke the disk's SAS; `wait=False` only sends the request (on interrupt: Azure completes it alone)."""
        poller = self._client.disks.begin_revoke_access(*self._disk(disk_id), polling=lro_polling(self._endpoints))
        if wait:
            self._finish(poller, "revoke access to the OS disk")

    def serial_log(self) -> str | None:
        data = self._client.virtual_machines.retrieve_boot_diagnostics_data(
            self._vm.resource_group, self._vm.name, sas_uri_expiration_time_in_minutes=5
        )
        uri = data.serial_console_log_blob_uri
        return read_tail(uri, self._endpoints.verify) if uri else None

    def _disk(self, disk_id: str) -> tuple[str, str]:
        parts = disk_id_parts(disk_id)
        if parts is None:
            raise CaptureError(f"the VM's OS disk id {disk_id!r} is not a managed disk id")
        return parts.resource_group, parts.name

    def _finish(self, poller: LROPoller[T], what: str) -> T:
        timeout = self._endpoints.operation_timeout_seconds
        deadline = self._clock.monotonic() + timeout
        while not poller.done():
            if self._clock.cancelled():
                raise Interrupted(f"stopped waiting for '{what}', which goes on in Azure")
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0:
                raise CaptureError(
                    f"{what} did not finish within {timeout / 60:g} minutes (BCI_OPERATION_TIMEOUT_MINUTES)"
                )
            poller.wait(min(CHECK_SECONDS, remaining))
        return poller.result()


def captured_vhd_uri(result: Any) -> str:
    """The VHD URI in a capture result: resources[0].properties.storageProfile.osDisk.image.uri."""
    try:
        uri = result["resources"][0]["properties"]["storageProfile"]["osDisk"]["image"]["uri"]
    except (KeyError, IndexError, TypeError):
        uri = None
    if not isinstance(uri, str) or not uri:
        raise CaptureError("the capture result has no resources[0].properties.storageProfile.osDisk.image.uri")
    return uri


def _aware(when: datetime) -> datetime:
    """ARM writes timeCreated with an offset; one without is UTC."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)
