"""The check task: on each pool, read /opt/batch-image/VERSION and compare it with the deployed image version.

A Batch job is bound to one pool, so each pool gets its own job with one task; every job is deleted afterwards,
also when the check fails or times out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from azure.batch import BatchClient
from azure.batch.models import (
    AutoUserSpecification,
    BatchJobConstraints,
    BatchJobCreateOptions,
    BatchPoolInfo,
    BatchTask,
    BatchTaskConstraints,
    BatchTaskCreateOptions,
    EnvironmentSetting,
    UserIdentity,
)
from azure.core.exceptions import AzureError, ResourceNotFoundError

from components.canary.checks import task_failure, wire_value
from components.canary.commands import EXIT_MARKER_MISMATCH, EXIT_MARKER_MISSING, LINUX_MARKER, linux_marker_check
from tools.smoke.errors import ExitCode, SmokeError, smoke_error
from tools.smoke.outputs import PoolTarget
from tools.smoke.wait import format_duration

MARKER_PATH = LINUX_MARKER
TASK_ID = "check-image-marker"
EXPECTED_VARIABLE = "EXPECTED_IMAGE_VERSION"
__all__ = ["EXIT_MARKER_MISMATCH", "EXIT_MARKER_MISSING"]  # the marker check's exit codes (tests name them here)
TASK_WALL_CLOCK = timedelta(minutes=5)
JOB_WALL_CLOCK = timedelta(minutes=30)
DELETE_WAIT_SECONDS = 120
JOB_ID_MAX = 64


@dataclass(frozen=True)
class MarkerJob:
    pool: PoolTarget
    job_id: str


@dataclass(frozen=True)
class MarkerResult:
    pool: PoolTarget
    job_id: str
    exit_code: int | None
    stdout: str
    stderr: str
    failure: SmokeError | None


def marker_command(marker_path: str = MARKER_PATH) -> str:
    """A Linux task command line comparing the marker with $EXPECTED_IMAGE_VERSION (the canary's default check)."""
    return linux_marker_check(f"${EXPECTED_VARIABLE}", marker_path)


def job_id_for(pool_id: str, now: datetime) -> str:
    suffix = now.astimezone(UTC).strftime("-%Y%m%dT%H%M%SZ")
    return "smoke-" + pool_id[: JOB_ID_MAX - len("smoke-") - len(suffix)] + suffix


def create_job(client: BatchClient, pool: PoolTarget, job_id: str) -> MarkerJob:
    client.create_job(
        BatchJobCreateOptions(
            id=job_id,
            display_name=f"make smoke: image marker on {pool.pool_id}",
            pool_info=BatchPoolInfo(pool_id=pool.pool_id),
            constraints=BatchJobConstraints(max_wall_clock_time=JOB_WALL_CLOCK),
        )
    )
    return MarkerJob(pool=pool, job_id=job_id)


def add_check_task(client: BatchClient, job: MarkerJob, image_version: str) -> None:
    client.create_task(
        job.job_id,
        BatchTaskCreateOptions(
            id=TASK_ID,
            command_line=marker_command(),
            environment_settings=[EnvironmentSetting(name=EXPECTED_VARIABLE, value=image_version)],
            constraints=BatchTaskConstraints(max_wall_clock_time=TASK_WALL_CLOCK, max_task_retry_count=0),
            user_identity=UserIdentity(auto_user=AutoUserSpecification(scope="task", elevation_level="nonadmin")),
        ),
    )


def wait_for_tasks(
    client: BatchClient, jobs: Sequence[MarkerJob], timeout: float, poll_interval: float
) -> dict[str, BatchTask]:
    deadline = time.monotonic() + timeout
    done: dict[str, BatchTask] = {}
    while True:
        for job in jobs:
            if job.job_id not in done:
                task = client.get_task(job.job_id, TASK_ID)
                if wire_value(task.state) == "completed":
                    done[job.job_id] = task
        if len(done) == len(jobs):
            return done
        now = time.monotonic()
        if now >= deadline:
            pending = ", ".join(f"{j.pool.pool_id} (job {j.job_id})" for j in jobs if j.job_id not in done)
            raise SmokeError(
                ExitCode.TIMEOUT, f"the check task did not finish within {format_duration(timeout)} on: {pending}"
            )
        time.sleep(max(0.0, min(poll_interval, deadline - now)))


def read_task_file(client: BatchClient, job_id: str, name: str) -> str:
    try:
        return b"".join(client.download_task_file(job_id, TASK_ID, name)).decode("utf-8", errors="replace")
    except ResourceNotFoundError:
        return ""


def judge(job: MarkerJob, image_version: str, task: BatchTask, stdout: str, stderr: str) -> MarkerResult:
    info = task.execution_info
    failure = task_failure(job.pool.pool_id, task, stdout, stderr, expected_version=image_version)
    return MarkerResult(
        job.pool,
        job.job_id,
        info.exit_code if info else None,
        stdout,
        stderr,
        smoke_error(failure) if failure else None,
    )


def collect(
    client: BatchClient, jobs: Iterable[MarkerJob], image_version: str, tasks: dict[str, BatchTask]
) -> list[MarkerResult]:
    results = []
    for job in jobs:
        stdout = read_task_file(client, job.job_id, "stdout.txt")
        stderr = read_task_file(client, job.job_id, "stderr.txt")
        results.append(judge(job, image_version, tasks[job.job_id], stdout, stderr))
    return results


def delete_jobs(client: BatchClient, job_ids: Iterable[str], poll_interval: float) -> list[str]:
    """Delete every job; returns the ids that could not be confirmed deleted (the caller tells the user)."""
    left_behind = []
    for job_id in job_ids:
        try:
            poller = client.begin_delete_job(job_id, polling_interval=max(1, math.ceil(poll_interval)))
            poller.result(timeout=DELETE_WAIT_SECONDS)
            if poller.status() != "Succeeded":
                left_behind.append(job_id)
        except ResourceNotFoundError:
            continue  # already gone
        except AzureError:
            left_behind.append(job_id)
    return left_behind
