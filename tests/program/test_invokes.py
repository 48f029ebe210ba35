"""components/invokes.py sends each lookup exactly as its SDK's generated function does (the request the engine
receives: token, arguments, provider, plugin version and download URL) and returns the same value, so leaving the
SDK packages unimported changes nothing a deployment sees."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_azure as classic
import pulumi_azuread as azuread
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings

from components import invokes

ANSWERS = {
    invokes.PLATFORM_IMAGE_TOKEN: {"location": "westeurope", "version": "24.04.202611200", "id": "/x"},
    invokes.SERVICE_PRINCIPAL_TOKEN: {"objectId": "00000000-0000-4000-8000-0000000000ba", "displayName": "Batch"},
}


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return ANSWERS[args.token], []


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.invokes: list[dict[str, Any]] = []

    def Invoke(self, request: Any) -> Any:
        self.invokes.append(
            {
                "token": request.tok,
                "args": rpc.deserialize_properties(request.args),
                "provider": request.provider,
                "version": request.version,
                "pluginDownloadURL": request.pluginDownloadURL,
            }
        )
        return super().Invoke(request)


def _run(make: Callable[[], pulumi.Output[Any]]) -> tuple[Any, list[dict[str, Any]]]:
    """The value `make` resolves to and the invoke requests it sent, in a fresh mocked runtime."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = _Mocks()
    monitor = _RecordingMonitor(mocks)
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project="p", stack="s", preview=False, monitor=monitor)
    try:
        value = loop.run_until_complete(make().future())
    finally:
        loop.close()
    return value, monitor.invokes


def test_the_platform_image_lookup_is_the_classic_sdk_call():
    def ours() -> pulumi.Output[Any]:
        lookup = classic.Provider("lookup", subscription_id="sub", resource_provider_registrations="none")
        return invokes.platform_image_version(
            "westeurope", "Canonical", "ubuntu-24_04-lts", "server", opts=pulumi.InvokeOutputOptions(provider=lookup)
        )

    def sdk() -> pulumi.Output[Any]:
        lookup = classic.Provider("lookup", subscription_id="sub", resource_provider_registrations="none")
        return classic.compute.get_platform_image_output(
            location="westeurope",
            publisher="Canonical",
            offer="ubuntu-24_04-lts",
            sku="server",
            opts=pulumi.InvokeOutputOptions(provider=lookup),
        ).version

    value, sent = _run(ours)
    expected_value, expected_sent = _run(sdk)
    assert value == expected_value == "24.04.202611200"
    assert sent == expected_sent
    assert sent[0]["version"] and sent[0]["provider"]  # the plugin version and the explicit provider went along


def test_the_service_principal_lookup_is_the_azuread_sdk_call():
    value, sent = _run(lambda: invokes.service_principal_object_id("ddbf3205-c6bd-46ae-8127-60eb93363864"))
    expected_value, expected_sent = _run(
        lambda: azuread.get_service_principal_output(client_id="ddbf3205-c6bd-46ae-8127-60eb93363864").object_id
    )
    assert value == expected_value == "00000000-0000-4000-8000-0000000000ba"
    assert sent == expected_sent
    assert sent[0]["version"] == azuread._utilities.get_version()


def test_running_the_program_loads_neither_sdk_package_of_its_lookups():
    """The dev stack looks both up (baseImage.version latest, no servicePrincipalObjectId)."""
    code = (
        "import sys; from tools.plan.offline import run_program; run = run_program();"
        "print(sorted(m for m in sys.modules if m.startswith(('pulumi_azuread.', 'pulumi_azure.compute.'))))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
