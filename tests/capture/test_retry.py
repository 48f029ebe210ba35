"""The capture's blob retries end when the engine stops the provider (the ARM side: test_engine_operations.py, 9).

Azure Storage throttles with 503 Server Busy ("Scalability and performance targets for Blob storage",
https://learn.microsoft.com/azure/storage/blobs/scalability-targets: "the service begins to throttle ... 503 (Server
busy)"); azure-storage-blob retries it after an exponential back-off of 15 s or more, in one sleep.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from azure.storage.blob import BlobClient

from components.capture.clients import blob_retry
from components.capture.interrupt import Interrupted
from components.common.retry import StopAwareBlobRetry


class _Busy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests: list[str] = []

    def log_message(self, *_: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(503, "Server Busy")
        self.send_header("x-ms-error-code", "ServerBusy")
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def busy_storage() -> Iterator[str]:
    _Busy.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/account/vhds/image.vhd"  # path-style, as for Azurite
    server.shutdown()
    server.server_close()


def test_a_throttled_blob_request_stops_waiting_for_its_retry_when_the_provider_stops(busy_storage):
    stopping = threading.Event()
    retry = StopAwareBlobRetry(interrupted=Interrupted, stopped=stopping.is_set)
    blob = BlobClient.from_blob_url(busy_storage, retry_policy=retry)
    threading.Timer(0.5, stopping.set).start()  # the engine's SIGINT, during the first 15 s back-off

    started = time.monotonic()
    with pytest.raises(Interrupted, match=r"stopped retrying a blob request \(next try in \d+(\.\d+)? s\)"):
        blob.get_blob_properties()

    assert time.monotonic() - started < 2.0
    assert _Busy.requests == ["/account/vhds/image.vhd"]  # not retried once the provider was stopping


def test_the_capture_keeps_the_blob_sdks_retry_schedule():
    """Only the sleep changes: the same attempts and back-off as azure-storage-blob's default ExponentialRetry."""
    retry = blob_retry()

    assert (retry.total_retries, retry.initial_backoff, retry.increment_base) == (3, 15, 3)
