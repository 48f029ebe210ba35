"""batch-pool-resize-timeout: fixed-size pools allow enough resize time for their target node count."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, int_option, integer, resource_rule, schema
from .._props import is_unknown, peek, text
from .._scale import duration_minutes, pool_size
from .._tokens import BATCH_POOL

OPTIONS = schema(minutesPer1000Nodes=integer("Minutes of resize timeout per 1,000 target nodes.", 15, 1))


def _check(args: ResourceValidationArgs) -> Findings:
    size = pool_size(args.props)
    if size.mode != "fixed" or not size.nodes:
        return  # autoscale pools have no resize timeout
    per_thousand = int_option(args.get_config(), "minutesPer1000Nodes", 15)
    needed = per_thousand * -(-size.nodes // 1000)
    raw = peek(args.props, "scaleSettings.fixedScale.resizeTimeout", "PT15M")
    if is_unknown(raw):
        return
    minutes = duration_minutes(raw)
    if minutes is not None and minutes >= needed:
        return
    yield Finding(
        f"resize timeout too short for {size.nodes} target nodes ({size.detail})",
        f"resizeTimeout {text(raw)}" + ("" if minutes is not None else " (not an ISO 8601 duration)"),
        f"resizeTimeout at least PT{needed}M ({per_thousand} minutes per 1,000 nodes)",
    )


REMEDIATION = (
    "Raise pools[].resizeTimeout (an ISO 8601 duration such as PT30M) to the minimum the message names, or lower the "
    "pool's target nodes."
)
DESCRIPTION = (
    "Fixed-size pools allow at least 15 minutes of resize time per 1,000 target nodes: custom-image nodes take longer "
    "to allocate, and a short timeout stops the resize with a ResizeError before the pool reaches its target."
)

policy = resource_rule(
    name="batch-pool-resize-timeout",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    url="https://learn.microsoft.com/azure/batch/batch-sig-images",
    benchmark="",
    topics="batch, scale",
    types=[BATCH_POOL],
    check=_check,
    config_schema=OPTIONS,
    subject="Batch pool",
    allowed="",
)
