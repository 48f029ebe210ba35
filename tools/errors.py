"""The exit codes of the command-line tools (`make plan`, `smoke`, `preflight`) and the error that carries one.

One table and one root, as pip keeps its status codes in one module and twine has one exception root: each tool
raises a `ToolError` (`PlanError`, `SmokeError`) from its work, and its `main` is the one place an error becomes a
message on stderr and an exit code. Each failure kind has its own code; a code means the same in every tool.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    MANDATORY_VIOLATION = 1  # plan: at least one mandatory policy violation
    PREFLIGHT_PROBLEM = 1  # preflight: at least one check found a problem (an alias: 1 = what blocks the deployment)
    BAD_INPUT = 2  # invalid stack file, settings, policy-pack config, export, stack outputs or flags (argparse uses 2);
    # preflight: no Azure credentials either (nothing could be checked)
    UNSUPPORTED_SKU = 3  # smoke: node agent SKU not offered by Batch, or past its end of life
    ALLOCATION_FAILED = 4  # smoke: pool resize errors (quota, image), no nodes, or pool being deleted
    NODE_UNUSABLE = 5  # smoke: a node reached the `unusable` state
    START_TASK_FAILED = 6  # smoke: a node's start task failed
    TIMEOUT = 7  # smoke: pool not ready, or the check task not finished, within the timeout
    MARKER_MISMATCH = 8  # smoke: /opt/batch-image/VERSION missing or not the deployed image version
    TASK_FAILED = 9  # smoke: the check task failed for another reason
    BATCH_ERROR = 10  # smoke: the Batch API refused a call (authentication, authorization, not found, ...)
    POOL_CONFIG_MISMATCH = 11  # smoke: the pool's subnet, public IPs, identities or container images differ
    INTERRUPTED = 130


class ToolError(Exception):
    """A failure the user must act on: a message saying what failed and an exit code saying which kind."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def exit_code_help(codes: list[ExitCode] | None = None) -> str:
    """The `exit codes:` epilog of a tool's --help (all codes unless `codes`)."""
    return "exit codes:\n" + "\n".join(f"  {code.value} {code.name.lower()}" for code in codes or list(ExitCode))
