"""image.canary's defaults that depend on the rest of the settings: the canary's size and its command."""

from __future__ import annotations

from components.canary.commands import default_command
from components.settings import Settings


def canary_vm_size(settings: Settings) -> str:
    """image.canary.vmSize, default the first pool's size."""
    return settings.image.canary.vm_size or settings.pools[0].vm_size


def canary_command(settings: Settings) -> str:
    """image.canary.command, default the image marker check for image.version (components/canary/commands.py)."""
    return settings.image.canary.command or default_command(settings.image.os_type, settings.image.version)
