"""A TLS reverse proxy in front of Azurite that gives server-side blob copies Azure's asynchronous behaviour.

Azurite finishes a Copy Blob synchronously; Azure answers 202 with `x-ms-copy-status: pending` and the copy runs
for a while (minutes for a 30 GiB disk), reported by Get Blob Properties, and it can fail half-way. The proxy
forwards every request to Azurite unchanged and rewrites the copy status of the destination blob for a simulated
duration (`copy_seconds`), optionally failing it at a fraction of that duration (`fail_next_copy_at`). With
`data_role` off it answers every request 403 AuthorizationPermissionMismatch, as Azure Storage does for an Entra
identity whose Storage Blob Data role assignment is gone.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from fakes.azurite import Azurite, free_port
from fakes.tls import QuietHandler, TestPki

_DENIED = (
    b'<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This '
    b"request is not authorized to perform this operation using this permission.</Message></Error>"
)
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}


@dataclass
class SimulatedCopy:
    copy_id: str
    started: float
    duration: float
    fail_at: float | None  # fraction of the duration at which the copy fails
    size: int
    aborted: bool = False

    def status(self, now: float) -> str:
        elapsed = now - self.started
        if self.aborted:
            return "aborted"
        if self.fail_at is not None and elapsed >= self.fail_at * self.duration:
            return "failed"
        return "pending" if elapsed < self.duration else "success"

    def progress(self, now: float) -> str:
        done = int(self.size * min(1.0, max(0.0, (now - self.started) / self.duration))) if self.duration else self.size
        return f"{done}/{self.size}"


class CopyProxy:
    def __init__(self, pki: TestPki, azurite: Azurite) -> None:
        self.port = free_port()
        self.account_url = f"https://127.0.0.1:{self.port}/{azurite.account_url.rsplit('/', 1)[1]}"
        self.copy_seconds = 0.0
        self.fail_next_copy_at: float | None = None
        self.data_role = True
        self.copies: dict[str, SimulatedCopy] = {}
        self.copy_requests: list[str] = []
        self.aborts: list[str] = []
        self.property_reads: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self.upstream = ("127.0.0.1", azurite.port)
        self._client_ctx = pki.client_context()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        self._server.daemon_threads = True
        self._server.socket = pki.server_context().wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, name="copy-proxy", daemon=True).start()

    def reset(self) -> None:
        with self.lock:
            self.copy_seconds, self.fail_next_copy_at, self.data_role = 0.0, None, True
            self.copies.clear()
            self.copy_requests.clear()
            self.aborts.clear()
            self.property_reads.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPSConnection(*self.upstream, context=self._client_ctx, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP], data
        finally:
            conn.close()

    # --- the copy semantics ------------------------------------------------------------------------------------------

    def on_response(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        req_headers: dict[str, str],
        status: int,
        headers: list[tuple[str, str]],
    ) -> list[tuple[str, str]]:
        blob = unquote(path)
        now = time.monotonic()
        with self.lock:
            if method == "PUT" and "x-ms-copy-source" in {k.lower() for k in req_headers} and "comp" not in query:
                return self._copy_started(blob, status, headers, now)
            if method == "DELETE" and status in (202, 200):
                self.copies.pop(blob, None)
            if method in ("HEAD", "GET") and blob in self.copies and "comp" not in query:
                self.property_reads.append((now, blob))
                return _with_copy_status(headers, self.copies[blob], now)
        return headers

    def _copy_started(
        self, blob: str, status: int, headers: list[tuple[str, str]], now: float
    ) -> list[tuple[str, str]]:
        self.copy_requests.append(blob)
        if status != 202 or (self.copy_seconds <= 0 and self.fail_next_copy_at is None):
            return headers
        copy_id = _header(headers, "x-ms-copy-id") or ""
        duration = self.copy_seconds if self.copy_seconds > 0 else 1.0
        self.copies[blob] = SimulatedCopy(copy_id, now, duration, self.fail_next_copy_at, 0)
        self.fail_next_copy_at = None
        return _replace(headers, "x-ms-copy-status", "pending")

    def listed(self, container_path: str, body: bytes) -> bytes:
        """List Blobs (include=copy) reports a simulated copy's status too, as Azure's listing does."""
        now = time.monotonic()

        def rewrite(match: re.Match[bytes]) -> bytes:
            block = match.group(0)
            name = re.search(rb"<Name>([^<]*)</Name>", block)
            sim = self.copies.get(f"{container_path}/{name.group(1).decode()}") if name else None
            if sim is None:
                return block
            status = sim.status(now).encode()
            return re.sub(rb"<CopyStatus>[^<]*</CopyStatus>", b"<CopyStatus>" + status + b"</CopyStatus>", block)

        with self.lock:
            return re.sub(rb"<Blob>.*?</Blob>", rewrite, body, flags=re.DOTALL)

    def abort(self, blob: str, copy_id: str) -> bool:
        """Abort Copy Blob on a simulated pending copy (Azurite itself has nothing left to abort)."""
        with self.lock:
            sim = self.copies.get(blob)
            if sim is None or sim.copy_id != copy_id or sim.status(time.monotonic()) != "pending":
                return False
            sim.aborted = True
            self.aborts.append(blob)
            return True


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _replace(headers: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() != name] + [(name, value)]


def _with_copy_status(headers: list[tuple[str, str]], sim: SimulatedCopy, now: float) -> list[tuple[str, str]]:
    if not sim.size:
        sim.size = int(_header(headers, "content-length") or 0)
    status = sim.status(now)
    if status == "success":
        return headers
    out = _replace(headers, "x-ms-copy-status", status)
    out = _replace(out, "x-ms-copy-progress", sim.progress(now))
    if status == "failed":
        out = _replace(out, "x-ms-copy-status-description", "500 InternalError Copy failed when reading the source.")
    return out


def _handler_for(proxy: CopyProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def _proxy(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if not proxy.data_role:
                return self._reply(403, [("x-ms-error-code", "AuthorizationPermissionMismatch")], _DENIED)
            is_abort = self.command == "PUT" and query.get("comp") == ["copy"] and "copyid" in query
            if is_abort and proxy.abort(unquote(url.path), query["copyid"][0]):
                return self._reply(204, [("x-ms-version", self.headers.get("x-ms-version", ""))], b"")
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP | {"host"}}
            headers["Host"] = f"{proxy.upstream[0]}:{proxy.upstream[1]}"  # Azurite compares it with copy sources
            status, out_headers, data = proxy.forward(self.command, self.path, headers, body)
            out_headers = proxy.on_response(self.command, url.path, query, headers, status, out_headers)
            if self.command == "GET" and query.get("comp") == ["list"] and status == 200:
                data = proxy.listed(unquote(url.path), data)
            self._reply(status, out_headers, data)

        do_GET = do_HEAD = do_PUT = do_DELETE = do_POST = _proxy

        def _reply(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
            try:
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in ("content-length", "date", "server"):
                        self.send_header(key, value)
                content_length = _header(headers, "content-length") if self.command == "HEAD" else str(len(data))
                self.send_header("Content-Length", content_length or "0")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
            except OSError:
                pass

    return Handler
