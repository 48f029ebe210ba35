"""`make preflight STACK=dev`: read-only checks of the real subscription before the first `pulumi up`.

    python -m tools.preflight --stack dev                      # DefaultAzureCredential (az login, or CI's identity)
    python -m tools.preflight --stack dev --json               # one JSON document (preflight.schema.json) for CI
    python -m tools.preflight --stack dev --resource-group shared-rg --batch-endpoint acct.westeurope.batch.azure.com

Checks, each a line with ok / PROBLEM / skipped and what to do: the resource providers `up` needs are registered; the
vCPU quota per family (and the regional dedicated and Spot totals) in the region covers the builder and the pools'
dedicated and Spot targets; each size is offered in the region and not restricted for the subscription; the
marketplace base image exists (its version when pinned); Batch's supported images list the pools' node agents and
agree on their end of life; the deployer may create role assignments; the Batch service principal exists in the
tenant. The stack's values are read through the program's own settings loader (tools/preflight/target.py).
Nothing is written: every request is a GET.

Exit codes: 0 no problem; 1 at least one problem; 2 bad input or no credentials (one message: how to sign in).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from azure.core.exceptions import ClientAuthenticationError

from tools.cli_support import env_option, run_tool, tool_parser
from tools.preflight import report
from tools.preflight.azure import (
    CREDENTIAL_KINDS,
    PUBLIC_ARM,
    PUBLIC_GRAPH,
    Endpoints,
    make_credential,
    open_subscription,
)
from tools.preflight.checks import Options, run_checks
from tools.preflight.errors import ExitCode, PreflightError
from tools.preflight.target import load_target

# The tools' table (tools/errors.py) under preflight's own names: 1 is an alias there (plan's mandatory violation).
EXIT_CODE_HELP = (
    "exit codes:\n"
    f"  {ExitCode.OK.value} ok (no check found a problem)\n"
    f"  {ExitCode.PREFLIGHT_PROBLEM.value} preflight_problem (at least one check found one)\n"
    f"  {ExitCode.BAD_INPUT.value} bad_input (stack settings, flags) or no Azure credentials\n"
    f"  {ExitCode.INTERRUPTED.value} interrupted"
)
SIGN_IN = (
    "no Azure credentials: sign in with `az login` (and `az account set --subscription <id>`), or in CI give the "
    "job an identity: AZURE_CLIENT_ID + AZURE_TENANT_ID with OIDC (AZURE_FEDERATED_TOKEN_FILE) or a managed identity"
)


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser(
        "preflight", "Check the subscription before the first `pulumi up` (read-only).", EXIT_CODE_HELP
    )
    parser.add_argument("--stack", required=True, help="the stack whose Pulumi.<stack>.yaml is checked")
    parser.add_argument("--stack-file", type=Path, help="read this file instead of Pulumi.<stack>.yaml")
    parser.add_argument("--subscription", help="subscription id [azure-native:subscriptionId, env ARM_SUBSCRIPTION_ID]")
    parser.add_argument("--json", action="store_true", help="print one JSON document (for CI)")
    parser.add_argument(
        "--resource-group", help="an existing resource group to read the deployer's permissions on (role assignments)"
    )
    parser.add_argument(
        "--batch-endpoint", help="an existing Batch account's endpoint in the region (supported images, node agents)"
    )
    conn = parser.add_argument_group("connection (for tests and sovereign clouds)")
    env_option(conn, "--arm-endpoint", "BCI_ARM_ENDPOINT", "Resource Manager endpoint", PUBLIC_ARM)
    env_option(conn, "--graph-endpoint", "BCI_GRAPH_ENDPOINT", "Microsoft Graph endpoint", PUBLIC_GRAPH)
    env_option(conn, "--ca-bundle", "BCI_CA_BUNDLE", "PEM file of CAs to trust")
    conn.add_argument(
        "--credential",
        choices=CREDENTIAL_KINDS,
        default="loopback" if os.environ.get("BCI_FAKE_CREDENTIAL", "").strip() == "1" else "default",
        help="default = DefaultAzureCredential; loopback = test token for 127.0.0.1 fakes only "
        "[env BCI_FAKE_CREDENTIAL=1]",
    )
    return parser


def _https(url: str, flag: str) -> str:
    if not url.startswith("https://"):
        raise PreflightError(ExitCode.BAD_INPUT, f"{flag} '{url}' is not an https URL; allowed: https://<host>[:port]")
    return url.rstrip("/")


def endpoints_from(args: argparse.Namespace) -> Endpoints:
    batch = args.batch_endpoint
    if batch is not None and "://" not in batch:
        batch = f"https://{batch}"
    if args.ca_bundle and not os.path.isfile(args.ca_bundle):
        raise PreflightError(ExitCode.BAD_INPUT, f"--ca-bundle '{args.ca_bundle}' is not a file; allowed: a PEM file")
    return Endpoints(
        arm=_https(args.arm_endpoint, "--arm-endpoint"),
        graph=_https(args.graph_endpoint, "--graph-endpoint"),
        batch=_https(batch, "--batch-endpoint") if batch else None,
        ca_bundle=args.ca_bundle,
    )


def preflight(args: argparse.Namespace) -> int:
    target = load_target(args.stack, args.subscription, stack_file=args.stack_file)
    endpoints = endpoints_from(args)
    credential = make_credential(args.credential, endpoints)
    # DefaultAzureCredential logs each credential it tried as a warning (Python's last-resort handler prints it to
    # stderr when the user configured no logging): the one message below says it instead.
    logging.getLogger("azure.identity").addHandler(logging.NullHandler())
    try:  # one token up front: no credentials is one message, not one failure per check
        credential.get_token(endpoints.scope(endpoints.arm))
    except ClientAuthenticationError as exc:
        detail = (exc.message or str(exc)).strip().splitlines()[0]
        raise PreflightError(ExitCode.BAD_INPUT, f"{SIGN_IN} ({detail[:200]})") from None
    options = Options(resource_group=args.resource_group, now=datetime.now(UTC))
    with open_subscription(credential, target.subscription_id, endpoints) as subscription:
        results = run_checks(subscription, target, options)
    print(report.dumps(target, results) if args.json else "\n".join(report.text_lines(target, results)))
    return int(ExitCode.OK if report.passed(results) else ExitCode.PREFLIGHT_PROBLEM)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_tool("preflight", lambda: preflight(args))


if __name__ == "__main__":
    sys.exit(main())
