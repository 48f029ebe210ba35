"""batch-pool-node-agent-sku: the pool's node agent SKU is one Batch knows and matches the OS of the gallery image it
boots (a stack policy: the OS is on the gallery image definition, not on the pool)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs

from .._batch import NODE_AGENT_SKUS, VM_CONFIG
from .._graph import of_type, pool_image_definitions
from .._policy import Finding, Findings, stack_rule
from .._props import is_unknown, peek, text
from .._tokens import BATCH_POOL


def _check(args: StackValidationArgs) -> Findings:
    for pool in of_type(args.resources, BATCH_POOL):
        sku = peek(pool.props, f"{VM_CONFIG}.nodeAgentSkuId")
        if is_unknown(sku):
            continue
        if not isinstance(sku, str) or sku not in NODE_AGENT_SKUS:
            known = f"one of {', '.join(sorted(NODE_AGENT_SKUS))} (pools[].nodeAgentSkuId)"
            yield Finding("unknown node agent SKU", f"nodeAgentSkuId {text(sku)}", known, resource=pool)
            continue
        yield from _check_os(pool, str(sku), args.resources)


def _check_os(pool: PolicyResource, sku: str, resources: list[PolicyResource]) -> Findings:
    expected = NODE_AGENT_SKUS[sku]
    for definition in pool_image_definitions(pool, resources):
        os_type = peek(definition.props, "osType")
        if isinstance(os_type, str) and not is_unknown(os_type) and os_type.lower() != expected.lower():
            matching = sorted(s for s, os_name in NODE_AGENT_SKUS.items() if os_name.lower() == os_type.lower())
            yield Finding(
                f'node agent for {expected} on a {os_type} image (gallery image "{definition.name}")',
                f"nodeAgentSkuId {text(sku)}, osType {text(os_type)}",
                f"a {os_type} node agent ({', '.join(matching) or 'none known'}) or an image of the agent's OS",
                resource=pool,
            )


REMEDIATION = (
    "Set pools[].nodeAgentSkuId to a node agent Batch supports for the image's OS (`az batch pool supported-images "
    "list`), or build the image from a base of the agent's OS."
)
DESCRIPTION = (
    "Pools use a known node agent SKU that matches the OS of their gallery image: otherwise nodes never become usable."
)

policy = stack_rule(
    name="batch-pool-node-agent-sku",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/batch/batch-linux-nodes",
    benchmark="",
    topics="batch, image",
    types=[BATCH_POOL],
    check=_check,
    config_schema=None,
    subject="Batch pool",
    allowed="",
)
