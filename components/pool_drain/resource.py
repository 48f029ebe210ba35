"""Program side of the pool drain: one `PoolDrain` beside each Batch pool (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import pulumi
import pulumi.dynamic

from components.common.progress import URN_KEY
from components.naming import own_urn
from components.pool_drain.provider import PoolDrainProvider
from components.pool_drain.spec import INPUT_KEYS


@dataclass
class PoolDrainArgs:
    """The drain's inputs, field for field `spec.INPUT_KEYS` (documented in spec.py)."""

    pool_name: pulumi.Input[str]
    account_endpoint: pulumi.Input[str]
    drain_timeout: str
    pool_resource_id: pulumi.Input[str]  # the pool's ARM id: where the drain calls the management plane

    def props(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in INPUT_KEYS}


if tuple(f.name for f in fields(PoolDrainArgs)) != INPUT_KEYS:  # pragma: no cover - caught at import
    raise TypeError(f"PoolDrainArgs must declare exactly spec.INPUT_KEYS {INPUT_KEYS}")


class PoolDrain(pulumi.dynamic.Resource, module="pools", name="PoolDrain"):
    """Drains its pool (resize to zero with taskcompletion, up to drain_timeout) and deletes it, when it is deleted."""

    pool_name: pulumi.Output[str]

    def __init__(self, name: str, args: PoolDrainArgs, opts: pulumi.ResourceOptions | None = None):
        own = {URN_KEY: own_urn(name, DRAIN_TYPE, opts)}  # progress in `pulumi up` (ignored by diff)
        super().__init__(PoolDrainProvider(), name, {**args.props(), **own}, opts)


# The type token the engine and the offline plan see.
DRAIN_TYPE = "pulumi-python:dynamic/pools:PoolDrain"
