"""What a VM's properties say about its guest OS."""

from __future__ import annotations

from typing import Any

from ._props import keys, peek

# Marketplace publishers of Windows images. components/settings/facts.py keeps its own copy (the pack runs in its own
# virtualenv); tests/policies asserts the two agree.
WINDOWS_PUBLISHERS = frozenset({"microsoftwindowsserver", "microsoftwindowsdesktop", "microsoftsqlserver"})


def is_windows(props: Any) -> bool:
    publisher = peek(props, "storageProfile.imageReference.publisher")
    return (
        "windowsConfiguration" in keys(props, "osProfile")
        or peek(props, "storageProfile.osDisk.osType") == "Windows"
        or (isinstance(publisher, str) and publisher.lower() in WINDOWS_PUBLISHERS)
    )
