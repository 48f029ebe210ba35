"""Locating the Debian tools the image tests need; a missing tool fails the test with the package to install."""

from __future__ import annotations

import shutil

import pytest

# Debian packages that provide the tools (.ci/run installs them).
DEBIAN_PACKAGES = {"shellcheck": "shellcheck", "cloud-init": "cloud-init"}


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not installed; install the Debian package with "
            f"`apt-get install -y {DEBIAN_PACKAGES[name]}` (.ci/run does this)",
            pytrace=False,
        )
    return path
