"""The canary's dynamic provider: pickled by reference into the state (`components.canary.provider.CanaryProvider`,
a path that never moves) and run in the engine's dynamic-provider process. It holds no client or credential: each
method that calls Azure builds its clients from the environment (environment.py) and closes them.

What each engine operation does (the sequence is run.py's; the contract spec.py's):
- create: sweep leftovers, create the one-node canary pool, wait for its node, run the command. A FAILED canary is
  still a successful create: `passed` false, `failure` the one message, the pool kept (the program raises the
  message, so the resource is in the state and `pulumi destroy` finds the kept pool). Ctrl-C: the deletes of the pool
  and the job are requested within the engine's 5-second grace and nothing is recorded.
- diff: a new image version (or version id), or a failed recorded outcome, replaces the canary; any other change is
  an update that only records the inputs (no cloud call, the canary is not re-run).
- update: records the new inputs, keeps the recorded outcome.
- read (refresh): the state as recorded (a pool gone after a pass is what a pass leaves).
- delete: requests the delete of a kept pool (404: already gone) and of a job whose delete failed earlier.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from components.canary.spec import (
    INPUT_KEYS,
    OUTPUT_KEYS,
    CanarySpec,
    failed_before,
    input_failures,
)
from components.common.progress import reporting, urn_of
from components.common.provider_kit import recorded, replacing_diff

log = logging.getLogger("components.canary")


def _spec(props: dict[str, Any]) -> CanarySpec:
    from components.canary.errors import CanaryError

    try:
        return CanarySpec.from_props(props)
    except ValueError as err:
        raise CanaryError(f"invalid canary inputs: {err}") from None


@contextmanager
def _azure(spec: CanarySpec) -> Iterator[tuple[Any, Any, Any]]:
    """(ARM pools, data-plane client, environment) for the spec's account, closed afterwards."""
    from components.canary.batch import CanaryPools, batch_client, interrupted
    from components.canary.environment import from_environment
    from components.pool_drain.batch import management_client

    environment = from_environment(spec.account_endpoint)
    ref = spec.account
    with (
        management_client(ref["subscription"], interrupted, environment.arm) as (arm, _),
        batch_client(environment) as client,
    ):
        yield CanaryPools(arm, ref["resource_group"], ref["account"]), client, environment


class CanaryProvider(ResourceProvider):
    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, input_failures(news))

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        # a failed canary is replaced by the next `up`: it retries the canary from the start
        return replacing_diff(_olds, _news, CanarySpec, ["passed"] if failed_before(_olds) else [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        from components.canary.batch import DataPlane
        from components.canary.errors import CanaryInterrupted
        from components.canary.run import Canary, SystemClock

        spec = _spec(props)
        with reporting(props, "canary", (CanaryInterrupted,)) as progress, _azure(spec) as (pools, client, env):
            clock = SystemClock()
            poll = env.arm.poll_seconds
            data = DataPlane(client, spec.account_endpoint, clock, poll, env.role_wait_seconds)
            canary = Canary(spec, urn_of(props), pools, data, clock, poll, progress=progress)
            try:
                outcome = canary.run()
            except CanaryInterrupted as err:
                log.warning("%s (so far: %s)", err, "; ".join(canary.trail))  # the engine's log gets our stderr
                raise
            verdict = "passed" if outcome.passed else "FAILED, pool kept"
            progress.status(f"canary {verdict}: {'; '.join(canary.trail)}")
        log.warning("canary of %s %s: %s", spec.image_version, verdict, "; ".join(canary.trail))
        return CreateResult(outcome.pool_name, {**recorded(props, INPUT_KEYS), **outcome.outputs()})

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**recorded(_news, INPUT_KEYS), **{k: _olds.get(k) for k in OUTPUT_KEYS}})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props, recorded(props, INPUT_KEYS))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        if _props.get("passed") is not False and not _props.get("job_id"):
            return  # a passed canary's pool and job were deleted by create
        spec = _spec(_props)
        with _azure(spec) as (pools, client, _):
            job_id = str(_props.get("job_id") or "")
            if job_id:
                with suppress(ResourceNotFoundError):
                    client.begin_delete_job(job_id)
            pool = str(_props.get("pool_name") or "")
            if pool and _props.get("passed") is False:
                gone = not pools.delete(pool)
                log.warning("canary pool %r %s", pool, "was already gone" if gone else "delete requested")
