"""A fake of the Pulumi engine's gRPC server, as far as a provider plugin talks to it: the `Log` RPC.

What it enforces, and where that comes from:
- `Log` answers `Empty`, and refuses a severity outside DEBUG/INFO/WARNING/ERROR with an error, as the engine's
  `hostServer.Log` does (pkg/host/host_server.go in pulumi/pulumi: "Unrecognized logging severity").
- `ephemeral` decides where the line goes: the resource's status column (`host.LogStatus`) or the update's
  diagnostics (`host.Log`); both keep the URN (same file). The fake records every request, in order, with the time
  it arrived.
- It listens on 127.0.0.1 only, on a free port, and its address is what the CLI passes a plugin as its last argument
  (sdk/go/common/resource/plugin/provider_plugin.go `NewProvider`: `[]string{host.ServerAddr()}`).
`stop()` makes it a dead engine (every call fails as with a closed port); `delay` makes each answer slow.
"""

from __future__ import annotations

import threading
import time
from concurrent import futures
from dataclasses import dataclass

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

SEVERITIES = {0: "debug", 1: "info", 2: "warning", 3: "error"}


@dataclass(frozen=True)
class LogLine:
    severity: str
    message: str
    urn: str
    ephemeral: bool
    at: float  # time.monotonic() when it arrived


class FakeEngine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.lines: list[LogLine] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        engine_pb2_grpc.add_EngineServicer_to_server(self, self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{self.port}"
        self._server.start()

    def Log(self, request: engine_pb2.LogRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        if request.severity not in SEVERITIES:
            context.abort(grpc.StatusCode.UNKNOWN, f"Unrecognized logging severity: {request.severity}")
        if self.delay:
            time.sleep(self.delay)
        line = LogLine(SEVERITIES[request.severity], request.message, request.urn, request.ephemeral, time.monotonic())
        with self._lock:
            self.lines.append(line)
        return empty_pb2.Empty()

    def status(self, urn: str | None = None) -> list[LogLine]:
        with self._lock:
            return [line for line in self.lines if line.ephemeral and (urn is None or line.urn == urn)]

    def finals(self, urn: str | None = None) -> list[LogLine]:
        with self._lock:
            return [line for line in self.lines if not line.ephemeral and (urn is None or line.urn == urn)]

    def stop(self) -> None:
        self._server.stop(0).wait()
