"""A local HTTPS fake of exactly the ARM operations the capture provider calls, with real LRO behaviour."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes import arm_bodies
from fakes.arm_world import (
    BOOT_DIAG_CONTAINER,
    DISK_CONTAINER,
    LOCATION,
    OS_VHD_CONTAINER,
    SUBSCRIPTION,
    ArmError,
    ArmWorld,
    FakeDisk,
    FakeVm,
    Fault,
    LogEntry,
    Operation,
    disk_id,
)
from fakes.azurite import Azurite, free_port
from fakes.tls import QuietHandler, TestPki
from fakes.tokens import accepts_test_token

_PREFIX = r"^/subscriptions/(?P<sub>[^/]+)"
_VM = re.compile(
    _PREFIX + r"/resourceGroups/[^/]+/providers/Microsoft\.Compute/virtualMachines/(?P<name>[^/]+)(?P<action>/\w+)?$",
    re.I,
)
_DISK = re.compile(
    _PREFIX + r"/resourceGroups/[^/]+/providers/Microsoft\.Compute/disks/(?P<name>[^/]+)(?P<action>/\w+)?$", re.I
)
_GALLERY_VERSION = re.compile(
    _PREFIX
    + r"/resourceGroups/[^/]+/providers/Microsoft\.Compute/galleries/[^/]+/images/[^/]+/versions/(?P<name>[^/]+)$",
    re.I,
)
# The gallery's API the canary's `latest` owner is written against (the spec in ../shared: GalleryRP 2024-03-03).
GALLERY_API_VERSION = "2024-03-03"
_OP = re.compile(
    _PREFIX + r"/providers/Microsoft\.Compute/locations/[^/]+/(?P<kind>operations|operationResults)/(?P<id>\w+)$", re.I
)

ROUTES = {
    ("GET", "vm", ""): "get_vm",
    ("GET", "vm", "/instanceview"): "instance_view",
    ("POST", "vm", "/deallocate"): "deallocate",
    ("POST", "vm", "/generalize"): "generalize",
    ("POST", "vm", "/capture"): "capture",
    ("POST", "vm", "/retrievebootdiagnosticsdata"): "boot_diagnostics",
    ("GET", "disk", ""): "get_disk",
    ("POST", "disk", "/begingetaccess"): "grant_access",
    ("POST", "disk", "/endgetaccess"): "revoke_access",
    ("DELETE", "disk", ""): "delete_disk",
    ("GET", "gallery_version", ""): "get_gallery_version",
    ("PATCH", "gallery_version", ""): "update_gallery_version",
    ("GET", "op", "operations"): "operation_status",
    ("GET", "op", "operationresults"): "operation_result",
}


class Reply:
    def __init__(
        self,
        status: int,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        op_id: str | None = None,
    ) -> None:
        self.status, self.body, self.headers, self.op_id = status, body, dict(headers or {}), op_id


class FakeArm:
    """Routes requests to ArmWorld; one instance per test (the server is shared, see `world` swap)."""

    def __init__(self, pki: TestPki, azurite: Azurite) -> None:
        self.port = free_port()
        self.base_url = f"https://127.0.0.1:{self.port}"
        self.world = ArmWorld(azurite, self.base_url)
        self._azurite = azurite
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        self._server.daemon_threads = True
        self._server.socket = pki.server_context().wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-arm", daemon=True)
        self._thread.start()

    def reset(self) -> ArmWorld:
        """A fresh world (VMs, faults, log) for the next test; releases any held request."""
        for fault in self.world.faults:
            fault.release.set()
        self.world = ArmWorld(self._azurite, self.base_url)
        return self.world

    def stop(self) -> None:
        for fault in self.world.faults:
            fault.release.set()
        self._server.shutdown()
        self._server.server_close()

    # --- dispatch --------------------------------------------------------------------------------------------------

    def route(self, method: str, path: str) -> tuple[str, re.Match[str]] | None:
        for kind, pattern in (("vm", _VM), ("disk", _DISK), ("gallery_version", _GALLERY_VERSION), ("op", _OP)):
            match = pattern.match(path)
            if match:
                action = (match.groupdict().get("action") or match.groupdict().get("kind") or "").lower()
                op = ROUTES.get((method, kind, action))
                return (op, match) if op else None
        return None

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any], auth: str
    ) -> tuple[Reply, str, Fault | None]:
        world = self.world
        routed = self.route(method, path)
        if routed is None:
            return Reply(404, arm_bodies.error_body("NotFound", f"No fake for {method} {path}")), "unknown", None
        op, match = routed
        if not self._authorized(auth):
            return (
                Reply(401, arm_bodies.error_body("InvalidAuthenticationToken", "The access token is invalid.")),
                op,
                None,
            )
        if match["sub"].lower() != SUBSCRIPTION:
            return Reply(404, arm_bodies.error_body("SubscriptionNotFound", "Unknown subscription.")), op, None
        world.advance()
        polled = world.ops.get(match["id"]) if op.startswith("operation_") else None
        fault = world.take_fault(op, polled.kind if polled else None)
        if fault and fault.status:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return Reply(fault.status, arm_bodies.error_body(fault.code, fault.message), headers), op, fault
        try:
            with world.lock:
                reply = getattr(self, f"_{op}")(world, match, query, body, fault)
        except ArmError as err:
            headers = {"Retry-After": err.retry_after} if err.retry_after else {}
            reply = Reply(err.status, arm_bodies.error_body(err.code, err.message), headers)
        return reply, op, fault

    def _authorized(self, auth: str) -> bool:
        return accepts_test_token(auth, self.base_url)

    # --- long-running operation plumbing ---------------------------------------------------------------------------

    def _accepted(self, world: ArmWorld, op: Operation) -> Reply:
        base = f"{self.base_url}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/{LOCATION}"
        return Reply(
            202,
            None,
            {
                "Azure-AsyncOperation": f"{base}/operations/{op.id}?api-version=2026-04-01",
                "Location": f"{base}/operationResults/{op.id}?api-version=2026-04-01&monitor=true",
                **_retry_after(world.retry_after),
            },
            op_id=op.id,
        )

    def _operation_status(self, world: ArmWorld, match: re.Match[str], *_: Any) -> Reply:
        op = world.operation(match["id"])
        body: dict[str, Any] = {"name": op.id, "status": op.status, "startTime": _utc(op.started)}
        if op.status == "InProgress":
            return Reply(200, body, _retry_after(world.retry_after), op_id=op.id)
        body["endTime"] = _utc(op.started + op.duration)
        if op.status == "Failed" and op.fail is not None:
            body["error"] = {"code": op.fail.code, "message": op.fail.message}
        return Reply(200, body, op_id=op.id)

    def _operation_result(self, world: ArmWorld, match: re.Match[str], *_: Any) -> Reply:
        op = world.operation(match["id"])
        if op.status == "InProgress":
            return Reply(202, None, {"Location": self._location(op), **_retry_after(world.retry_after)}, op.id)
        if op.status == "Failed" and op.fail is not None:
            return Reply(500, arm_bodies.error_body(op.fail.code, op.fail.message), op_id=op.id)
        return Reply(200, op.result, op_id=op.id) if op.result is not None else Reply(200, None, op_id=op.id)

    def _location(self, op: Operation) -> str:
        return (
            f"{self.base_url}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/{LOCATION}"
            f"/operationResults/{op.id}?api-version=2026-04-01&monitor=true"
        )

    # --- gallery image versions ------------------------------------------------------------------------------------

    def _gallery_version_id(self, world: ArmWorld, match: re.Match[str], query: dict[str, list[str]]) -> str:
        if query.get("api-version") != [GALLERY_API_VERSION]:
            raise ArmError(400, "InvalidApiVersionParameter", f"this fake answers api-version {GALLERY_API_VERSION}")
        return str(world.gallery_version(match.group(0))[0])

    def _get_gallery_version(
        self, world: ArmWorld, match: re.Match[str], query: dict[str, list[str]], *_: Any
    ) -> Reply:
        version_id = self._gallery_version_id(world, match, query)
        return Reply(200, arm_bodies.gallery_version_body(version_id, world.excluded(version_id)))

    def _update_gallery_version(
        self, world: ArmWorld, match: re.Match[str], query: dict[str, list[str]], body: dict[str, Any], fault: Any
    ) -> Reply:
        """GalleryImageVersions_Update (PATCH, a long-running operation): only what the body names changes, once the
        operation ends; the 200 answer shows provisioningState Updating and an Azure-AsyncOperation to poll."""
        version_id = self._gallery_version_id(world, match, query)
        profile = (body.get("properties") or {}).get("publishingProfile") or {}
        exclude = profile.get("excludeFromLatest", world.excluded(version_id))
        if not isinstance(exclude, bool):
            raise ArmError(400, "InvalidParameter", f"excludeFromLatest must be a boolean, got {exclude!r}")

        def done() -> dict[str, Any]:
            world.gallery_version(version_id)[1] = exclude
            return arm_bodies.gallery_version_body(version_id, exclude)

        op = world.start("update_gallery_version", done, fault)
        accepted = self._accepted(world, op)
        updating = arm_bodies.gallery_version_body(version_id, world.excluded(version_id), "Updating")
        return Reply(200, updating, {"Azure-AsyncOperation": accepted.headers["Azure-AsyncOperation"]}, op.id)

    # --- virtual machines ------------------------------------------------------------------------------------------

    def _get_vm(self, world: ArmWorld, match: re.Match[str], *_: Any) -> Reply:
        vm = world.vm(match["name"])
        vhd = None if vm.managed else world.blob_url(OS_VHD_CONTAINER, world.os_vhd_blob(vm))
        body = arm_bodies.vm_body(vm.id, vm.name, LOCATION, vm.disk_id, vhd)
        body["properties"].update(vmId=vm.instance_id, timeCreated=vm.created.isoformat())
        return Reply(200, body)

    def _instance_view(self, world: ArmWorld, match: re.Match[str], *_: Any) -> Reply:
        vm = world.vm(match["name"])
        busy = any(op.target == vm.name.lower() and op.status == "InProgress" for op in world.ops.values())
        return Reply(200, arm_bodies.instance_view_body(vm.name, vm.power, vm.generalized_time, busy))

    def _deallocate(self, world: ArmWorld, match: re.Match[str], _q: Any, _b: Any, fault: Fault | None) -> Reply:
        vm = world.vm(match["name"])
        world.busy(vm, "deallocate")
        before = vm.power
        vm.power = "deallocating" if before != "deallocated" else before

        def done() -> None:
            vm.power = "deallocated"

        op = world.start("deallocate", done, fault, target=vm.name)
        if op.fail is not None:
            vm.power = before
        return self._accepted(world, op)

    def _generalize(self, world: ArmWorld, match: re.Match[str], *_: Any) -> Reply:
        vm = world.vm(match["name"])
        world.busy(vm, "generalize")
        if vm.power not in ("stopped", "deallocated"):
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Operation 'generalize' is not allowed on VM '{vm.name}' since the VM is {vm.power}.",
            )
        if vm.generalized_time is None:
            vm.generalized_time = _utc(time.monotonic())
        return Reply(200)

    def _capture(
        self, world: ArmWorld, match: re.Match[str], _q: Any, body: dict[str, Any], fault: Fault | None
    ) -> Reply:
        vm = world.vm(match["name"])
        world.busy(vm, "capture")
        if vm.managed:
            raise ArmError(
                409,
                "OperationNotAllowed",
                "Capture operation is only supported on virtual machines with blob based disks.",
            )
        if vm.generalized_time is None:
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Capture operation cannot be completed because the VM '{vm.name}' is not generalized.",
            )
        prefix, container = body.get("vhdPrefix"), body.get("destinationContainerName")
        if not prefix or not container or "overwriteVhds" not in body:
            raise ArmError(
                400, "InvalidParameter", "vhdPrefix, destinationContainerName and overwriteVhds are required."
            )

        def done() -> dict[str, Any]:
            name = f"Microsoft.Compute/Images/{container}/{prefix}-osDisk.{uuid.uuid4()}.vhd"
            admin = world.azurite.admin()
            target = admin.get_blob_client("system", name)
            target.start_copy_from_url(world.blob_url(OS_VHD_CONTAINER, world.os_vhd_blob(vm)))
            os_vhd = world.blob_url(OS_VHD_CONTAINER, world.os_vhd_blob(vm))
            return arm_bodies.capture_body(vm.name, LOCATION, world.blob_url("system", name), os_vhd)

        return self._accepted(world, world.start("capture", done, fault, target=vm.name))

    def _boot_diagnostics(self, world: ArmWorld, match: re.Match[str], query: dict[str, list[str]], *_: Any) -> Reply:
        vm = world.vm(match["name"])
        minutes = float(query.get("sasUriExpirationTimeInMinutes", ["120"])[0])
        log_url = world.sas_url(BOOT_DIAG_CONTAINER, f"{vm.name}.serialconsole.log", minutes)
        shot_url = world.sas_url(BOOT_DIAG_CONTAINER, f"{vm.name}.screenshot.bmp", minutes)
        return Reply(200, arm_bodies.boot_diagnostics_body(log_url, shot_url))

    # --- managed disks ---------------------------------------------------------------------------------------------

    def _get_disk(self, world: ArmWorld, match: re.Match[str], *_: Any) -> Reply:
        disk = world.disk(match["name"])
        return Reply(200, arm_bodies.disk_body(disk_id_of(disk), disk.name, LOCATION, _disk_state(disk)))

    def _grant_access(
        self, world: ArmWorld, match: re.Match[str], _q: Any, body: dict[str, Any], fault: Fault | None
    ) -> Reply:
        disk = world.disk(match["name"])
        if disk.vm.power not in ("stopped", "deallocated"):
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Cannot grant access to disk '{disk.name}': it is attached to running VM '{disk.vm.name}'.",
            )
        if body.get("access") != "Read" or not body.get("durationInSeconds"):
            raise ArmError(400, "InvalidParameter", "access and durationInSeconds are required.")
        disk.grants += 1
        seconds = int(body["durationInSeconds"])
        disk.granted_seconds.append(seconds)

        def done() -> dict[str, Any]:
            disk.access_active, disk.access_expires = True, time.monotonic() + seconds
            return arm_bodies.grant_access_body(world.sas_url(DISK_CONTAINER, disk.blob_name, seconds / 60))

        return self._accepted(world, world.start("grant_access", done, fault))

    def _revoke_access(self, world: ArmWorld, match: re.Match[str], _q: Any, _b: Any, fault: Fault | None) -> Reply:
        disk = world.disk(match["name"])
        disk.revokes += 1

        def done() -> None:
            disk.access_active, disk.access_expires = False, None

        return self._accepted(world, world.start("revoke_access", done, fault))

    def _delete_disk(self, world: ArmWorld, match: re.Match[str], *_: Any) -> Reply:
        world.delete_disk(match["name"])
        return Reply(200)


def disk_id_of(disk: FakeDisk) -> str:
    return disk_id(disk.name)


def _retry_after(seconds: float) -> dict[str, str]:
    """Whole seconds as ARM sends them (Retry-After); sub-second waits for fast tests as retry-after-ms.

    azure-mgmt-compute reads the initial 202's Retry-After as an integer, so fractions must use retry-after-ms,
    which azure-core's pollers and retry policy honour too.
    """
    if seconds >= 1 and float(seconds).is_integer():
        return {"Retry-After": str(int(seconds))}
    return {"retry-after-ms": str(int(seconds * 1000))}


def _disk_state(disk: FakeDisk) -> str:
    if disk.access_active:
        return "ActiveSAS"
    return "Reserved" if disk.vm.power == "deallocated" else "Attached"


def _advertised_wait(headers: dict[str, str]) -> float | None:
    if "Retry-After" in headers:
        return float(headers["Retry-After"])
    if "retry-after-ms" in headers:
        return float(headers["retry-after-ms"]) / 1000
    return None


def _utc(monotonic_t: float) -> str:
    wall = time.time() - (time.monotonic() - monotonic_t)
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _handler_for(arm: FakeArm) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def _serve(self) -> None:
            arrived = time.monotonic()
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {}
            world = arm.world
            reply, op, fault = arm.handle(
                self.command, url.path, parse_qs(url.query), body, self.headers.get("Authorization", "")
            )
            with world.lock:
                world.log.append(
                    LogEntry(
                        arrived, self.command, url.path, op, reply.status, _advertised_wait(reply.headers), reply.op_id
                    )
                )
            if fault is not None and fault.hold:
                fault.reached.set()
                fault.release.wait(60)
            self._send(reply)

        do_GET = do_POST = do_DELETE = do_PATCH = _serve  # the capture's ARM calls, the gallery latest's PATCH

        def _send(self, reply: Reply) -> None:
            payload = json.dumps(reply.body).encode() if reply.body is not None else b""
            try:
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("x-ms-request-id", str(uuid.uuid4()))
                if payload:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client went away (crash tests kill it while a response is held)

    return Handler


__all__ = ["FakeArm", "FakeVm"]
