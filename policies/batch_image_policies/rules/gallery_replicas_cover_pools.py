"""gallery-replicas-cover-pools: gallery image versions have at least one replica per 300 target pool nodes in the
Batch region (a stack policy: it counts the nodes of the pools booting each version)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs

from .._graph import batch_regions, of_type, pool_accounts, pool_image_versions, target_regions
from .._policy import Finding, Findings, int_option, integer, schema, stack_rule
from .._scale import pool_size
from .._tokens import BATCH_POOL, GALLERY_IMAGE_VERSION

OPTIONS = schema(nodesPerReplica=integer("Pool nodes one gallery replica serves.", 300, 1))


def _check(args: StackValidationArgs) -> Findings:
    per_replica = max(1, int_option(args.get_config(), "nodesPerReplica", 300))
    regions = batch_regions(args.resources)
    for version in of_type(args.resources, GALLERY_IMAGE_VERSION):
        replicas = target_regions(version)
        if replicas is None:
            continue
        for region, nodes in _nodes_per_region(version, args.resources, regions).items():
            needed = -(-nodes // per_replica)
            have = replicas.get(region, 0)
            if have < needed:
                yield Finding(
                    f"too few replicas in {region} for {nodes} pool nodes",
                    f"{have} replica(s) in {region}",
                    f"at least {needed} replica(s) in {region}, one per {per_replica} nodes (image.replicas[].count)",
                    resource=version,
                )


def _nodes_per_region(
    version: PolicyResource, resources: Sequence[PolicyResource], regions: dict[str, str]
) -> dict[str, int]:
    """Target nodes (fixed or the autoscale cap) of the pools booting this version, per Batch region."""
    totals: dict[str, int] = {}
    for pool in of_type(resources, BATCH_POOL):
        size = pool_size(pool.props)
        if version not in pool_image_versions(pool, resources) or not size.nodes:
            continue
        accounts = [regions[a.name] for a in pool_accounts(pool, resources) if a.name in regions]
        for region in accounts or sorted(set(regions.values())):
            totals[region] = totals.get(region, 0) + size.nodes
    return totals


REMEDIATION = (
    "Raise the Batch region's replica count (image.replicas[].count, regionalReplicaCount) to the number the message "
    "names, or change this policy's nodesPerReplica."
)
DESCRIPTION = (
    "Gallery image versions have at least one replica per 300 target pool nodes in the Batch region: fewer replicas "
    "slow allocation and can time it out."
)

policy = stack_rule(
    name="gallery-replicas-cover-pools",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    url="https://learn.microsoft.com/azure/virtual-machines/azure-compute-gallery",
    benchmark="",
    topics="image, scale",
    types=[GALLERY_IMAGE_VERSION],
    check=_check,
    config_schema=OPTIONS,
    subject="gallery image version",
    allowed="",
)
