"""Region rules across the image chain (stack): one region for storage, builder and Batch account, gallery
replicas in the Batch region, enough replicas for the pools (batch-sig-images, batch-custom-images)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import EnforcementLevel, PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy

from . import _tokens as types
from ._graph import location, of_type, pool_accounts, pool_image_versions
from ._policy import int_option, integer, schema, subject, violation
from ._props import is_unknown, items, normalize_region, number, peek, text
from ._scale import pool_size

KINDS = {types.STORAGE_ACCOUNT: "storage account", types.VIRTUAL_MACHINE: "builder VM"}


def target_regions(version: PolicyResource) -> dict[str, int] | None:
    """Replica count per region of a gallery image version (no target regions: its own region); None when
    unknown during preview."""
    entries = peek(version.props, "publishingProfile.targetRegions")
    if is_unknown(entries):
        return None
    default_count = number(peek(version.props, "publishingProfile.replicaCount")) or 1
    regions: dict[str, int] = {}
    for entry in items(version.props, "publishingProfile.targetRegions"):
        name = peek(entry, "name")
        if is_unknown(entry) or is_unknown(name):
            return None
        if isinstance(name, str):
            regions[normalize_region(name)] = int(number(peek(entry, "regionalReplicaCount")) or default_count)
    own = peek(version.props, "location")
    if not regions and isinstance(own, str) and not is_unknown(own):
        regions[normalize_region(own)] = int(default_count)  # no target regions: the source region only
    return regions


def _batch_regions(resources: Sequence[PolicyResource]) -> dict[str, str]:
    """Batch account name -> region (accounts whose region is known)."""
    found = {}
    for account in of_type(resources, types.BATCH_ACCOUNT):
        region = location(account, resources)
        if region:
            found[account.name] = region
    return found


def _same_region(args: StackValidationArgs, report: ReportViolation) -> None:
    regions = _batch_regions(args.resources)
    if not regions:
        return  # no Batch account (or its region is unknown): nothing to line up with
    wanted = sorted(set(regions.values()))
    described = ", ".join(f'"{r}" (Batch account "{a}")' for a, r in regions.items())
    for resource in of_type(args.resources, *KINDS):
        region = location(resource, args.resources)
        if region is not None and region not in wanted:
            report(
                violation(
                    subject(KINDS[resource.resource_type], resource.name),
                    "not in the Batch account's region",
                    f"location {text(region)}; Batch account region {described}",
                    f"create it in {' or '.join(wanted)} (azure-native:location or the resource's location)",
                    "the procedure keeps the image storage account, the builder VM and the Batch account in one "
                    "region: cross-region VHD copies and captures fail or are slow, and Batch reads images locally",
                ),
                resource.urn,
            )
    for version in of_type(args.resources, types.GALLERY_IMAGE_VERSION):
        _check_version_regions(version, wanted, args.resources, report)


def _check_version_regions(
    version: PolicyResource, wanted: list[str], resources: Sequence[PolicyResource], report: ReportViolation
) -> None:
    replicas = target_regions(version)
    if replicas is None:
        return
    missing = [r for r in wanted if r not in replicas and r != location(version, resources)]
    if not missing:
        return
    report(
        violation(
            subject("gallery image version", version.name),
            f"no replica in the Batch region {', '.join(missing)}",
            f"publishingProfile.targetRegions {text(sorted(replicas)) if replicas else 'empty'}, location "
            f"{text(location(version, resources))}",
            f"add {{region: {missing[0]}, count: 1}} to image.replicas (publishingProfile.targetRegions)",
            "the Compute Gallery image must have a replica in the Batch account's region or pool allocation fails",
        ),
        version.urn,
    )


image_resources_same_region = StackValidationPolicy(
    name="image-resources-same-region",
    description="Storage account, builder VM, gallery replica and Batch account are in one region "
    "(or the gallery replicates into the Batch region).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_same_region,
)


def _replicas_cover_pools(args: StackValidationArgs, report: ReportViolation) -> None:
    per_replica = max(1, int_option(args.get_config(), "nodesPerReplica", 300))
    regions = _batch_regions(args.resources)
    for version in of_type(args.resources, types.GALLERY_IMAGE_VERSION):
        replicas = target_regions(version)
        if replicas is None:
            continue
        for region, nodes in _nodes_per_region(version, args.resources, regions).items():
            needed = -(-nodes // per_replica)
            have = replicas.get(region, 0)
            if have < needed:
                report(_replica_message(version, region, have, needed, nodes, per_replica), version.urn)


def _nodes_per_region(
    version: PolicyResource, resources: Sequence[PolicyResource], regions: dict[str, str]
) -> dict[str, int]:
    """Target nodes (fixed or the autoscale cap) of the pools booting this version, per Batch region."""
    totals: dict[str, int] = {}
    for pool in of_type(resources, types.BATCH_POOL):
        size = pool_size(pool.props)
        if version not in pool_image_versions(pool, resources) or not size.nodes:
            continue
        accounts = [regions[a.name] for a in pool_accounts(pool, resources) if a.name in regions]
        for region in accounts or sorted(set(regions.values())):
            totals[region] = totals.get(region, 0) + size.nodes
    return totals


def _replica_message(version: PolicyResource, region: str, have: int, needed: int, nodes: int, per: int) -> str:
    return violation(
        subject("gallery image version", version.name),
        f"too few replicas in {region} for {nodes} pool nodes",
        f"{have} replica(s) in {region}",
        f"set the {region} replica count (image.replicas[].count, regionalReplicaCount) to at least {needed}",
        f"Batch recommends at least one replica per {per} nodes; fewer replicas slow allocation and can time it out",
    )


gallery_replicas_cover_pools = StackValidationPolicy(
    name="gallery-replicas-cover-pools",
    description="Gallery image versions have at least one replica per 300 target pool nodes in the Batch region.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_replicas_cover_pools,
    config_schema=schema(nodesPerReplica=integer("Pool nodes one gallery replica serves.", 300, 1)),
)
