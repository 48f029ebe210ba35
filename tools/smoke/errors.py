"""Exit codes of `make smoke` and the error that carries one; each failure kind has its own code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    BAD_INPUT = 2  # missing or malformed stack outputs / flags (argparse usage errors use 2 as well)
    UNSUPPORTED_SKU = 3  # node agent SKU not offered by Batch, or past its end of life
    ALLOCATION_FAILED = 4  # pool resize errors (quota, image), no nodes, or pool being deleted
    NODE_UNUSABLE = 5  # a node reached the `unusable` state
    START_TASK_FAILED = 6  # a node's start task failed
    TIMEOUT = 7  # pool not ready, or the check task not finished, within the timeout
    MARKER_MISMATCH = 8  # /opt/batch-image/VERSION missing or not the deployed image version
    TASK_FAILED = 9  # the check task failed for another reason
    BATCH_ERROR = 10  # the Batch API refused a call (authentication, authorization, not found, ...)
    POOL_CONFIG_MISMATCH = 11  # the pool's subnet, public IPs, identities or container images differ from the stack's
    INTERRUPTED = 130


class SmokeError(Exception):
    """A failure the user must act on: a message saying what failed and an exit code saying which kind."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
