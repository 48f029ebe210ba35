"""The pool's node agent SKU is one Batch knows and matches the OS of the gallery image it boots (stack: the OS
is on the gallery image definition, not on the pool)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy

from . import _tokens as types
from ._batch import NODE_AGENT_SKUS
from ._graph import of_type, pool_image_definitions
from ._policy import subject, violation
from ._props import is_unknown, peek, text

SKU_PATH = "deploymentConfiguration.virtualMachineConfiguration.nodeAgentSkuId"
WHY = "the node agent SKU must match the image's OS and be one Batch supports, or nodes never become usable"


def _node_agent_sku(args: StackValidationArgs, report: ReportViolation) -> None:
    for pool in of_type(args.resources, types.BATCH_POOL):
        sku = peek(pool.props, SKU_PATH)
        if is_unknown(sku):
            continue
        if not isinstance(sku, str) or sku not in NODE_AGENT_SKUS:
            report(
                violation(
                    subject("Batch pool", pool.name),
                    "unknown node agent SKU",
                    f"nodeAgentSkuId {text(sku)}",
                    f"use one of {', '.join(sorted(NODE_AGENT_SKUS))} (pools[].nodeAgentSkuId)",
                    WHY,
                ),
                pool.urn,
            )
            continue
        _check_os(pool, str(sku), args.resources, report)


def _check_os(pool: PolicyResource, sku: str, resources: list[PolicyResource], report: ReportViolation) -> None:
    expected = NODE_AGENT_SKUS[sku]
    for definition in pool_image_definitions(pool, resources):
        os_type = peek(definition.props, "osType")
        if isinstance(os_type, str) and not is_unknown(os_type) and os_type.lower() != expected.lower():
            matching = sorted(s for s, os_name in NODE_AGENT_SKUS.items() if os_name.lower() == os_type.lower())
            report(
                violation(
                    subject("Batch pool", pool.name),
                    f'node agent for {expected} on a {os_type} image (gallery image "{definition.name}")',
                    f"nodeAgentSkuId {text(sku)}, osType {text(os_type)}",
                    f"use a {os_type} node agent ({', '.join(matching) or 'none known'}) or an image of the agent's OS",
                    WHY,
                ),
                pool.urn,
            )


batch_pool_node_agent_sku = StackValidationPolicy(
    name="batch-pool-node-agent-sku",
    description="Pools use a known node agent SKU that matches the OS of their gallery image.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_node_agent_sku,
)
