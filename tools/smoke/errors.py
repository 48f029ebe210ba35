"""The error `make smoke` raises; its exit codes are the tools' one table (tools/errors.py)."""

from __future__ import annotations

from tools.errors import ExitCode, ToolError

__all__ = ["ExitCode", "SmokeError"]


class SmokeError(ToolError):
    """A smoke-test failure the user must act on (the code says which kind)."""
