"""The Batch management-plane (ARM) calls the drain makes, behind a small interface (azure-mgmt-batch's
`BatchManagementClient`, pinned to the 2024-07-01 API the drain and its fake are written against; the SDK's default
is 2025-06-01).

The drain talks to ARM with the credential `pulumi up` uses, never to the account's data-plane endpoint: it works when
that endpoint is closed (`publicNetworkAccess: Disabled`, IP rules without this machine), and Contributor on the
account is enough (pool operations are ARM Actions, not DataActions: "Role-based access control in Azure Batch").

- read: Pool - Get (provisioningState Succeeded | Deleting; allocationState Steady | Resizing | Stopping; the targets
  of `scaleSettings.fixedScale`, or `autoScale`; current node counts; metadata).
- autoscale off: Pool - Disable Auto Scale; a resize growing the pool: Pool - Stop Resize.
- resize to zero: Pool - Update (PATCH) of `scaleSettings.fixedScale` {0, 0, resizeTimeout, nodeDeallocationOption
  TaskCompletion}; the first one also carries the pool's metadata with the drain's start, in the same request, so the
  start is recorded only when Batch accepts the resize (a PATCH replaces the metadata list: the other items are sent
  back as they were).
- delete: Pool - Delete (202 + Location); the drain keeps its own wait (it must notice the engine's SIGINT and its
  deadline between polls), so the SDK's poller is not started (`polling=False`).

A 404 or 409 (the pool changed between the drain's read and its call) is left to the next poll; a 403 becomes one
`DrainError` naming the pool, the action and the role to grant.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.batch import BatchManagementClient
from azure.mgmt.batch.models import PoolProperties

from components.common.environment import ArmEnvironment, credential
from components.common.provider_kit import closing
from components.common.retry import StopAwareRetryPolicy
from components.pool_drain.environment import from_environment
from components.pool_drain.errors import DrainError, DrainInterrupted

ARM_API_VERSION = "2024-07-01"
SUBSCRIPTIONS_API_VERSION = "2022-12-01"
REQUIRED_ROLE = (
    "Contributor on the Batch account, or a role with Microsoft.Batch/batchAccounts/pools/read, /write, /delete, "
    "/disableAutoScale/action and /stopResize/action"
)


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

    # TaskCompletion; with `metadata`, the pool's whole metadata list in the same request. True when Batch accepted it.
    def resize_to_zero(self, pool_id: str, resize_timeout: timedelta, metadata: Mapping[str, str] | None) -> bool: ...
    def delete(self, pool_id: str) -> None: ...


log = logging.getLogger("components.pool_drain")


def _lower(enum_or_str: Any) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str) or "").lower()


def iso_duration(value: timedelta) -> str:
    """PT<h>H<m>M<s>S, the form Batch reads (the request body is sent as JSON, not through the SDK's models)."""
    seconds = int(value.total_seconds())
    return f"PT{seconds // 3600}H{seconds % 3600 // 60}M{seconds % 60}S"


def access_denied(pool_id: str, account: str, err: HttpResponseError) -> DrainError:
    message = str(getattr(err, "message", "") or err)
    action = re.search(r"perform action '([^']+)'", message)
    what = f"the action {action.group(1)}" if action else "the request"
    return DrainError(
        f"pool {pool_id!r}: Azure refused {what} on Batch account {account!r} (403 "
        f"{getattr(err.error, 'code', None) or err.reason}); grant the identity that runs `pulumi up` {REQUIRED_ROLE}, "
        "then run the same command again (the pool is left as it is)"
    )


class AzureBatchPools:
    """The pools of one Batch account, through ARM."""

    def __init__(self, client: BatchManagementClient, resource_group: str, account: str) -> None:
        self._client = client
        self._group = resource_group
        self._account = account

    def _denied(self, pool_id: str, err: HttpResponseError) -> DrainError:
        return access_denied(pool_id, self._account, err)

    def _call(self, action: str, pool_id: str, call: Callable[[], object]) -> bool:
        """Make the call; False when the pool changed between the drain's read and this call: gone (404), or already
        resizing or being deleted (409). Nothing to do then: the next read of the pool decides again (drain.py is
        driven by the pool's state). A 403 is one message naming the pool and the role to grant."""
        try:
            call()
        except ResourceNotFoundError:
            log.info("pool %r: %s skipped, the pool is gone", pool_id, action)
            return False
        except HttpResponseError as err:
            if err.status_code == 403:
                raise self._denied(pool_id, err) from None
            if err.status_code != 409:
                raise
            log.info("pool %r: %s skipped for now (%s); the next poll decides again", pool_id, action, err.reason)
            return False
        return True

    def get(self, pool_id: str) -> PoolState | None:
        try:
            pool = self._client.pool.get(self._group, self._account, pool_id)
        except ResourceNotFoundError:
            return None
        except HttpResponseError as err:
            if err.status_code == 403:
                raise self._denied(pool_id, err) from None
            raise
        return _pool_state(pool.properties)

    def disable_auto_scale(self, pool_id: str) -> None:
        self._call(
            "disable autoscale",
            pool_id,
            lambda: self._client.pool.disable_auto_scale(self._group, self._account, pool_id),
        )

    def stop_resize(self, pool_id: str) -> None:
        self._call("stop resize", pool_id, lambda: self._client.pool.stop_resize(self._group, self._account, pool_id))

    def resize_to_zero(self, pool_id: str, resize_timeout: timedelta, metadata: Mapping[str, str] | None) -> bool:
        properties: dict[str, Any] = {
            "scaleSettings": {
                "fixedScale": {
                    "targetDedicatedNodes": 0,
                    "targetLowPriorityNodes": 0,  # Spot nodes (the API keeps the low-priority name)
                    "resizeTimeout": iso_duration(resize_timeout),
                    "nodeDeallocationOption": "TaskCompletion",
                }
            }
        }
        if metadata is not None:
            properties["metadata"] = [{"name": k, "value": v} for k, v in metadata.items()]
        body = {"properties": properties}
        return self._call(
            "resize to 0", pool_id, lambda: self._client.pool.update(self._group, self._account, pool_id, body)
        )

    def delete(self, pool_id: str) -> None:
        self._call(
            "delete",
            pool_id,
            lambda: self._client.pool.begin_delete(self._group, self._account, pool_id, polling=False),
        )


def _pool_state(props: PoolProperties | None) -> PoolState:
    """The drain's view of an ARM pool's properties."""
    scale = props.scale_settings if props is not None else None
    fixed = scale.fixed_scale if scale is not None else None
    return PoolState(
        state="deleting" if _lower(props and props.provisioning_state) == "deleting" else "active",
        allocation_state=_lower(props and props.allocation_state),
        auto_scale=scale is not None and scale.auto_scale is not None,
        target_dedicated=(fixed.target_dedicated_nodes or 0) if fixed else 0,
        target_spot=(fixed.target_low_priority_nodes or 0) if fixed else 0,
        current_dedicated=(props and props.current_dedicated_nodes) or 0,
        current_spot=(props and props.current_low_priority_nodes) or 0,
        metadata={item.name: item.value for item in (props and props.metadata) or []},
    )


def _interrupted(gave_up: str) -> DrainInterrupted:
    return DrainInterrupted(
        f"{gave_up} because the Pulumi engine is stopping the provider; the pool keeps what Batch already accepted, "
        "and the next pulumi up (or destroy) resumes the drain"
    )


@contextmanager
def management_client(
    subscription: str,
    interrupted: Callable[[str], Exception] = _interrupted,
    environment: ArmEnvironment | None = None,
) -> Iterator[tuple[BatchManagementClient, ArmEnvironment]]:
    """A management-plane client for the subscription, built from the environment (or `environment`) and closed
    afterwards; a retry's wait ends with `interrupted(what it gave up)` when the engine stops the provider (the
    canary, components/canary, passes its own)."""
    endpoint = environment or from_environment()
    with (
        closing(credential(endpoint)) as cred,
        BatchManagementClient(
            cred,
            subscription,
            base_url=endpoint.arm_endpoint,
            credential_scopes=[endpoint.arm_scope],
            connection_verify=endpoint.verify,
            api_version=ARM_API_VERSION,
            polling_interval=endpoint.poll_seconds,
            # azure-core's retry decisions, with a wait that ends when the engine stops the provider (a throttled
            # call's Retry-After can be minutes, longer than the engine's 5-second grace after SIGINT)
            retry_policy=StopAwareRetryPolicy(interrupted=interrupted),
        ) as client,
    ):
        yield client, endpoint


def _subscriptions(client: BatchManagementClient, arm_url: str) -> list[str]:
    """The subscriptions the credential can list (Subscriptions - List; azure-mgmt-batch has no call for it)."""
    from azure.core.rest import HttpRequest

    found: list[str] = []
    next_url: str | None = f"{arm_url}/subscriptions?api-version={SUBSCRIPTIONS_API_VERSION}"
    while next_url:
        response = client.send_request(HttpRequest("GET", next_url))
        response.raise_for_status()
        page = response.json()
        found += [item["subscriptionId"] for item in page.get("value") or []]
        next_url = page.get("nextLink")
    return found


def locate_account(account_endpoint: str) -> str | None:
    """The ARM id of the Batch account whose endpoint is `account_endpoint`, among the accounts of every
    subscription the credential can list (for a drain record written before it kept its pool's ARM id); None when
    none matches. A subscription whose accounts can't be listed (403) is skipped."""
    with management_client("00000000-0000-0000-0000-000000000000") as (client, endpoint):
        subscriptions = _subscriptions(client, endpoint.arm_endpoint)
    for subscription in subscriptions:
        with management_client(subscription) as (client, _):
            try:
                for account in client.batch_account.list():
                    found = (account.properties.account_endpoint if account.properties else None) or ""
                    if found.lower() == account_endpoint.lower() and account.id:
                        return str(account.id)
            except HttpResponseError as err:
                if err.status_code != 403:
                    raise
    return None
