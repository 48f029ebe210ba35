"""The pool drain's contract: its inputs, how a change of each is handled, and their validation.

Inputs (also its outputs: the provider computes nothing else):
- `pool_name`: the Batch pool id (the `batch.Pool`'s auto-generated name). A new name is a new pool: the drain
  resource is replaced, the new one (no cloud call) created first, and the old one's `delete` drains the old pool.
- `account_endpoint`: the Batch account endpoint (`<account>.<region>.batch.azure.com`, the account's
  `accountEndpoint`); a change replaces the resource, as a pool never moves between accounts.
- `drain_timeout`: how long a drain waits for running tasks before it deletes the pool anyway (ISO 8601, the setting
  `pools[].drainTimeout`). Changed in place; a replaced pool drains under the timeout recorded with it.
- `pool_resource_id`: the pool's ARM id (the `batch.Pool`'s `id` output), where the drain calls the management plane.
  Changed in place, never a replacement: a record written before this input existed has none, and the `up` that adds
  it must not drain a live pool. A record without it (or with an empty one) is still drained: the provider finds the
  account by its `account_endpoint` among the Batch accounts the credential can list (provider.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from components.common.iso_duration import ISO_DURATION_RULE, duration_seconds

INPUT_KEYS = ("pool_name", "account_endpoint", "drain_timeout", "pool_resource_id")
REPLACE_KEYS = ("pool_name", "account_endpoint")  # never pool_resource_id: see above
OPTIONAL_KEYS = ("pool_resource_id",)  # absent from records written before it existed
# The pool metadata item where a drain records when it began, so that a resumed drain keeps the first deadline.
DRAIN_STARTED_METADATA = "batch-custom-image-drain-started"
# The engine's placeholder for a value not known yet (a preview of a new pool): pulumi.runtime.rpc.UNKNOWN.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


_POOL_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)/providers/Microsoft\.Batch/"
    r"batchAccounts/(?P<account>[^/]+)/pools/(?P<pool>[^/]+)$",
    re.IGNORECASE,
)
POOL_ID_RULE = (
    "a pool ARM id /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Batch/batchAccounts/<a>/pools/<p>"
)


@dataclass(frozen=True)
class PoolReference:
    """Where the management plane finds a pool."""

    subscription: str
    resource_group: str
    account: str
    pool: str

    @classmethod
    def parse(cls, resource_id: str) -> PoolReference:
        match = _POOL_ID.match(resource_id)
        if match is None:
            raise ValueError(f"{resource_id!r} is not {POOL_ID_RULE}")
        return cls(**match.groupdict())


@dataclass(frozen=True)
class DrainSpec:
    pool_name: str
    account_endpoint: str
    drain_timeout: str
    pool_resource_id: str = ""  # "" for a record written before the input existed

    @property
    def timeout_seconds(self) -> int:
        return duration_seconds(self.drain_timeout)

    @property
    def account_name(self) -> str:
        """The account name, the first label of its endpoint (<account>.<region>.batch.azure.com)."""
        return self.account_endpoint.split(".", 1)[0]

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> DrainSpec:
        failures = input_failures(props)
        if failures:
            raise ValueError("; ".join(f"{key}: {reason}" for key, reason in failures))
        return cls(*(str(props.get(key) or "") for key in INPUT_KEYS))


def drain_resource_id(props: Mapping[str, Any]) -> str:
    """The drain resource's id: the pool's data-plane URL path under its account."""
    return f"{props.get('account_endpoint', '')}/pools/{props.get('pool_name', '')}/drain"


def input_failures(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(input, reason) for each input that is missing or malformed; unknown values (a preview) pass."""
    failures = []
    for key in INPUT_KEYS:
        value = props.get(key)
        if value == UNKNOWN or (key in OPTIONAL_KEYS and not value):
            continue
        if not isinstance(value, str) or not value.strip():
            failures.append((key, f"must be a non-empty string, got {value!r}"))
    endpoint = props.get("account_endpoint")
    if _known(endpoint) and ("://" in endpoint or "/" in endpoint):
        failures.append(("account_endpoint", f"{endpoint!r} must be a host name like acct.westeurope.batch.azure.com"))
    failures += _pool_resource_id_failures(props)
    timeout = props.get("drain_timeout")
    if _known(timeout):
        try:
            duration_seconds(timeout)
        except ValueError:
            failures.append(("drain_timeout", f"{timeout!r} is not {ISO_DURATION_RULE}"))
    return failures


def _known(value: Any) -> TypeGuard[str]:
    """A string given and known (not empty, not a preview's unknown)."""
    return isinstance(value, str) and value not in ("", UNKNOWN)


def _pool_resource_id_failures(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """pool_resource_id is a pool's ARM id, and the pool it names is pool_name."""
    resource_id = props.get("pool_resource_id")
    if not _known(resource_id):
        return []
    try:
        reference = PoolReference.parse(resource_id)
    except ValueError as err:
        return [("pool_resource_id", str(err))]
    name = props.get("pool_name")
    if isinstance(name, str) and name != UNKNOWN and reference.pool != name:
        return [("pool_resource_id", f"{resource_id!r} names pool {reference.pool!r}, not {name!r}")]
    return []
