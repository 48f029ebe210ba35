"""image-resources-same-region: storage account, builder VM and Batch account are in one region, and every gallery
image version has a replica in the Batch region (a stack policy)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs

from .._graph import batch_regions, location, of_type, target_regions
from .._policy import Finding, Findings, stack_rule
from .._props import text
from .._tokens import GALLERY_IMAGE_VERSION, STORAGE_ACCOUNT, VIRTUAL_MACHINE

KINDS = {STORAGE_ACCOUNT: "storage account", VIRTUAL_MACHINE: "builder VM"}


def _check(args: StackValidationArgs) -> Findings:
    regions = batch_regions(args.resources)
    if not regions:
        return  # no Batch account (or its region is unknown): nothing to line up with
    wanted = sorted(set(regions.values()))
    described = ", ".join(f'"{r}" (Batch account "{a}")' for a, r in regions.items())
    for resource in of_type(args.resources, *KINDS):
        region = location(resource, args.resources)
        if region is not None and region not in wanted:
            yield Finding(
                "not in the Batch account's region",
                f"location {text(region)}; Batch account region {described}",
                f"location {' or '.join(wanted)} (azure-native:location or the resource's location)",
                kind=KINDS[resource.resource_type],
                resource=resource,
            )
    for version in of_type(args.resources, GALLERY_IMAGE_VERSION):
        yield from _check_version_regions(version, wanted, args.resources)


def _check_version_regions(version: PolicyResource, wanted: list[str], resources: Sequence[PolicyResource]) -> Findings:
    replicas = target_regions(version)
    if replicas is None:
        return
    missing = [r for r in wanted if r not in replicas and r != location(version, resources)]
    if not missing:
        return
    yield Finding(
        f"no replica in the Batch region {', '.join(missing)}",
        f"publishingProfile.targetRegions {text(sorted(replicas)) if replicas else 'empty'}, location "
        f"{text(location(version, resources))}",
        f"a target region {missing[0]} (image.replicas: {{region: {missing[0]}, count: 1}})",
        resource=version,
    )


REMEDIATION = (
    "Create the storage account and builder VM in the Batch account's region (azure-native:location or the resource's "
    "location), and add the Batch region to image.replicas (publishingProfile.targetRegions)."
)
DESCRIPTION = (
    "Storage account, builder VM, gallery replica and Batch account are in one region (or the gallery replicates into "
    "the Batch region): cross-region VHD copies and captures fail or are slow, and pool allocation fails without a "
    "replica of the Compute Gallery image in the Batch account's region."
)

policy = stack_rule(
    name="image-resources-same-region",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/batch/batch-sig-images",
    benchmark="",
    topics="region, image",
    types=[*KINDS, GALLERY_IMAGE_VERSION],
    check=_check,
    config_schema=None,
    subject="gallery image version",
    allowed="",
)
