"""The dynamic providers (the capture's and the pool drain's: pickled into the state, run in the dynamic-provider
process) import Azure SDKs, `pulumi.dynamic`, the engine's gRPC stubs (progress), `components.common`, their own package
and the standard library only: no Pulumi resource SDK, no other component."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CAPTURE = Path(__file__).resolve().parents[2] / "components" / "capture"
POOL_DRAIN = CAPTURE.parent / "pool_drain"
COMMON = CAPTURE.parent / "common"  # shared with the program and tools, loaded by the provider too
PROGRAM_SIDE = {"resource.py"}  # the program-side resources may use the Pulumi SDK


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _allowed(module: str, package: str) -> bool:
    root = module.split(".")[0]
    return (
        root in sys.stdlib_module_names
        or root == "__future__"
        or root == "azure"
        or module == "pulumi.dynamic"
        or module == "pulumi.runtime.rpc"  # the wire sentinels; pulumi.dynamic's own server loads it anyway
        or module.startswith("pulumi.runtime.proto")  # the engine's Log RPC (common/progress.py); loaded there too
        or root == "grpc"
        or (module.startswith(f"components.{package}") and module != f"components.{package}.resource")
        or module.startswith("components.common")
    )


@pytest.mark.parametrize("package", [CAPTURE, POOL_DRAIN, COMMON], ids=lambda p: p.name)
def test_provider_modules_import_only_azure_sdks_pulumi_dynamic_and_stdlib(package):
    modules = [p for p in sorted(package.glob("*.py")) if p.name not in PROGRAM_SIDE]
    assert len(modules) > 4
    offending = {p.name: sorted(m for m in _imports(p) if not _allowed(m, package.name)) for p in modules}
    assert {name: bad for name, bad in offending.items() if bad} == {}


@pytest.mark.parametrize(
    ("module", "provider"),
    [("components.capture.provider", "CaptureProvider"), ("components.pool_drain.provider", "PoolDrainProvider")],
)
def test_loading_the_provider_loads_no_resource_sdk(module, provider):
    code = (
        f"import sys, {module} as p; p.{provider}();"
        "print(sorted(m for m in sys.modules if m.startswith(('pulumi_', 'components.')) ))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=CAPTURE.parents[1], capture_output=True, text=True, check=True
    )
    loaded = ast.literal_eval(out.stdout.strip())
    assert module in loaded
    package = module.rsplit(".", 1)[0]
    others = [m for m in loaded if m.startswith("components.") and not m.startswith((package, "components.common"))]
    assert [m for m in loaded if m.startswith("pulumi_")] == [] and f"{package}.resource" not in loaded
    assert others == []
