"""The gallery image version format, MAJOR.MINOR.PATCH: one definition for the settings, the capture step and smoke.

Azure Compute Gallery versions are three 32-bit integers; this project writes them without leading zeros so that the
version string, the blob names derived from it and the marker file on the nodes compare equal as text.
`image/setup.sh` keeps a shell copy of the rule; tests/image/test_setup_script.py checks that the two agree.
"""

from __future__ import annotations

import re

IMAGE_VERSION_PATTERN = r"^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$"
IMAGE_VERSION_RULE = "MAJOR.MINOR.PATCH: whole numbers without leading zeros, at most 9 digits each, e.g. 1.0.0"
_IMAGE_VERSION = re.compile(IMAGE_VERSION_PATTERN)


def is_image_version(value: object) -> bool:
    # fullmatch: `$` alone also matches before a trailing newline, and "1.0.0\n" is not a version
    return isinstance(value, str) and _IMAGE_VERSION.fullmatch(value) is not None


def version_order(version: str) -> tuple[int, ...]:
    """A version's sort key: (MAJOR, MINOR, PATCH) as numbers (1.10.0 after 1.9.0)."""
    return tuple(int(part) for part in version.split("."))
