"""batch-pool-max-nodes: dedicated plus Spot nodes (or the autoscale formula's cap) stay under a maximum."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, int_option, integer, resource_rule, schema
from .._scale import pool_size
from .._tokens import BATCH_POOL

OPTIONS = schema(maxNodes=integer("Most nodes (dedicated + Spot) a pool may target.", 100, 0))


def _check(args: ResourceValidationArgs) -> Findings:
    size = pool_size(args.props)
    maximum = int_option(args.get_config(), "maxNodes", 100)
    if not size.known:
        return
    if size.nodes is not None and size.nodes <= maximum:
        return
    yield Finding(
        f"the pool can grow past the maximum of {maximum} nodes",
        f"{size.nodes} nodes ({size.detail})" if size.nodes is not None else size.detail,
        f"at most {maximum} dedicated + Spot nodes, fixed or as the autoscale formula's cap "
        f"($TargetDedicatedNodes = min({maximum}, ...)); this policy's maxNodes sets the maximum",
    )


REMEDIATION = (
    "Lower pools[].targetDedicatedNodes + targetSpotNodes, cap the autoscale formula with min(N, ...), or raise this "
    "policy's maxNodes."
)
DESCRIPTION = (
    "Dedicated plus Spot nodes (or the autoscale cap) stay under a configured maximum: in a UserSubscription account "
    "every node is a VM billed to and limited by the subscription's core quota."
)

policy = resource_rule(
    name="batch-pool-max-nodes",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/batch/batch-quota-limit",
    benchmark="",
    topics="batch, scale, cost",
    types=[BATCH_POOL],
    check=_check,
    config_schema=OPTIONS,
    subject="Batch pool",
    allowed="",
)
