"""batch-pool-node-agent-end-of-life: the pool's node agent has no announced end of life (the advisory half of
batch-pool-node-agent-sku; a policy has one level)."""

from __future__ import annotations

import datetime as dt

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._batch import NODE_AGENT_END_OF_LIFE, NODE_AGENT_SKUS, VM_CONFIG
from .._policy import Report, for_types, sources, subject, violation
from .._props import peek, text
from .._tokens import BATCH_POOL


def _check(args: ResourceValidationArgs, report: Report) -> None:
    sku = peek(args.props, f"{VM_CONFIG}.nodeAgentSkuId")
    end = NODE_AGENT_END_OF_LIFE.get(sku) if isinstance(sku, str) else None
    if end is None:
        return
    ended = dt.date.fromisoformat(end) <= dt.datetime.now(dt.UTC).date()
    supported = sorted(s for s in NODE_AGENT_SKUS if s not in NODE_AGENT_END_OF_LIFE)
    report(
        violation(
            subject("Batch pool", args.name),
            f"the node agent {'reached' if ended else 'reaches'} end of life on {end}",
            f"nodeAgentSkuId {text(sku)}",
            f"a node agent without an announced end of life ({', '.join(supported)})",
        )
    )


policy = ResourceValidationPolicy(
    name="batch-pool-node-agent-end-of-life",
    description="The pool's node agent SKU has no announced end of life (the advisory half of "
    "batch-pool-node-agent-sku): after that date Batch no longer supports pools on the agent, and nodes may fail to "
    "allocate or update.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=for_types({BATCH_POOL}, _check),
    severity=Severity.MEDIUM,
    remediation_steps="Build the image from a newer base (e.g. Ubuntu 24.04 with batch.node.ubuntu 24.04) and move the "
    "pool to its node agent.",
    url="https://github.com/Azure/Batch/issues/200",
    **sources(topics=["batch", "image", "lifecycle"]),
)
