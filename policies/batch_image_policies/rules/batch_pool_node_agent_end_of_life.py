"""batch-pool-node-agent-end-of-life: the pool's node agent has no announced end of life (the advisory half of
batch-pool-node-agent-sku; a policy has one level)."""

from __future__ import annotations

import datetime as dt

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._batch import NODE_AGENT_END_OF_LIFE, NODE_AGENT_SKUS, VM_CONFIG
from .._policy import Finding, Findings, resource_rule
from .._props import peek, text
from .._tokens import BATCH_POOL

SUPPORTED = sorted(s for s in NODE_AGENT_SKUS if s not in NODE_AGENT_END_OF_LIFE)


def _check(args: ResourceValidationArgs) -> Findings:
    sku = peek(args.props, f"{VM_CONFIG}.nodeAgentSkuId")
    end = NODE_AGENT_END_OF_LIFE.get(sku) if isinstance(sku, str) else None
    if end is None:
        return
    ended = dt.date.fromisoformat(end) <= dt.datetime.now(dt.UTC).date()
    yield Finding(
        f"the node agent {'reached' if ended else 'reaches'} end of life on {end}", f"nodeAgentSkuId {text(sku)}"
    )


REMEDIATION = (
    "Build the image from a newer base (e.g. Ubuntu 24.04 with batch.node.ubuntu 24.04) and move the pool to its node "
    "agent."
)
DESCRIPTION = (
    "The pool's node agent SKU has no announced end of life (the advisory half of batch-pool-node-agent-sku): after "
    "that date Batch no longer supports pools on the agent, and nodes may fail to allocate or update."
)

policy = resource_rule(
    name="batch-pool-node-agent-end-of-life",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://github.com/Azure/Batch/issues/200",
    benchmark="",
    topics="batch, image, lifecycle",
    types=[BATCH_POOL],
    check=_check,
    config_schema=None,
    subject="Batch pool",
    allowed=f"a node agent without an announced end of life ({', '.join(SUPPORTED)})",
)
