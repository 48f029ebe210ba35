"""The batch-custom-image stack's outputs, read through a StackReference, with errors that name what is missing.

`StackReference.require_output("pools")` fails with a bare `KeyError: 'pools'`, which names neither the stack nor
what to do; `required()` below raises the same kind of failure with both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi

STACK_NAME_RE = re.compile(r"^[^/\s]+/[^/\s]+/[^/\s]+$")


class ProducerOutputError(Exception):
    """The producer stack lacks an output this stack needs, or the output has the wrong shape."""


class ProducerStackNameError(ValueError):
    """The configured producer stack name is not fully qualified."""


def check_stack_name(key: str, value: str) -> str:
    if not STACK_NAME_RE.match(value):
        raise ProducerStackNameError(
            f"config {key}='{value}' is not a fully qualified stack name; expected "
            "<organization>/<project>/<stack>, e.g. myorg/batch-custom-image/dev"
        )
    return value


def required(ref: pulumi.StackReference, stack: str, name: str) -> pulumi.Output[Any]:
    def check(value: Any) -> Any:
        if value is None or value == "":
            raise ProducerOutputError(
                f"stack '{stack}' has no output '{name}'; run `pulumi up` on that stack, or point "
                "batch-custom-image-consumer:producerStack at a deployed batch-custom-image stack"
            )
        return value

    return ref.get_output(name).apply(check)


def pool_ids(stack: str, pools: Any) -> list[str]:
    """The Batch pool ids (poolName) of the producer's `pools` output, sorted."""
    if not isinstance(pools, dict) or not pools:
        raise ProducerOutputError(f"stack '{stack}' output 'pools' must be a non-empty map, got {pools!r}")
    ids = []
    for name, entry in pools.items():
        pool_name = entry.get("poolName") if isinstance(entry, dict) else None
        if not isinstance(pool_name, str) or not pool_name:
            raise ProducerOutputError(f"stack '{stack}' output pools.{name} has no poolName (got {entry!r})")
        ids.append(pool_name)
    return sorted(ids)


@dataclass(frozen=True)
class ProducerOutputs:
    stack: str
    resource_group_name: pulumi.Output[str]
    location: pulumi.Output[str]
    batch_account_name: pulumi.Output[str]
    batch_account_endpoint: pulumi.Output[str]
    pool_ids: pulumi.Output[list[str]]

    @staticmethod
    def read(stack: str) -> ProducerOutputs:
        ref = pulumi.StackReference("producer", stack_name=stack)
        return ProducerOutputs(
            stack=stack,
            resource_group_name=required(ref, stack, "resourceGroupName"),
            location=required(ref, stack, "location"),
            batch_account_name=required(ref, stack, "batchAccountName"),
            batch_account_endpoint=required(ref, stack, "batchAccountEndpoint"),
            pool_ids=required(ref, stack, "pools").apply(lambda pools: pool_ids(stack, pools)),
        )
