"""The pool drain's dynamic provider: pickled by reference into the state (`components.pool_drain.provider.
PoolDrainProvider`) and run in the engine's dynamic-provider process. It holds no client or credential: each method
that calls Batch builds its management-plane (ARM) client from the environment (environment.py) and closes it.

What each engine operation does:
- create / update: no cloud call; the inputs are recorded (the pool exists: the resource depends on it).
- diff: a new pool name or account endpoint replaces the resource (create-before-delete); a new drainTimeout and a
  new (or first) pool ARM id are in-place updates: a replacement would drain the live pool.
- delete (a replaced pool at the end of `pulumi up`, or `pulumi destroy`): drain.py, up to drainTimeout.
- Ctrl-C: the wait ends within the engine's 5-second grace; the delete did not finish, so the resource stays in the
  state and the next `up`/`destroy` resumes the drain with the deadline recorded in the pool's metadata.
- refresh (read): a pool that is gone (or being deleted) reads as nothing, and the engine drops the resource without
  calling delete; a pool that can't be read (no role on the account, ARM unreachable) keeps the resource as it was,
  so `pulumi refresh` goes on with the rest.
- a record without the pool's ARM id (written before `pool_resource_id` existed, e.g. the old pool of the first `up`
  after an upgrade that also replaces it): the account is found by its endpoint among the Batch accounts the
  credential can list; when none matches, delete fails with one message saying what to do, and the pool is untouched.
"""

from __future__ import annotations

import logging
from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from components.common.progress import reporting
from components.common.provider_kit import recorded, replacing_diff
from components.pool_drain.spec import (
    INPUT_KEYS,
    DrainSpec,
    PoolReference,
    drain_resource_id,
    input_failures,
)

log = logging.getLogger("components.pool_drain")


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return recorded(props, INPUT_KEYS)


def _spec(props: dict[str, Any]) -> DrainSpec:
    from components.pool_drain.errors import DrainError

    try:
        return DrainSpec.from_props(props)
    except ValueError as err:
        raise DrainError(f"invalid pool drain inputs: {err}") from None


def _reference(spec: DrainSpec) -> PoolReference:
    """Where ARM finds the pool: its recorded ARM id, or (an older record) the account found by its endpoint."""
    from azure.core.exceptions import HttpResponseError

    from components.pool_drain.batch import locate_account
    from components.pool_drain.errors import DrainError

    if spec.pool_resource_id:
        return PoolReference.parse(spec.pool_resource_id)
    try:
        account_id = locate_account(spec.account_endpoint)
    except HttpResponseError as err:
        raise DrainError(
            f"pool {spec.pool_name!r}: its drain record predates the pool's ARM id, and listing subscriptions or Batch "
            f"accounts to find {spec.account_endpoint!r} failed ({err.status_code} {err.reason}); sign in with an "
            "identity that can read the account and run the same command again. The pool is left as it is"
        ) from None
    if account_id is None:
        raise DrainError(
            f"pool {spec.pool_name!r}: its drain record predates the pool's ARM id, and no Batch account with endpoint "
            f"{spec.account_endpoint!r} is visible to this credential; sign in with an identity that can read the "
            "account (Reader or Contributor on it) and run the same command again. The pool is left as it is"
        )
    return PoolReference.parse(f"{account_id}/pools/{spec.pool_name}")


class PoolDrainProvider(ResourceProvider):
    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, input_failures(news))

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return replacing_diff(_olds, _news, DrainSpec)

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = _spec(props)
        return CreateResult(drain_resource_id(props), {**_inputs(props), **{k: getattr(spec, k) for k in INPUT_KEYS}})

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_inputs(_news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from azure.core.exceptions import AzureError

        from components.pool_drain.batch import AzureBatchPools, management_client
        from components.pool_drain.errors import DrainError

        spec = _spec(props)
        try:
            ref = _reference(spec)
            with management_client(ref.subscription) as (client, _):
                pool = AzureBatchPools(client, ref.resource_group, ref.account).get(ref.pool)
        except (AzureError, DrainError) as err:  # no role on the account, ARM unreachable: refresh the rest
            log.warning("refresh: pool %r not read (%s); its drain resource is kept as it was", spec.pool_name, err)
            return ReadResult(id_, _inputs(props), _inputs(props))
        if pool is None or pool.state == "deleting":
            log.warning("refresh: pool %r is gone; its drain resource leaves the state", spec.pool_name)
            return ReadResult("", {})
        return ReadResult(id_, _inputs(props), _inputs(props))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        from components.pool_drain.batch import AzureBatchPools, management_client
        from components.pool_drain.drain import Drain, SystemClock
        from components.pool_drain.errors import DrainInterrupted

        spec = _spec(_props)
        with reporting(_props, "drain", (DrainInterrupted,)) as progress:
            ref = _reference(spec)
            with management_client(ref.subscription) as (client, endpoint):
                pools = AzureBatchPools(client, ref.resource_group, ref.account)
                drain = Drain(spec, pools, SystemClock(spec.pool_name), endpoint.poll_seconds, progress=progress)
                try:
                    done = drain.run()
                except DrainInterrupted as err:
                    log.warning("%s (so far: %s)", err, "; ".join(drain.trail))  # the engine's log gets our stderr
                    raise
        log.warning("pool %r drained and deleted: %s", spec.pool_name, "; ".join(done))
