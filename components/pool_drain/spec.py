"""The pool drain's contract: its inputs, how a change of each is handled, and their validation, declared once in
`DrainSpec` with components/common/provider_kit.py, as the capture's (components/capture/spec.py).

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
from typing import Any

from pulumi.dynamic import CheckFailure

from components.common import provider_kit
from components.common.iso_duration import duration_failure, duration_seconds
from components.common.provider_kit import (
    account_endpoint_rule,
    failure_text,
    input_field,
    input_keys,
    is_unknown,
    keys_for,
)
from components.common.provider_kit import non_empty as _non_empty

# The pool metadata item where a drain records when it began, so that a resumed drain keeps the first deadline.
DRAIN_STARTED_METADATA = "batch-custom-image-drain-started"


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


# --- validation rules (each sentence names the value, so check shows it once) --------------------------------------


def _pool_name(value: Any, _: Mapping[str, Any]) -> str | None:
    return _non_empty(value)


def _drain_timeout(value: Any, _: Mapping[str, Any]) -> str | None:
    return duration_failure(value)


def _pool_resource_id(value: Any, props: Mapping[str, Any]) -> str | None:
    if not value:
        return None  # absent from records written before it existed
    if _non_empty(value):
        return _non_empty(value)
    try:
        reference = PoolReference.parse(value)
    except ValueError as err:
        return str(err)
    name = props.get("pool_name")
    if isinstance(name, str) and not is_unknown(name) and reference.pool != name:
        return f"{value!r} names pool {reference.pool!r}, not {name!r}"
    return None


# --- the declaration ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrainSpec:
    """The drain's inputs (dict keys on the wire are these field names; see the module docstring for each)."""

    pool_name: str = input_field("the Batch pool id (the batch.Pool's name)", "replace", _pool_name)
    account_endpoint: str = input_field(
        "the Batch account endpoint <account>.<region>.batch.azure.com", "replace", account_endpoint_rule
    )
    drain_timeout: str = input_field(
        "how long a drain waits for running tasks (ISO 8601, pools[].drainTimeout)", "state", _drain_timeout
    )
    pool_resource_id: str = input_field(
        "the pool's ARM id; never a replacement (a record written before it existed has none)",
        "state",
        _pool_resource_id,
        default="",
    )

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
            raise ValueError(failure_text(failures))
        return cls(**{key: str(props.get(key) or "") for key in INPUT_KEYS})


INPUT_KEYS = input_keys(DrainSpec)
REPLACE_KEYS = keys_for(DrainSpec, "replace")  # never pool_resource_id: see above


def drain_resource_id(props: Mapping[str, Any]) -> str:
    """The drain resource's id: the pool's data-plane URL path under its account."""
    return f"{props.get('account_endpoint', '')}/pools/{props.get('pool_name', '')}/drain"


def input_failures(props: Mapping[str, Any]) -> list[CheckFailure]:
    """One failure per input that is missing or malformed; unknown values (a preview) pass."""
    return provider_kit.input_failures(DrainSpec, props, show_value=False)
