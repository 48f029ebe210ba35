"""The pack as the Pulumi CLI runs it: `python -u -m pulumi.policy <engine> <pack dir>` with cwd = the pack dir,
which prints a port and serves the Analyzer gRPC interface. Driven here over real gRPC, as the engine does."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator

import grpc  # type: ignore[import-untyped, unused-ignore]
import pytest
from google.protobuf import empty_pb2  # type: ignore[import-untyped, unused-ignore]
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, plugin_pb2

from tools.plan.policy_runner import POLICY_PACK_DIR


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(POLICY_PACK_DIR)],
        cwd=POLICY_PACK_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = _first_line(process, timeout=60)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(timeout)
    if not lines or not lines[0].strip().isdigit():
        process.kill()
        raise AssertionError(f"the pack did not start: {lines} {process.stderr.read() if process.stderr else ''}")
    return lines[0].strip()


def test_pack_serves_its_policies_to_the_engine(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == "batch-custom-image" and info.supportsConfig
    levels = {p.name: p.enforcementLevel for p in info.policies}
    assert levels["batch-pool-gallery-image"] == analyzer_pb2.MANDATORY
    assert levels["storage-account-shared-key-disabled"] == analyzer_pb2.ADVISORY
    schema = next(p for p in info.policies if p.name == "batch-pool-max-nodes").configSchema
    assert dict(schema.properties["maxNodes"])["default"] == 100


def test_pack_analyzes_a_resource_over_grpc(analyzer):
    config = analyzer_pb2.ConfigureAnalyzerRequest()
    for name in ("storage-account-min-tls", "storage-account-shared-key-disabled"):
        config.policyConfig[name].CopyFrom(analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY))
    analyzer.Configure(config, timeout=30)
    request = analyzer_pb2.AnalyzeRequest(
        type="azure-native:storage:StorageAccount",
        name="image",
        urn="urn:pulumi:dev::batch-custom-image::azure-native:storage:StorageAccount::image",
    )
    request.properties.update(
        {
            "kind": "StorageV2",
            "sku": {"name": "Standard_LRS"},
            "minimumTlsVersion": "TLS1_0",
            "allowBlobPublicAccess": False,
            "allowSharedKeyAccess": False,
            "networkRuleSet": {"defaultAction": "Deny", "bypass": "AzureServices"},
        }
    )
    response = analyzer.Analyze(request, timeout=30)
    assert [(d.policyName, d.enforcementLevel) for d in response.diagnostics] == [
        ("storage-account-min-tls", analyzer_pb2.MANDATORY)
    ]
    assert analyzer.GetPluginInfo(empty_pb2.Empty(), timeout=30) != plugin_pb2.PluginInfo()
