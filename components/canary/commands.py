"""The canary's default command: the image marker check (`make smoke` runs the same check on every pool).

The guest setup writes the image version into a marker (Linux /opt/batch-image/VERSION, cloud_init.py; Windows
C:\\batch-image\\VERSION, image/setup.ps1). The check passes only on a node booted from the version it expects: exit 3
when the marker is missing, 4 when it names another version. Batch runs a task's command line without a shell, hence
`/bin/sh -c` and `powershell -Command`.
"""

from __future__ import annotations

import shlex

from components.common.os_type import OsType, is_windows

LINUX_MARKER = "/opt/batch-image/VERSION"
WINDOWS_MARKER = "C:\\batch-image\\VERSION"
EXIT_MARKER_MISSING = 3
EXIT_MARKER_MISMATCH = 4


def linux_marker_check(expected: str, marker_path: str = LINUX_MARKER) -> str:
    """A Linux task command line comparing the marker with `expected` (a version, or `$VARIABLE` set on the node)."""
    script = (
        f"marker={marker_path}; "
        f'if [ ! -r "$marker" ]; then echo "image marker $marker not found" >&2; exit {EXIT_MARKER_MISSING}; fi; '
        'found=$(cat "$marker"); '
        'echo "image marker: $found"; '
        f'echo "expected: {expected}"; '
        f'[ "$found" = "{expected}" ] || exit {EXIT_MARKER_MISMATCH}'
    )
    return "/bin/sh -c " + shlex.quote(script)


def windows_marker_check(expected: str) -> str:
    """The same check in Windows PowerShell 5.1 (every Windows Server image has it)."""
    script = (
        f"$m = '{WINDOWS_MARKER}'; "
        f'if (-not (Test-Path -LiteralPath $m)) {{ [Console]::Error.WriteLine("image marker $m not found"); '
        f"exit {EXIT_MARKER_MISSING} }}; "
        "$found = (Get-Content -LiteralPath $m -Raw).Trim(); "
        'Write-Output "image marker: $found"; '
        f"Write-Output 'expected: {expected}'; "
        f"if ($found -ne '{expected}') {{ exit {EXIT_MARKER_MISMATCH} }}"
    )
    return f'powershell.exe -NoProfile -NonInteractive -Command "{script}"'


def default_command(os_type: OsType, image_version: str) -> str:
    """image.canary.command's default: the marker check for image.version on the image's OS."""
    if is_windows(os_type):
        return windows_marker_check(image_version)
    return linux_marker_check(image_version)
