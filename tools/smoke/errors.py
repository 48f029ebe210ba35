"""The error `make smoke` raises; its exit codes are the tools' one table (tools/errors.py)."""

from __future__ import annotations

from components.canary import checks
from components.canary.checks import NodeCheckError
from tools.errors import ExitCode, ToolError

__all__ = ["ExitCode", "SmokeError", "smoke_error"]


class SmokeError(ToolError):
    """A smoke-test failure the user must act on (the code says which kind)."""


# The exit code of each kind of the node and task checks `make smoke` shares with the canary.
_EXIT_CODES = {
    checks.POOL_DELETING: ExitCode.ALLOCATION_FAILED,
    checks.ALLOCATION_FAILED: ExitCode.ALLOCATION_FAILED,
    checks.NODE_UNUSABLE: ExitCode.NODE_UNUSABLE,
    checks.START_TASK_FAILED: ExitCode.START_TASK_FAILED,
    checks.MARKER_MISSING: ExitCode.MARKER_MISMATCH,
    checks.MARKER_MISMATCH: ExitCode.MARKER_MISMATCH,
    checks.TASK_FAILED: ExitCode.TASK_FAILED,
}


def smoke_error(err: NodeCheckError) -> SmokeError:
    """The shared check's failure as `make smoke` reports it: its exit code for the kind, the same message."""
    return SmokeError(_EXIT_CODES[err.kind], err.message)
