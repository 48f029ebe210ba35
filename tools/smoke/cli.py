"""`make smoke STACK=dev`: prove a deployed pool works, with the Batch data-plane API.

    python -m tools.smoke --stack dev                 # outputs from `pulumi stack output --json`
    python -m tools.smoke --outputs outputs.json      # the same JSON saved to a file
    python -m tools.smoke --endpoint mybatch.westeurope.batch.azure.com --image-version 1.0.0 \
        --pool render --node-agent-sku-id "batch.node.ubuntu 24.04"

Steps: check each pool's node agent SKU is supported and not past end of life; wait (with a progress display and a
timeout) until every pool is steady with usable nodes and report the time to ready; compare each pool's subnet, public
IP provisioning, identities and container images with the stack's `pools` output; run a job per pool whose task
checks /opt/batch-image/VERSION equals the deployed image version; print the task output; delete the jobs.
Exit codes: the tools' one table, tools/errors.py (the ones smoke uses are printed by --help).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from azure.batch import BatchClient
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from tools.cli_support import env_option, run_tool, tool_parser
from tools.errors import exit_code_help
from tools.smoke import marker
from tools.smoke.client import CREDENTIAL_KINDS, ClientSettings, endpoint_url, make_client
from tools.smoke.errors import ExitCode, SmokeError
from tools.smoke.outputs import (
    OutputFlags,
    PoolTarget,
    SmokeTarget,
    read_outputs_file,
    read_stack_outputs,
    resolve_target,
)
from tools.smoke.pool_config import mismatches
from tools.smoke.sku import check_pool_skus, sku_end_of_life
from tools.smoke.wait import Progress, ReadyReport, format_duration, wait_until_ready

EXIT_CODE_HELP = exit_code_help([code for code in ExitCode if code is not ExitCode.MANDATORY_VIOLATION])


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive number of seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser("smoke", "Verify deployed Batch pools boot the custom image.", EXIT_CODE_HELP)
    source = parser.add_argument_group("stack outputs (one source; flags override single values)")
    source.add_argument("--stack", help="read outputs with `pulumi stack output --json --stack STACK`")
    source.add_argument("--outputs", type=Path, metavar="FILE", help="JSON file of stack outputs")
    source.add_argument("--endpoint", help="Batch account endpoint host (output batchAccountEndpoint)")
    source.add_argument("--image-version", help="expected image version MAJOR.MINOR.PATCH")
    source.add_argument("--pool", action="append", default=[], metavar="POOL_ID", help="Batch pool id (repeatable)")
    source.add_argument("--node-agent-sku-id", help="node agent SKU of the --pool pools")
    timing = parser.add_argument_group("timing")
    timing.add_argument("--timeout", type=positive_seconds, default=1800.0, help="seconds to wait for ready pools")
    timing.add_argument("--task-timeout", type=positive_seconds, default=600.0, help="seconds for the check task")
    timing.add_argument("--poll-interval", type=positive_seconds, default=15.0, help="seconds between polls")
    conn = parser.add_argument_group("connection (for tests and private endpoints)")
    env_option(conn, "--endpoint-url", "BATCH_SMOKE_ENDPOINT_URL", "URL replacing https://<endpoint>")
    env_option(conn, "--ca-bundle", "BATCH_SMOKE_CA_BUNDLE", "PEM file of CAs to trust")
    env_option(
        conn,
        "--credential",
        "BATCH_SMOKE_CREDENTIAL",
        "default = DefaultAzureCredential; loopback = test token for 127.0.0.1 fakes only",
        "default",
        choices=CREDENTIAL_KINDS,
    )
    return parser


def load_target(args: argparse.Namespace) -> SmokeTarget:
    if args.stack and args.outputs:
        raise SmokeError(ExitCode.BAD_INPUT, "give either --stack or --outputs, not both")
    flags = OutputFlags(args.endpoint, args.image_version, tuple(args.pool), args.node_agent_sku_id)
    if args.stack:
        return resolve_target(read_stack_outputs(args.stack), flags, f"stack '{args.stack}'")
    if args.outputs:
        return resolve_target(read_outputs_file(args.outputs), flags, str(args.outputs))
    if not (args.endpoint and args.image_version and args.pool):
        raise SmokeError(
            ExitCode.BAD_INPUT,
            "no stack outputs: give --stack STACK, --outputs FILE, or all of --endpoint, --image-version, --pool",
        )
    return resolve_target({}, flags, "flags")


def check_skus(client: BatchClient, target: SmokeTarget) -> None:
    statuses = check_pool_skus(target.pools, sku_end_of_life(client.list_supported_images()), datetime.now(UTC))
    for pool, status in zip(target.pools, statuses, strict=True):
        eol = f", end of life {status.end_of_life:%Y-%m-%d}" if status.end_of_life else ""
        print(f"{pool.pool_id}: node agent SKU '{status.sku}' is supported{eol}")
        if status.warning:
            print(f"warning: {status.warning}", file=sys.stderr)


def report_ready(reports: dict[str, ReadyReport]) -> None:
    for report in reports.values():
        line = (
            f"{report.pool_id}: ready after {format_duration(report.waited_seconds)} with {report.node_count} node(s)"
        )
        if report.slowest_node_boot is not None:
            line += f"; slowest node allocated -> idle in {format_duration(report.slowest_node_boot.total_seconds())}"
        print(line)


def check_pool_configs(client: BatchClient, pools: Sequence[PoolTarget]) -> None:
    """Each pool's networking, identities and images as Batch reports them, against the stack output."""
    problems = []
    for target in pools:
        if target.expected is None:
            continue
        found = mismatches(target.expected, client.get_pool(target.pool_id))
        if found:
            problems.append(f"pool '{target.pool_id}': " + "; ".join(found))
        else:
            print(f"{target.pool_id}: subnet, public IPs, identities and container images match the stack output")
    if problems:
        raise SmokeError(
            ExitCode.POOL_CONFIG_MISMATCH,
            " | ".join(problems) + ". The pool differs from the stack's configuration: run `pulumi up` (or "
            "`pulumi refresh` to see what changed outside it)",
        )


def run_marker_checks(
    client: BatchClient, target: SmokeTarget, pools: Sequence[PoolTarget], args: argparse.Namespace
) -> list[marker.MarkerResult]:
    job_ids: list[str] = []
    try:
        jobs = []
        for pool in pools:
            job = marker.create_job(client, pool, marker.job_id_for(pool.pool_id, datetime.now(UTC)))
            job_ids.append(job.job_id)  # created: whatever happens next, it gets deleted
            jobs.append(job)
            marker.add_check_task(client, job, target.image_version)
            print(f"{pool.pool_id}: submitted job {job.job_id} (task {marker.TASK_ID})")
        tasks = marker.wait_for_tasks(client, jobs, args.task_timeout, args.poll_interval)
        return marker.collect(client, jobs, target.image_version, tasks)
    finally:
        left = marker.delete_jobs(client, job_ids, args.poll_interval)
        for job_id in job_ids:
            if job_id not in left:
                print(f"deleted job {job_id}")
        for job_id in left:
            print(f"warning: could not confirm deletion of job {job_id}; delete it yourself", file=sys.stderr)


def print_task_output(results: Sequence[marker.MarkerResult]) -> None:
    for result in results:
        print(f"--- {result.pool.pool_id} (job {result.job_id}), exit code {result.exit_code} ---")
        if result.stdout:
            print(result.stdout.rstrip("\n"))
        if result.stderr:
            print("stderr: " + result.stderr.rstrip("\n"))


def smoke(args: argparse.Namespace) -> None:
    target = load_target(args)
    url = endpoint_url(target.account_endpoint, args.endpoint_url)
    names = ", ".join(p.pool_id for p in target.pools)
    print(f"smoke test: image version {target.image_version}, pools {names}, Batch endpoint {url} ({target.source})")
    with make_client(ClientSettings(url, args.ca_bundle, args.credential)) as client:
        check_skus(client, target)
        progress = Progress(sys.stdout, interactive=sys.stdout.isatty())
        report_ready(wait_until_ready(client, target.pools, args.timeout, args.poll_interval, progress))
        check_pool_configs(client, target.pools)
        linux = [p for p in target.pools if not p.node_agent_sku_id.startswith("batch.node.windows")]
        for pool in target.pools:
            if pool not in linux:
                print(f"{pool.pool_id}: Windows pool; the image marker check covers Linux images only, skipped")
        results = run_marker_checks(client, target, linux, args) if linux else []
    print_task_output(results)
    failures = [r.failure for r in results if r.failure]
    for failure in failures[1:]:
        print(f"smoke: error: {failure.message}", file=sys.stderr)
    if failures:
        raise failures[0]
    for result in results:
        print(f"{result.pool.pool_id}: image marker matches {target.image_version}")
    print("smoke test passed")


def batch_error(exc: HttpResponseError) -> SmokeError:
    status = exc.status_code
    hint = ""
    if status == 401:
        hint = "; the token was rejected: check `az login` / the identity's tenant"
    elif status == 403:
        hint = "; the identity needs 'Azure Batch Job Submitter' (or Data Contributor) on the Batch account"
    elif status == 404:
        hint = "; check the stack outputs match the Batch account (pool ids, endpoint)"
    message = exc.message.splitlines()[0] if exc.message else str(exc)
    return SmokeError(ExitCode.BATCH_ERROR, f"Batch API call failed (HTTP {status}): {message}{hint}")


def smoke_or_batch_error(args: argparse.Namespace) -> int:
    """`smoke`, with Batch's refusals as the `SmokeError` that says what to do."""
    try:
        smoke(args)
    except ClientAuthenticationError as exc:
        detail = exc.message.splitlines()[0] if exc.message else str(exc)
        advice = "run `az login` or set up a managed identity / AZURE_CLIENT_ID"
        raise SmokeError(ExitCode.BATCH_ERROR, f"could not authenticate to Batch: {detail}; {advice}") from exc
    except HttpResponseError as exc:
        raise batch_error(exc) from exc
    return int(ExitCode.OK)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_tool("smoke", lambda: smoke_or_batch_error(args))


if __name__ == "__main__":
    sys.exit(main())
