"""Azurite (the Azure Storage emulator from npm, pinned in package.json) over HTTPS with OAuth, for the tests."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from azure.storage.blob import BlobServiceClient

from fakes.tls import TestPki

REPO = Path(__file__).resolve().parents[1]
AZURITE_BIN = REPO / "node_modules" / ".bin" / "azurite-blob"
ACCOUNT = "devstoreaccount1"
# Azurite's well-known development account key (public, documented by Microsoft; not a secret).
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Azurite:
    port: int
    pki: TestPki
    process: subprocess.Popen[bytes]

    @property
    def account_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/{ACCOUNT}"

    def admin(self) -> BlobServiceClient:
        """A shared-key client for the fakes and for assertions (the provider itself uses OAuth)."""
        return BlobServiceClient(
            self.account_url,
            credential={"account_name": ACCOUNT, "account_key": ACCOUNT_KEY},
            connection_verify=str(self.pki.ca_pem),
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_azurite(pki: TestPki, workdir: Path) -> Azurite:
    if not AZURITE_BIN.exists():
        raise RuntimeError(
            f"Azurite is missing ({AZURITE_BIN}); run `npm ci` in {REPO} to install the pinned version from "
            "package-lock.json (the capture tests need it)"
        )
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = open(workdir / "azurite.log", "wb")  # noqa: SIM115 - handed to the child process
    process = subprocess.Popen(
        [
            str(AZURITE_BIN),
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--oauth",
            "basic",
            "--cert",
            str(pki.cert_pem),
            "--key",
            str(pki.key_pem),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(workdir / "data"),
            "--silent",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        # Azurite checks a SAS copy source by calling itself over HTTPS: it must trust the test CA.
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(pki.ca_pem)},
    )
    _wait_for_port(port, process, workdir / "azurite.log")
    return Azurite(port, pki, process)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Azurite exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"Azurite did not listen on port {port} within {timeout}s: {log.read_text()[-2000:]}")
