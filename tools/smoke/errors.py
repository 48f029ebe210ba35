"""The error `make smoke` raises; its exit codes are the tools' one table (tools/errors.py)."""

from __future__ import annotations

from components.common import batch_nodes
from components.common.batch_nodes import NodeCheckError
from tools.errors import ExitCode, ToolError

__all__ = ["ExitCode", "SmokeError", "smoke_error"]


class SmokeError(ToolError):
    """A smoke-test failure the user must act on (the code says which kind)."""


# The exit code of each kind of the node and task checks `make smoke` shares with the canary.
_EXIT_CODES = {
    batch_nodes.POOL_DELETING: ExitCode.ALLOCATION_FAILED,
    batch_nodes.ALLOCATION_FAILED: ExitCode.ALLOCATION_FAILED,
    batch_nodes.NODE_UNUSABLE: ExitCode.NODE_UNUSABLE,
    batch_nodes.START_TASK_FAILED: ExitCode.START_TASK_FAILED,
    batch_nodes.MARKER_MISSING: ExitCode.MARKER_MISMATCH,
    batch_nodes.MARKER_MISMATCH: ExitCode.MARKER_MISMATCH,
    batch_nodes.TASK_FAILED: ExitCode.TASK_FAILED,
}


def smoke_error(err: NodeCheckError) -> SmokeError:
    """The shared check's failure as `make smoke` reports it: its exit code for the kind, the same message."""
    return SmokeError(_EXIT_CODES[err.kind], err.message)
