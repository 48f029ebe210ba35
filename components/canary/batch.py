"""The Azure calls the canary makes: its pool through ARM (azure-mgmt-batch, API 2024-07-01 as the drain), its node,
job and task through the account's data plane (azure-batch).

ARM (Contributor on the account covers it: pool operations are Actions): Pool - Create (PUT), Pool - List By Batch
Account (the sweep of leftovers), Pool - Delete (202: the delete is requested, not waited for, `polling=False`).
Data plane (DataActions: Azure Batch Data Contributor, role 6aaa78f1-f7de-44ca-8722-c64a23943cae): Get Pool, List
Nodes, Get File From Compute Node (the start task's stderr), Add Job, Add Task, Get Task, Get Task File, Delete Job.

A data-plane 403 while the deployer's new role assignment propagates is retried for `role_wait_seconds` (a
propagation can take up to 10 minutes, "Troubleshoot Azure RBAC"), waiting on the provider's clock, so a SIGINT ends
the wait; then one error naming the role and the account.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from components.canary.environment import CanaryEnvironment
from components.canary.errors import CanaryError, CanaryInterrupted
from components.common.provider_kit import closing
from components.common.stopping import Clock

log = logging.getLogger("components.canary")

DATA_CONTRIBUTOR_ROLE = "Azure Batch Data Contributor (6aaa78f1-f7de-44ca-8722-c64a23943cae)"
ARM_ROLE = "Contributor on the Batch account (Microsoft.Batch/batchAccounts/pools/read, /write and /delete)"

T = TypeVar("T")


def interrupted(gave_up: str) -> CanaryInterrupted:
    return CanaryInterrupted(f"{gave_up} because the Pulumi engine is stopping the provider")


@dataclass(frozen=True)
class ListedPool:
    name: str
    metadata: Mapping[str, str]


@dataclass(frozen=True)
class CanaryPools:
    """The canary's pools of one Batch account, through ARM."""

    _client: Any
    _group: str
    _account: str

    def _denied(self, what: str, err: HttpResponseError) -> CanaryError:
        return CanaryError(
            f"Azure refused to {what} in Batch account {self._account!r} (403 "
            f"{getattr(err.error, 'code', None) or err.reason}); grant the identity that runs `pulumi up` {ARM_ROLE}, "
            "then run the same command again"
        )

    def _arm(self, what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except HttpResponseError as err:
            if err.status_code == 403:
                raise self._denied(what, err) from None
            raise

    def create(self, name: str, body: dict[str, Any]) -> None:
        self._arm(
            f"create the canary pool {name!r}", lambda: self._client.pool.create(self._group, self._account, name, body)
        )

    def listed(self) -> list[ListedPool]:
        def read() -> list[ListedPool]:
            return [
                ListedPool(
                    str(pool.name),
                    {m.name: m.value for m in (pool.properties.metadata if pool.properties else None) or []},
                )
                for pool in self._client.pool.list_by_batch_account(self._group, self._account)
            ]

        return self._arm("list the pools", read)

    def delete(self, name: str) -> bool:
        """Request the pool's delete; False when it is already gone (404) or being deleted (409)."""
        try:
            self._arm(
                f"delete the canary pool {name!r}",
                lambda: self._client.pool.begin_delete(self._group, self._account, name, polling=False),
            )
        except ResourceNotFoundError:
            return False
        except HttpResponseError as err:
            if err.status_code != 409:
                raise
            return False
        return True


class DataPlane:
    """Data-plane calls that wait out a propagating role assignment (403) for a bounded time, on the clock."""

    def __init__(self, client: Any, account_endpoint: str, clock: Clock, poll_seconds: float, role_wait: float) -> None:
        self.client = client
        self._endpoint = account_endpoint
        self._clock = clock
        self._poll = poll_seconds
        self._role_wait = role_wait
        self._denied_since: float | None = None

    def call(self, what: str, call: Callable[[], T]) -> T:
        while True:
            try:
                result = call()
            except HttpResponseError as err:
                if err.status_code != 403:
                    raise
                self._wait_for_role(what, err)
                continue
            self._denied_since = None
            return result

    def _wait_for_role(self, what: str, err: HttpResponseError) -> None:
        now = self._clock.monotonic()
        if self._denied_since is None:
            self._denied_since = now
            log.warning(
                "%s: 403 from Batch account %s; waiting for the role assignment to propagate", what, self._endpoint
            )
        if now - self._denied_since >= self._role_wait:
            raise CanaryError(
                f"Batch account {self._endpoint!r} refused to {what} "
                f"(403 {getattr(err.error, 'code', None) or err.reason}) "
                f"for {self._role_wait:g} s; the identity that runs `pulumi up` needs the role {DATA_CONTRIBUTOR_ROLE} "
                "on the account (the program grants it while the canary is on: check that the assignment exists and "
                "that the account's network rules let this machine in), then run the same command again"
            )
        self._clock.sleep(self._poll)

    def download(self, read: Callable[[], Iterator[bytes]]) -> str:
        """A node or task file as text ("" when there is none)."""
        try:
            return self.call("read a file", lambda: b"".join(read())).decode("utf-8", errors="replace")
        except ResourceNotFoundError:
            return ""


@contextmanager
def batch_client(environment: CanaryEnvironment) -> Iterator[Any]:
    """The data-plane client (azure-batch), with a retry wait that ends when the engine stops the provider."""
    from azure.batch import BatchClient

    from components.common.environment import credential
    from components.common.retry import StopAwareRetryPolicy

    with closing(credential(environment.arm)) as cred:
        client = BatchClient(
            environment.batch_url,
            cred,
            connection_verify=environment.arm.verify,
            retry_policy=StopAwareRetryPolicy(interrupted=interrupted),
        )
        try:
            yield client
        finally:
            client.close()
