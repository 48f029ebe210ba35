"""The error `make plan` raises; its exit codes are the tools' one table (tools/errors.py)."""

from __future__ import annotations

from tools.errors import ExitCode, ToolError

__all__ = ["ExitCode", "PlanError"]


class PlanError(ToolError):
    """The plan cannot be made: a stack file, the settings, the policy-pack config or an export is invalid."""

    def __init__(self, message: str, code: ExitCode = ExitCode.BAD_INPUT) -> None:
        super().__init__(code, message)
