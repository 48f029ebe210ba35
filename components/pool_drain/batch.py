"""The Batch data-plane calls the drain makes, behind a small interface (azure-batch 15's `BatchClient`).

`PoolState` is what the drain reads of a pool. The SDK's `begin_*` methods send the request, then start a daemon
thread that polls the pool until the operation is over. The drain keeps its own loop instead (it must notice the
engine's SIGINT and its deadline between polls), so those threads get an interval that keeps them quiet
(`_SDK_POLLER_SECONDS`): they would otherwise double the reads of the pool for the whole drain.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from azure.batch import BatchClient, models
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from components.common.loopback import LoopbackTestCredential
from components.pool_drain.environment import BatchEndpoint, from_environment


@dataclass(frozen=True)
class PoolState:
    state: str  # active | deleting
    allocation_state: str  # steady | resizing | stopping
    auto_scale: bool
    target_dedicated: int
    target_spot: int
    current_dedicated: int
    current_spot: int
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def nodes(self) -> int:
        return self.current_dedicated + self.current_spot

    @property
    def targets_zero(self) -> bool:
        return self.target_dedicated == 0 and self.target_spot == 0


class PoolCalls(Protocol):
    def get(self, pool_id: str) -> PoolState | None: ...  # None: no such pool
    def disable_auto_scale(self, pool_id: str) -> None: ...
    def stop_resize(self, pool_id: str) -> None: ...
    def resize_to_zero(self, pool_id: str, resize_timeout: timedelta) -> None: ...  # taskcompletion
    def set_metadata(self, pool_id: str, metadata: Mapping[str, str]) -> None: ...  # replaces all items
    def delete(self, pool_id: str) -> None: ...


def _value(enum_or_str: Any) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str) or "")


_SDK_POLLER_SECONDS = 3600


log = logging.getLogger("components.pool_drain")


@contextmanager
def _racing(action: str, pool_id: str) -> Iterator[None]:
    """The pool changed between the drain's read and its call: gone (404), or already resizing or being deleted
    (409). Nothing to do now: the next read of the pool decides again (drain.py is driven by the pool's state)."""
    try:
        yield
    except ResourceNotFoundError:
        log.info("pool %r: %s skipped, the pool is gone", pool_id, action)
    except HttpResponseError as err:
        if err.status_code != 409:
            raise
        log.info("pool %r: %s skipped for now (%s); the next poll decides again", pool_id, action, err.reason)


class AzureBatchPools:
    def __init__(self, client: BatchClient) -> None:
        self._client = client
        self._poller_interval = _SDK_POLLER_SECONDS

    def get(self, pool_id: str) -> PoolState | None:
        try:
            pool = self._client.get_pool(pool_id)
        except ResourceNotFoundError:
            return None
        return PoolState(
            state=_value(pool.state),
            allocation_state=_value(pool.allocation_state),
            auto_scale=bool(pool.enable_auto_scale),
            target_dedicated=pool.target_dedicated_nodes or 0,
            target_spot=pool.target_low_priority_nodes or 0,
            current_dedicated=pool.current_dedicated_nodes or 0,
            current_spot=pool.current_low_priority_nodes or 0,
            metadata={item.name: item.value for item in pool.metadata or []},
        )

    def disable_auto_scale(self, pool_id: str) -> None:
        with _racing("disable autoscale", pool_id):
            self._client.disable_pool_auto_scale(pool_id)

    def stop_resize(self, pool_id: str) -> None:
        with _racing("stop resize", pool_id):
            self._client.begin_stop_pool_resize(pool_id, polling_interval=self._poller_interval)

    def resize_to_zero(self, pool_id: str, resize_timeout: timedelta) -> None:
        options = models.BatchPoolResizeOptions(
            target_dedicated_nodes=0,
            target_low_priority_nodes=0,  # Spot nodes (the API keeps the low-priority name)
            resize_timeout=resize_timeout,
            node_deallocation_option=models.BatchNodeDeallocationOption.TASK_COMPLETION,
        )
        with _racing("resize to 0", pool_id):
            self._client.begin_resize_pool(pool_id, options, polling_interval=self._poller_interval)

    def set_metadata(self, pool_id: str, metadata: Mapping[str, str]) -> None:
        items = [models.BatchMetadataItem(name=k, value=v) for k, v in metadata.items()]
        with _racing("recording the drain start", pool_id):
            self._client.update_pool(pool_id, models.BatchPoolUpdateOptions(metadata=items))

    def delete(self, pool_id: str) -> None:
        with _racing("delete", pool_id):
            self._client.begin_delete_pool(pool_id, polling_interval=self._poller_interval)


@contextmanager
def open_pools(account_endpoint: str) -> Iterator[tuple[AzureBatchPools, BatchEndpoint]]:
    """A data-plane client for the account, built from the environment and closed afterwards."""
    endpoint = from_environment(account_endpoint)
    options: dict[str, Any] = {"connection_verify": endpoint.ca_bundle} if endpoint.ca_bundle else {}
    if endpoint.fake_credential:
        credential: Any = LoopbackTestCredential()
    else:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential(**options)
    client = BatchClient(endpoint.url, credential, **options)
    try:
        yield AzureBatchPools(client), endpoint
    finally:
        client.close()
        close = getattr(credential, "close", None)
        if close:
            close()
