"""Test certificates (trustme): one CA, one server certificate for 127.0.0.1 shared by every fake; the loopback
servers' request handler base and HTTPS server."""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import trustme


@dataclass(frozen=True)
class TestPki:
    ca_pem: Path
    cert_pem: Path
    key_pem: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.cert_pem), str(self.key_pem))
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_pem))


def make_pki(directory: Path) -> TestPki:
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    pki = TestPki(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    ca.cert_pem.write_to_path(str(pki.ca_pem))
    server.private_key_pem.write_to_path(str(pki.key_pem))
    with open(pki.cert_pem, "wb") as out:
        for blob in server.cert_chain_pems:
            out.write(blob.bytes())
    return pki


class QuietHandler(BaseHTTPRequestHandler):
    """A fake's request handler: HTTP/1.1 (clients keep their connections open, as they do with Azure) and no
    access log on stderr."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *_: Any) -> None:
        pass


class LoopbackHttpsServer:
    """A threading HTTPS server on 127.0.0.1 with its own trustme CA (written to `workdir/<ca_name>`), serving
    `handler` with `handler.fake = fake`; `with` starts and stops it. `url` and `ca_file` are what a client needs."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], fake: Any, workdir: Path, ca_name: str) -> None:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        self.ca_file = workdir / ca_name
        ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (handler,), {"fake": fake}))
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
