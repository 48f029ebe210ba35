"""The project's identity: its name (the config namespace, the URNs' project) and where it lives. Standard library
only, so the tools, the fakes and the tests learn a path or a name without importing the settings' pydantic models.
components.settings re-exports both names."""

from __future__ import annotations

from pathlib import Path

NAMESPACE = "batch-custom-image"  # the `name` in Pulumi.yaml
PROJECT_ROOT = Path(__file__).resolve().parents[2]  # where Pulumi.yaml and __main__.py are
