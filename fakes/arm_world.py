"""The fake ARM's world: VMs, managed disks, long-running operations, faults and the request log.

Behaves like Azure where the capture step depends on it: the guest powers itself off (or never does) and writes its
build-proof markers (or does not), deallocate / capture / grant / revoke are long-running
(202 + Azure-AsyncOperation + Location + Retry-After), generalize needs a powered-off VM, capture needs a generalized
unmanaged VM, grant-access needs the disk's VM off, a VM refuses a second operation while one runs (409), a disk's
SAS expires after the granted duration, and a disk with an active SAS cannot be deleted (409). Capture and
grant-access work on real blobs in Azurite.

The simulated guest proves its build as the real one does (components/common/proof.py): it writes its markers into
Azurite's `build-proof` container with Put Blob and a bearer token (`FakeGuest`), whatever its serial console does;
a Windows guest whose COM1 is unavailable (Azure's Special Administration Console holds it) writes no serial line at
all and still completes. In the real guest's order: `setup-done` when its setup has finished (the VM is created
with it here), `generalized` only after deprovisioning, `ArmWorld.shutdown_seconds` before it powers the VM off
(components/cloud_init.py writes it, then runs `systemctl poweroff`; image/build-driver.ps1 writes it once Windows
reports the image generalized, then the VM powers itself off), so a guest that never powers off never wrote it.
"""

from __future__ import annotations

import itertools
import ssl
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.storage.blob import BlobSasPermissions, generate_blob_sas

from components.common.console import proof_line
from components.common.loopback import LoopbackTestCredential
from components.common.os_type import OsType
from components.common.proof import (
    BLOB_API_VERSION,
    FAILED,
    GENERALIZED,
    PROOF_CONTAINER,
    SETUP_DONE,
    STORAGE_RESOURCE,
    generalized_body,
    marker_header,
    marker_name,
)
from fakes.azurite import ACCOUNT, ACCOUNT_KEY, Azurite

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
RESOURCE_GROUP = "rg-image"
LOCATION = "westeurope"
DISK_CONTAINER = "md-disks"  # stands in for the hidden storage of managed disks
OS_VHD_CONTAINER = "vhds"  # unmanaged OS disks live in the image storage account
BOOT_DIAG_CONTAINER = "bootdiagnostics"
VM_OPERATIONS = ("deallocate", "capture")  # long-running operations on a VM: one at a time


class ArmError(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


@dataclass
class Fault:
    op: str
    status: int = 0  # answer with this HTTP error instead of handling the request
    times: int = 1
    retry_after: str | None = None
    code: str = "InternalServerError"
    message: str = "Injected fault."
    fail_operation: bool = False  # accept the long-running operation, then end it with status Failed
    hold: bool = False  # handle the request, then hold the response until `release` is set (crash tests)
    kind: str | None = None  # for operation_status / operation_result: only polls of this operation kind
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    used: int = 0


@dataclass
class LogEntry:
    t: float
    method: str
    path: str
    op: str
    status: int = 0
    retry_after: float | None = None
    op_id: str | None = None


@dataclass
class FakeVm:
    name: str
    managed: bool
    power: str
    power_off_at: float | None
    serial_log: str
    generalized_time: str | None = None
    instance_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # properties.vmId
    created: datetime = field(default_factory=lambda: datetime.now(UTC))  # properties.timeCreated
    pending_proof: Callable[[], None] | None = None  # the guest's last marker, written just before its power-off

    @property
    def id(self) -> str:
        return vm_id(self.name)

    @property
    def disk_name(self) -> str:
        return f"{self.name}-osdisk"

    @property
    def disk_id(self) -> str | None:
        return disk_id(self.disk_name) if self.managed else None


@dataclass
class FakeDisk:
    name: str
    vm: FakeVm
    access_active: bool = False
    access_expires: float | None = None  # monotonic time the SAS expires (Azure ends ActiveSAS then)
    grants: int = 0
    revokes: int = 0
    granted_seconds: list[int] = field(default_factory=list)

    @property
    def blob_name(self) -> str:
        return f"{self.name}.vhd"


@dataclass
class Operation:
    id: str
    kind: str
    started: float
    duration: float
    on_success: Callable[[], dict[str, Any] | None]
    fail: Fault | None = None
    target: str = ""  # the VM it runs on (lower-case name), for the one-operation-at-a-time rule
    status: str = "InProgress"
    result: dict[str, Any] | None = None


class FakeGuest:
    """The builder guest's side of the proof, as the rendered guest setup does it with curl / Invoke-RestMethod.

    Token: the guest asks the instance metadata service for a token of its user-assigned identity
    (GET http://169.254.169.254/metadata/identity/oauth2/token?resource=https://storage.azure.com/&client_id=...,
    header Metadata: true; learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token);
    here the loopback test credential stands in for IMDS and issues a token for the same resource, which Azurite
    (--oauth basic) checks. Write: Put Blob (learn.microsoft.com/rest/api/storageservices/put-blob) with
    `x-ms-blob-type: BlockBlob`, `x-ms-version` and `Authorization: Bearer`, to `<container URL><vmId>/<phase>`.
    """

    def __init__(self, azurite: Azurite, instance_id: str, names: str) -> None:
        self._azurite, self.instance_id, self.names = azurite, instance_id, names  # names: the vmId its bodies name

    def write(self, phase: str, body: str) -> None:
        token = LoopbackTestCredential().get_token(f"{STORAGE_RESOURCE}.default").token
        url = f"{self._azurite.account_url}/{PROOF_CONTAINER}/{marker_name(self.instance_id, phase)}"
        request = urllib.request.Request(
            url,
            data=body.encode(),
            method="PUT",
            headers={
                "x-ms-blob-type": "BlockBlob",
                "x-ms-version": BLOB_API_VERSION,
                "Authorization": f"Bearer {token}",
                "Content-Type": "text/plain; charset=utf-8",
            },
        )
        context = ssl.create_default_context(cafile=str(self._azurite.pki.ca_pem))
        with urllib.request.urlopen(request, context=context, timeout=10) as answer:
            if answer.status != 201:  # Put Blob answers 201 Created
                raise RuntimeError(f"Put Blob of {url} answered {answer.status}")


def vm_id(name: str) -> str:
    return (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachines/"
        + name
    )


def disk_id(name: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Compute/disks/{name}"


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


class ArmWorld:
    def __init__(self, azurite: Azurite, base_url: str) -> None:
        self.azurite = azurite
        self.base_url = base_url
        self.retry_after = 0.1  # seconds advertised on 202s and InProgress polls (fractions parse in azure-core)
        # How long before its power-off a guest writes its generalized marker: the time `systemctl poweroff` (or
        # Windows' shutdown after sysprep) takes; seconds on Azure, scaled down like the other durations here.
        self.shutdown_seconds = 0.2
        self.durations = {"deallocate": 0.2, "capture": 0.2, "grant_access": 0.2, "revoke_access": 0.1}
        self.vms: dict[str, FakeVm] = {}
        self.disks: dict[str, FakeDisk] = {}
        self.ops: dict[str, Operation] = {}
        self.faults: list[Fault] = []
        self.log: list[LogEntry] = []
        # gallery image versions (lower-case ARM id -> [ARM id, publishingProfile.excludeFromLatest])
        self.gallery_versions: dict[str, list[Any]] = {}
        self.lock = threading.RLock()
        self._names = itertools.count(1)
        admin = azurite.admin()
        for container in (DISK_CONTAINER, OS_VHD_CONTAINER, BOOT_DIAG_CONTAINER, "system", PROOF_CONTAINER):
            if not admin.get_container_client(container).exists():
                admin.create_container(container)

    # --- test set-up ----------------------------------------------------------------------------------------------

    def add_vm(
        self,
        managed: bool = True,
        power_off_after: float | None = 0.0,
        serial_log: str | None = None,
        power: str = "running",
        generalized: bool = False,
        disk_bytes: int = 64 * 1024,
        deprovisioned: bool = True,
        age_minutes: float = 0.0,
        os_type: OsType = "Linux",
        failure: str | None = None,
        com1: bool = True,
        marker_vm_id: str | None = None,
    ) -> FakeVm:
        """A builder VM; by default its guest deprovisions, writes its markers and powers off at once.

        `deprovisioned=False`: the guest powers off (or was stopped) without its generalized marker. `failure`: the
        guest writes a failed marker with this text (failure line and log tail) and never powers off. `com1=False`:
        a Windows guest whose serial port is held by the Special Administration Console: its serial log stays empty.
        `marker_vm_id`: the guest's markers name this vmId instead of its own (markers copied from another VM).
        """
        name = f"builder{next(self._names)}-{uuid.uuid4().hex[:6]}"
        vm = FakeVm(
            name,
            managed,
            power,
            None if power_off_after is None or failure is not None else time.monotonic() + power_off_after,
            "",
            _iso(datetime.now(UTC)) if generalized else None,
        )
        vm.created = datetime.now(UTC) - timedelta(minutes=age_minutes)
        guest = FakeGuest(self.azurite, vm.instance_id, marker_vm_id or vm.instance_id)
        proves = deprovisioned and failure is None
        if serial_log is None:
            proof = f"{proof_line(os_type, vm.instance_id)}\n" if proves else ""
            serial_log = f"cloud-init: setup finished\nwaagent: deprovisioned\n{proof}reboot: Power down\n"
            if failure is not None:
                serial_log = f"{failure}\n"
        vm.serial_log = serial_log if com1 else ""
        if failure is not None:
            guest.write(FAILED, f"{marker_header(FAILED, guest.names)}\n{failure}\n")
        elif proves:  # setup done; the generalized marker comes with the power-off (`power_off_after`, advance())
            guest.write(SETUP_DONE, f"{marker_header(SETUP_DONE, guest.names)}\n")
            vm.pending_proof = lambda: guest.write(GENERALIZED, generalized_body(os_type, guest.names))
            if power != "running":  # the guest finished (and powered off) before the test began
                self._prove(vm)
        admin = self.azurite.admin()
        content = (name.encode() * (disk_bytes // len(name) + 1))[:disk_bytes]
        if managed:
            disk = FakeDisk(vm.disk_name, vm)
            admin.get_blob_client(DISK_CONTAINER, disk.blob_name).upload_blob(content, overwrite=True)
            self.disks[disk.name.lower()] = disk
        else:
            admin.get_blob_client(OS_VHD_CONTAINER, self.os_vhd_blob(vm)).upload_blob(content, overwrite=True)
        admin.get_blob_client(BOOT_DIAG_CONTAINER, f"{name}.serialconsole.log").upload_blob(
            vm.serial_log, overwrite=True
        )
        self.vms[name.lower()] = vm
        return vm

    def add_gallery_version(self, image_id: str, name: str, exclude_from_latest: bool = False) -> str:
        """A version of the gallery image `image_id` (a definition's ARM id); returns the version's ARM id."""
        version_id = f"{image_id}/versions/{name}"
        self.gallery_versions[version_id.lower()] = [version_id, exclude_from_latest]
        return version_id

    def gallery_version(self, version_id: str) -> list[Any]:
        found = self.gallery_versions.get(version_id.lower())
        if found is None:
            raise _not_found("galleries/images/versions", version_id.rsplit("/", 1)[1])
        return found

    def excluded(self, version_id: str) -> bool:
        return bool(self.gallery_version(version_id)[1])

    def markers(self, vm: FakeVm) -> list[str]:
        """The marker blobs under this VM's vmId, for assertions."""
        client = self.azurite.admin().get_container_client(PROOF_CONTAINER)
        return sorted(b.name for b in client.list_blobs(name_starts_with=f"{vm.instance_id.lower()}/"))

    def set_serial_log(self, vm: FakeVm, text: str) -> None:
        vm.serial_log = text
        self.azurite.admin().get_blob_client(BOOT_DIAG_CONTAINER, f"{vm.name}.serialconsole.log").upload_blob(
            text, overwrite=True
        )

    def delete_disk(self, name: str) -> None:
        """DELETE of a managed disk, as Azure answers it (the builder VM's deletion deletes its OS disk too)."""
        with self.lock:
            self.advance()
            disk = self.disk(name)
            if disk.access_active:
                raise ArmError(
                    409,
                    "OperationNotAllowed",
                    f"Disk '{disk.name}' cannot be deleted: it has an active shared access signature. "
                    "Revoke access to the disk first.",
                )
            del self.disks[name.lower()]

    def fault(self, op: str, **kwargs: Any) -> Fault:
        fault = Fault(op, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def throttle(self, op: str, retry_after_seconds: int, times: int = 1000) -> Fault:
        """Answer `op` with 429 and a whole-second Retry-After, as ARM throttles a subscription or a resource provider.

        What Azure sends: "Understand how Azure Resource Manager throttles requests"
        (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling): "When you
        reach the limit, you receive the HTTP status code 429 Too many requests", with "a Retry-After value, which
        specifies the number of seconds your application should wait (or sleep) before sending the next request";
        the Compute resource provider's own limits answer the same way, with error code OperationNotAllowed
        ("Troubleshooting API throttling errors",
        https://learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/troubleshooting-throttling-errors).
        A retry sent before Retry-After has passed is throttled again, so `times` defaults to "for the whole test".
        """
        return self.fault(
            op,
            status=429,
            retry_after=str(retry_after_seconds),
            times=times,
            code="OperationNotAllowed",
            message="The server rejected the request because too many requests have been received for this "
            "subscription.",
        )

    def os_vhd_blob(self, vm: FakeVm) -> str:
        return f"{vm.name}-osdisk.vhd"

    def blob_url(self, container: str, name: str) -> str:
        return f"{self.azurite.account_url}/{container}/{name}"

    def sas_url(self, container: str, name: str, minutes: float) -> str:
        sas = generate_blob_sas(
            ACCOUNT,
            container,
            name,
            account_key=ACCOUNT_KEY,
            permission=BlobSasPermissions(read=True),
            expiry=datetime.now(UTC) + timedelta(minutes=minutes),
        )
        return f"{self.blob_url(container, name)}?{sas}"

    # --- observations for assertions -------------------------------------------------------------------------------

    def requests(self, op: str | None = None, method: str | None = None) -> list[LogEntry]:
        with self.lock:
            return [e for e in self.log if (op is None or e.op == op) and (method is None or e.method == method)]

    def disk_of(self, vm: FakeVm) -> FakeDisk:
        return self.disks[vm.disk_name.lower()]

    # --- request handling -----------------------------------------------------------------------------------------

    def take_fault(self, op: str, kind: str | None = None) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.op == op and fault.kind in (None, kind) and fault.used < fault.times:
                    fault.used += 1
                    return fault
        return None

    def advance(self) -> None:
        """Let time act: guests power off, due operations finish."""
        now = time.monotonic()
        with self.lock:
            for vm in self.vms.values():
                if vm.power != "running" or vm.power_off_at is None:
                    continue
                if now >= vm.power_off_at - self.shutdown_seconds:
                    self._prove(vm)  # deprovisioned: the marker, then the power-off
                if now >= vm.power_off_at:
                    vm.power = "stopped"
            for disk in self.disks.values():
                if disk.access_active and disk.access_expires is not None and now >= disk.access_expires:
                    disk.access_active, disk.access_expires = False, None
            for op in self.ops.values():
                if op.status == "InProgress" and now >= op.started + op.duration:
                    self._finish(op)

    @staticmethod
    def _prove(vm: FakeVm) -> None:
        write, vm.pending_proof = vm.pending_proof, None
        if write is not None:
            write()

    def _finish(self, op: Operation) -> None:
        if op.fail is not None:
            op.status = "Failed"
            return
        op.result = op.on_success()
        op.status = "Succeeded"

    def vm(self, name: str) -> FakeVm:
        vm = self.vms.get(name.lower())
        if vm is None:
            raise _not_found("virtualMachines", name)
        return vm

    def disk(self, name: str) -> FakeDisk:
        disk = self.disks.get(name.lower())
        if disk is None:
            raise ArmError(404, "ResourceNotFound", f"The Resource 'Microsoft.Compute/disks/{name}' was not found.")
        return disk

    def busy(self, vm: FakeVm, kind: str) -> None:
        """Azure runs one operation at a time on a VM: a second one is refused with 409 while the first runs."""
        running = [op for op in self.ops.values() if op.target == vm.name.lower() and op.status == "InProgress"]
        if running:
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Operation '{kind}' is not allowed on VM '{vm.name}' since the VM is marked for another operation "
                f"in progress: '{running[0].kind}'.",
            )

    def start(
        self, kind: str, on_success: Callable[[], dict[str, Any] | None], fault: Fault | None, target: str = ""
    ) -> Operation:
        op = Operation(
            uuid.uuid4().hex,
            kind,
            time.monotonic(),
            self.durations.get(kind, 0.1),
            on_success,
            fault if fault and fault.fail_operation else None,
            target.lower(),
        )
        with self.lock:
            self.ops[op.id] = op
        return op

    def operation(self, op_id: str) -> Operation:
        op = self.ops.get(op_id)
        if op is None:
            raise ArmError(404, "OperationNotFound", f"Operation {op_id} was not found.")
        return op


def _not_found(kind: str, name: str) -> ArmError:
    """ARM's 404 for a resource of this resource group."""
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource 'Microsoft.Compute/{kind}/{name}' under resource group '{RESOURCE_GROUP}' was not found.",
    )


def poll_gap_violations(log: list[LogEntry], slack: float = 0.005) -> list[str]:
    """Requests sent sooner than the Retry-After of the previous response in the same conversation.

    A conversation is one long-running operation (its 202 and every status/result poll), or one retried request
    (same method and path after a 429/5xx that carried Retry-After).
    """
    violations = []
    last: dict[str, LogEntry] = {}
    for entry in sorted(log, key=lambda e: e.t):
        keys = [f"req:{entry.method} {entry.path}"] + ([f"op:{entry.op_id}"] if entry.op_id else [])
        for key in keys:
            previous = last.get(key)
            if previous and previous.retry_after is not None and entry.t - previous.t + slack < previous.retry_after:
                violations.append(
                    f"{entry.method} {entry.path} came {entry.t - previous.t:.3f}s after a response asking for "
                    f"{previous.retry_after}s"
                )
                break
        for key in keys:
            last[key] = entry
    return violations
