"""The error `make preflight` raises; its exit codes are the tools' one table (tools/errors.py)."""

from __future__ import annotations

from tools.errors import ExitCode, ToolError

__all__ = ["ExitCode", "PreflightError"]


class PreflightError(ToolError):
    """A preflight failure that stops the checks (bad input, no credentials); problems the checks find are results."""
