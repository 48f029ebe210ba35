"""What every tool's command line shares: the parser (`python -m tools.<tool>`, the exit codes it may return in
--help, tools/errors.py), options whose default comes from an environment variable (tests and sovereign clouds
point the tools at fakes and other endpoints that way; an empty variable counts as unset) and turning an error into
its message and exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from tools.errors import ExitCode, ToolError


def tool_parser(tool: str, description: str, exit_codes: str) -> argparse.ArgumentParser:
    """The parser of `python -m tools.<tool>`; `exit_codes` is the --help epilog listing the codes it returns
    (`tools.errors.exit_code_help`)."""
    return argparse.ArgumentParser(
        prog=f"python -m tools.{tool}",
        description=description,
        epilog=exit_codes,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def env_option(
    group: argparse._ActionsContainer, flag: str, env: str, help: str, default: str | None = None, **more: Any
) -> None:
    """An option defaulting to the environment variable `env` (else `default`); its help names the variable."""
    group.add_argument(flag, default=os.environ.get(env) or default, help=f"{help} [env {env}]", **more)


def run_tool(tool: str, work: Callable[[], int]) -> int:
    """`work`'s exit code; the one place a `ToolError` becomes a message on stderr (`<tool>: error: ...`) and its
    code, and Ctrl-C `<tool>: interrupted` and 130."""
    try:
        return work()
    except ToolError as exc:
        print(f"{tool}: error: {exc.message}", file=sys.stderr)
        return int(exc.code)
    except KeyboardInterrupt:
        print(f"{tool}: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
