"""The capture provider (pickled into the state, run in the dynamic-provider process) imports Azure SDKs,
`pulumi.dynamic` and the standard library only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CAPTURE = Path(__file__).resolve().parents[2] / "components" / "capture"
COMMON = CAPTURE.parent / "common"  # shared with the program and tools, loaded by the provider too
PROGRAM_SIDE = {"resource.py"}  # the program-side resource may use the Pulumi SDK


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _allowed(module: str) -> bool:
    root = module.split(".")[0]
    return (
        root in sys.stdlib_module_names
        or root == "__future__"
        or root == "azure"
        or module == "pulumi.dynamic"
        or module == "pulumi.runtime.rpc"  # the wire sentinels; pulumi.dynamic's own server loads it anyway
        or (module.startswith("components.capture") and module != "components.capture.resource")
        or module.startswith("components.common")
    )


def test_provider_modules_import_only_azure_sdks_pulumi_dynamic_and_stdlib():
    modules = [p for p in sorted(CAPTURE.glob("*.py")) if p.name not in PROGRAM_SIDE]
    modules += sorted(COMMON.glob("*.py"))
    assert len(modules) > 5
    offending = {p.name: sorted(m for m in _imports(p) if not _allowed(m)) for p in modules}
    assert {name: bad for name, bad in offending.items() if bad} == {}


def test_loading_the_provider_loads_no_resource_sdk():
    code = (
        "import sys, components.capture.provider as p; p.CaptureProvider();"
        "print(sorted(m for m in sys.modules if m.startswith(('pulumi_', 'components.')) ))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=CAPTURE.parents[1], capture_output=True, text=True, check=True
    )
    loaded = out.stdout.strip()
    assert "pulumi_azure_native" not in loaded and "components.capture.resource" not in loaded
    assert "components.capture.provider" in loaded
