"""The guest's operating system and processor architecture, as one type each for every module that branches on them.

`image.osType` is validated once in the settings (and again at the capture provider's boundary, against OS_TYPES);
after that it travels typed, never as a bare string. Code that differs by OS asks `is_windows` (one spelling of the
literal), or looks its choice up in a table keyed by `OsType`. Standard library only: the providers import it.
"""

from __future__ import annotations

from typing import Literal, get_args

OsType = Literal["Linux", "Windows"]  # Azure's OperatingSystemTypes (gallery image definition, VM osDisk.osType)
OS_TYPES: tuple[OsType, ...] = get_args(OsType)

# A gallery image definition's architecture (Azure's Architecture enum: x64, Arm64); the image and its VM sizes agree.
Architecture = Literal["x64", "Arm64"]


def is_windows(os_type: OsType) -> bool:
    """The one place the program spells the Windows literal to branch on it."""
    return os_type == "Windows"
