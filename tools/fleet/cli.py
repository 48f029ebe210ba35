"""The fleet's commands.

    python -m tools.fleet plan [--manifest fleet/fleet.yaml] [--workers 2]     (make fleet-plan)
    python -m tools.fleet workflow [--manifest fleet/fleet.yaml] [--output .github/workflows/fleet.yml | -]

`plan`: the manifest checked as a whole (tools/fleet/manifest.py) before any plan runs, then the offline plan and the
policy pack for every stack (tools/fleet/plan.py), one table. Exit codes (tools/errors.py): 0 = no mandatory
violation; 1 = a stack has a mandatory violation; 2 = the manifest is invalid, or a stack can't be planned.
`workflow`: writes the GitHub Actions workflow the manifest stands for (tools/fleet/workflow.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from components.common.project import PROJECT_ROOT
from tools.cli_support import tool_parser
from tools.errors import ExitCode, ToolError, exit_code_help
from tools.fleet.manifest import load_manifest
from tools.fleet.plan import exit_code, plan_fleet, render_table
from tools.fleet.workflow import WORKFLOW_PATH, render_workflow

DEFAULT_MANIFEST = PROJECT_ROOT / "fleet" / "fleet.yaml"


def build_parser() -> argparse.ArgumentParser:
    codes = exit_code_help([ExitCode.OK, ExitCode.MANDATORY_VIOLATION, ExitCode.BAD_INPUT])
    parser = tool_parser("fleet", __doc__.split("\n\n")[0], codes)
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="offline plan and policy pack for every stack of the manifest")
    plan.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    plan.add_argument("--workers", type=int, default=2, help="processes planning stacks (default 2)")
    workflow = commands.add_parser("workflow", help="write the GitHub Actions workflow of the manifest")
    workflow.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    workflow.add_argument("--output", default=str(PROJECT_ROOT / WORKFLOW_PATH), help="file, or - for stdout")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        fleet = load_manifest(args.manifest)
        if args.command == "workflow":
            text = render_workflow(fleet)
            if args.output == "-":
                sys.stdout.write(text)
            else:
                Path(args.output).write_text(text)
            return 0
        started = time.perf_counter()
        plans = plan_fleet(fleet, workers=args.workers)
        wall = time.perf_counter() - started
        print(render_table(plans))
        per_stack = wall / max(1, len(plans))
        print(f"\n{len(plans)} stacks in {wall:.1f} s ({per_stack:.2f} s per stack, {args.workers} workers)")
        return int(exit_code(plans))
    except ToolError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return int(error.code)
