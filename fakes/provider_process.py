"""Drives the real dynamic-provider server (`python -m pulumi.dynamic`) over gRPC, the way the Pulumi engine does."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from components.common.project import NAMESPACE

REPO = Path(__file__).resolve().parents[1]
PROJECT = NAMESPACE
URN = f"urn:pulumi:test::{PROJECT}::pulumi-python:dynamic/capture:GeneralizedImage::capture"


def to_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    loop = asyncio.new_event_loop()  # not asyncio.run(): it would break later Pulumi mock tests in this process
    try:
        return loop.run_until_complete(rpc.serialize_properties(values, {}))
    finally:
        loop.close()


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct))


class ProviderError(Exception):
    """A failed RPC: `details` is what the engine shows the user."""

    def __init__(self, err: grpc.RpcError) -> None:
        self.code = err.code()
        self.details = err.details() or ""
        super().__init__(self.details)


class ProviderProcess:
    """One `python -u -m pulumi.dynamic` process, run from the program directory with the given environment.

    `args` are the plugin's arguments: `pulumi up` passes the engine's address last (fakes/engine.py), after its
    optional --logtostderr, -v=N and --tracing flags; without them the provider runs as if started by hand.
    """

    def __init__(self, env: dict[str, str], args: list[str] | None = None) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - the child writes to it until close()
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", *(args or [])],
            cwd=REPO,
            env={**os.environ, "PULUMI_PROJECT": PROJECT, **env},
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError(f"the provider server did not start: {port!r} {self.stderr()[-2000:]}")
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def close(self) -> None:
        self._channel.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._stderr.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def interrupt(self, grace: float = 5.0) -> str:
        """Stop the server the way the Pulumi CLI stops a plugin: SIGINT, `grace` seconds, then SIGKILL.

        Returns "exited" when the process ended on its own within the grace, "killed" otherwise.
        """
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()
            return "killed"
        return "exited"

    def _call(self, method: str, request: Any) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=120)
        except grpc.RpcError as err:
            raise ProviderError(err) from None

    # --- the RPCs the engine makes ---------------------------------------------------------------------------------

    def configure(self, config: dict[str, Any] | None = None) -> None:
        self._call("Configure", provider_pb2.ConfigureRequest(args=to_struct(config or {})))

    def check(
        self, news: dict[str, Any], olds: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        resp = self._call("Check", provider_pb2.CheckRequest(urn=URN, olds=to_struct(olds or {}), news=to_struct(news)))
        return from_struct(resp.inputs), [(f.property, f.reason) for f in resp.failures]

    def create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        resp = self._call("Create", provider_pb2.CreateRequest(urn=URN, properties=to_struct(props)))
        return resp.id, from_struct(resp.properties)

    def create_async(self, props: dict[str, Any]) -> Future[Any]:
        return self.stub.Create.future(provider_pb2.CreateRequest(urn=URN, properties=to_struct(props)), timeout=120)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> provider_pb2.DiffResponse:
        return self._call("Diff", provider_pb2.DiffRequest(urn=URN, id=id_, olds=to_struct(olds), news=to_struct(news)))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        resp = self._call(
            "Update", provider_pb2.UpdateRequest(urn=URN, id=id_, olds=to_struct(olds), news=to_struct(news))
        )
        return from_struct(resp.properties)

    def read(self, id_: str, props: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        resp = self._call("Read", provider_pb2.ReadRequest(urn=URN, id=id_, properties=to_struct(props)))
        return resp.id, from_struct(resp.properties), from_struct(resp.inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._call("Delete", provider_pb2.DeleteRequest(urn=URN, id=id_, properties=to_struct(props)))

    def delete_async(self, id_: str, props: dict[str, Any]) -> Future[Any]:
        request = provider_pb2.DeleteRequest(urn=URN, id=id_, properties=to_struct(props))
        return self.stub.Delete.future(request, timeout=120)


@contextmanager
def provider_processes() -> Iterator[Callable[..., ProviderProcess]]:
    """Start configured provider processes with the given environment (and plugin arguments); all are closed when
    the block ends."""
    started: list[ProviderProcess] = []

    def start(env: dict[str, str], args: list[str] | None = None) -> ProviderProcess:
        process = ProviderProcess(env, args)
        process.configure({})
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.close()
