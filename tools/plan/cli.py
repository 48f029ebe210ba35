"""Offline plan: what will `pulumi up` create for a stack, and does it pass policy? No cloud, no credentials.

    python -m tools.plan --stack dev [--graph mermaid|dot|none] [--format text|markdown] [--json FILE|-]
                         [--stack-file PATH] [--policy-pack-config FILE] [--against EXPORT.json] [--as-deployed FILE]

It reads Pulumi.yaml and Pulumi.<stack>.yaml, validates them with the program's own settings, evaluates
`__main__.py` under Azure-shaped Pulumi mocks (tools/plan/offline.py), and runs the policy pack through the analyzer
interface the engine uses (tools/plan/policy_runner.py). It prints every resource, the dependency graph, the critical
path of `pulumi up` with an estimated duration (tools/plan/graph.py), and the policy results by level.

`--against EXPORT.json` compares the plan with what is deployed (`pulumi stack export` output): create / update /
replace / delete per resource, with the properties that cause it, and warnings for replacements and deletions of what
users depend on (pools, the gallery image version, the Batch account). `--as-deployed FILE` writes the export a
successful `pulumi up` of the plan would leave. See tools/plan/deployed.py.

Exit codes (the tools' one table, tools/errors.py): 0 = no mandatory violation; 1 = at least one mandatory violation;
2 = the configuration is invalid (stack file missing or unreadable, settings error, bad policy-pack config, missing or
malformed export file).

As twine's commands: `main` parses the flags and turns a `ToolError` into a message and its exit code; `plan` does the
work (tools/plan/report.py builds the document and the text).

`--json` writes the whole plan as one JSON document, described by tools/plan/plan.schema.json (schemaVersion 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import yaml
from pulumi import RunError

from components.common.project import NAMESPACE, PROJECT_ROOT
from tools.cli_support import tool_parser
from tools.errors import ExitCode, ToolError, exit_code_help
from tools.plan import deployed, report
from tools.plan.errors import PlanError
from tools.plan.offline import load_stack_config, run_program
from tools.plan.policy_runner import POLICY_PACK_DIR, PolicyConfigError, load_policy_config, run_policies


def policy_config_path(stack: str, given: Path | None) -> Path | None:
    """`--policy-pack-config` when given, else policies/config.<stack>.json when it exists, else none (pack defaults).

    The same file `pulumi preview --policy-pack policies --policy-pack-config policies/config.<stack>.json` reads.
    """
    if given is not None:
        return given
    per_stack = POLICY_PACK_DIR / f"config.{stack}.json"
    return per_stack if per_stack.is_file() else None


def build_parser() -> argparse.ArgumentParser:
    codes = exit_code_help([ExitCode.OK, ExitCode.MANDATORY_VIOLATION, ExitCode.BAD_INPUT])
    parser = tool_parser("plan", __doc__.split("\n\n")[0], codes)
    parser.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml (default dev)")
    parser.add_argument("--stack-file", type=Path, help="read the stack config from this file instead")
    parser.add_argument("--graph", choices=("mermaid", "dot", "none"), default="mermaid")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    parser.add_argument("--json", metavar="FILE", help="write the plan as JSON to FILE ('-' for stdout only)")
    parser.add_argument(
        "--policy-pack-config",
        type=Path,
        help="a `pulumi preview --policy-pack-config` file (default: policies/config.<stack>.json when it exists)",
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="EXPORT.json",
        help="compare with what is deployed: a `pulumi stack export` file (create/update/replace/delete, reasons)",
    )
    parser.add_argument(
        "--as-deployed", type=Path, metavar="FILE", help="write the `pulumi stack export` a successful `up` would leave"
    )
    return parser


def plan(args: argparse.Namespace, out: TextIO | None = None) -> ExitCode:
    """Make the plan the flags ask for and write it to `out` (stdout); raises PlanError for invalid input."""
    out = out or sys.stdout
    try:
        config = load_stack_config(args.stack, PROJECT_ROOT, stack_file=args.stack_file)
        live = deployed.load_export(args.against) if args.against else None
        pending = deployed.load_pending_operations(args.against) if args.against else []
        if live is not None:
            deployed.check_stack(args.against, live, args.stack, NAMESPACE)
        config_path = policy_config_path(args.stack, args.policy_pack_config)
        policy_config = load_policy_config(config_path) if config_path else None
        deployed_outputs = deployed.load_stack_outputs(args.against) if args.against else None
        run = run_program(config=config, stack=args.stack, stack_outputs=deployed_outputs)
        policies = run_policies(run.resources, policy_config)
    # RunError: a settings error (SettingsError), or the stack's record of published versions refused
    # (components/image_versions.py RecordError)
    except (RunError, PolicyConfigError, deployed.ExportError, FileNotFoundError, yaml.YAMLError) as error:
        raise PlanError(str(error)) from error

    comparison = deployed.compare(run, live, str(args.against), pending) if live is not None and args.against else None
    if args.as_deployed:
        export = deployed.as_deployed(run, args.stack, NAMESPACE)
        args.as_deployed.write_text(json.dumps(export, indent=2) + "\n")
    document = report.build_plan(run, policies, args.stack, config_path, comparison, policy_config)
    code = ExitCode(document["exitCode"])
    if args.json == "-":
        print(json.dumps(document, indent=2), file=out)
        return code
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
    graph_text = report.render_graph(run, document, args.graph)
    markdown = args.format == "markdown"
    print(report.render(document, args.graph, graph_text, markdown=markdown, against=comparison), file=out)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(plan(args))
    except ToolError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return int(error.code)


if __name__ == "__main__":
    raise SystemExit(main())
