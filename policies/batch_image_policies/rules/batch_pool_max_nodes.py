"""batch-pool-max-nodes: dedicated plus Spot nodes (or the autoscale formula's cap) stay under a maximum."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._policy import Report, for_types, int_option, integer, schema, sources, subject, violation
from .._scale import pool_size
from .._tokens import BATCH_POOL


def _check(args: ResourceValidationArgs, report: Report) -> None:
    size = pool_size(args.props)
    maximum = int_option(args.get_config(), "maxNodes", 100)
    if not size.known:
        return
    if size.nodes is not None and size.nodes <= maximum:
        return
    found = f"{size.nodes} nodes ({size.detail})" if size.nodes is not None else size.detail
    report(
        violation(
            subject("Batch pool", args.name),
            f"the pool can grow past the maximum of {maximum} nodes",
            found,
            f"at most {maximum} dedicated + Spot nodes, fixed or as the autoscale formula's cap "
            f"($TargetDedicatedNodes = min({maximum}, ...)); this policy's maxNodes sets the maximum",
        )
    )


policy = ResourceValidationPolicy(
    name="batch-pool-max-nodes",
    description="Dedicated plus Spot nodes (or the autoscale cap) stay under a configured maximum: in a "
    "UserSubscription account every node is a VM billed to and limited by the subscription's core quota.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({BATCH_POOL}, _check),
    config_schema=schema(maxNodes=integer("Most nodes (dedicated + Spot) a pool may target.", 100, 0)),
    severity=Severity.MEDIUM,
    remediation_steps="Lower pools[].targetDedicatedNodes + targetSpotNodes, cap the autoscale formula with min(N, "
    "...), or raise this policy's maxNodes.",
    url="https://learn.microsoft.com/azure/batch/batch-quota-limit",
    **sources(topics=["batch", "scale", "cost"]),
)
