"""The pool drain's contract: its inputs, how a change of each is handled, and their validation.

Inputs (also its outputs: the provider computes nothing else):
- `pool_name`: the Batch pool id (the `batch.Pool`'s auto-generated name). A new name is a new pool: the drain
  resource is replaced, the new one (no cloud call) created first, and the old one's `delete` drains the old pool.
- `account_endpoint`: the Batch account endpoint (`<account>.<region>.batch.azure.com`, the account's
  `accountEndpoint`); a change replaces the resource, as a pool never moves between accounts.
- `drain_timeout`: how long a drain waits for running tasks before it deletes the pool anyway (ISO 8601, the setting
  `pools[].drainTimeout`). Changed in place; a replaced pool drains under the timeout recorded with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.common.iso_duration import ISO_DURATION_RULE, duration_seconds

INPUT_KEYS = ("pool_name", "account_endpoint", "drain_timeout")
REPLACE_KEYS = ("pool_name", "account_endpoint")
# The pool metadata item where a drain records when it began, so that a resumed drain keeps the first deadline.
DRAIN_STARTED_METADATA = "batch-custom-image-drain-started"
# The engine's placeholder for a value not known yet (a preview of a new pool): pulumi.runtime.rpc.UNKNOWN.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass(frozen=True)
class DrainSpec:
    pool_name: str
    account_endpoint: str
    drain_timeout: str

    @property
    def timeout_seconds(self) -> int:
        return duration_seconds(self.drain_timeout)

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> DrainSpec:
        failures = input_failures(props)
        if failures:
            raise ValueError("; ".join(f"{key}: {reason}" for key, reason in failures))
        return cls(*(str(props[key]) for key in INPUT_KEYS))


def drain_resource_id(props: Mapping[str, Any]) -> str:
    """The drain resource's id: the pool's data-plane URL path under its account."""
    return f"{props.get('account_endpoint', '')}/pools/{props.get('pool_name', '')}/drain"


def input_failures(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(input, reason) for each input that is missing or malformed; unknown values (a preview) pass."""
    failures = []
    for key in INPUT_KEYS:
        value = props.get(key)
        if value == UNKNOWN:
            continue
        if not isinstance(value, str) or not value.strip():
            failures.append((key, f"must be a non-empty string, got {value!r}"))
    endpoint = props.get("account_endpoint")
    if isinstance(endpoint, str) and endpoint not in ("", UNKNOWN) and ("://" in endpoint or "/" in endpoint):
        failures.append(("account_endpoint", f"{endpoint!r} must be a host name like acct.westeurope.batch.azure.com"))
    timeout = props.get("drain_timeout")
    if isinstance(timeout, str) and timeout not in ("", UNKNOWN):
        try:
            duration_seconds(timeout)
        except ValueError:
            failures.append(("drain_timeout", f"{timeout!r} is not {ISO_DURATION_RULE}"))
    return failures
