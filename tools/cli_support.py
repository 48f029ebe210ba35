"""What every tool's command line shares: the parser (`python -m tools.<tool>`, the exit codes it may return in
--help, tools/errors.py) and options whose default comes from an environment variable (tests and sovereign clouds
point the tools at fakes and other endpoints that way; an empty variable counts as unset)."""

from __future__ import annotations

import argparse
import os
from typing import Any


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
