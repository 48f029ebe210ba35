"""The program process stays light: it pickles the capture provider but never loads the Azure SDKs it calls."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_capture_resource_loads_no_azure_sdk() -> None:
    probe = (
        "import sys, components.capture.resource\n"
        "print(sorted(m for m in sys.modules if m.startswith(('azure.mgmt', 'azure.identity', 'azure.storage'))))"
    )
    completed = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
