"""Finding related resources in a stack (stack policies see outputs, parents and dependencies)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pulumi_policy import PolicyResource

from . import _tokens as types
from ._props import is_unknown, items, normalize_region, number, peek


def of_type(resources: Iterable[PolicyResource], *tokens: str) -> list[PolicyResource]:
    """The resources of these types, whether or not their tokens name an API version (`base_type`)."""
    wanted = {types.base_type(t) for t in tokens}
    return [r for r in resources if types.base_type(r.resource_type) in wanted]


def depends_on(resource: PolicyResource, other: PolicyResource, prop: str | None = None) -> bool:
    """True when `resource` depends on `other` (through `prop` only, when given) or is its child."""
    if prop is not None:
        return any(d is other for d in resource.property_dependencies.get(prop, []))
    if resource.parent is other or any(d is other for d in resource.dependencies):
        return True
    return any(d is other for deps in resource.property_dependencies.values() for d in deps)


def known_str(props: Any, path: str) -> str | None:
    value = peek(props, path)
    return value if isinstance(value, str) and not is_unknown(value) and value else None


def same_id(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.lower() == b.lower()


def refers_to(resource: PolicyResource, path: str, other: PolicyResource) -> bool:
    """`resource` points at `other`: through a dependency of the property or an equal ARM id."""
    top = path.split(".")[0]
    return depends_on(resource, other, top) or same_id(known_str(resource.props, path), known_str(other.props, "id"))


def names_of(resource: PolicyResource, *paths: str) -> set[str]:
    return {n.lower() for p in paths if (n := known_str(resource.props, p))}


def location(resource: PolicyResource, resources: Sequence[PolicyResource]) -> str | None:
    """The resource's region, or its resource group's when it has none of its own; None when unknown."""
    own = known_str(resource.props, "location")
    if own:
        return normalize_region(own)
    for group in of_type(resources, types.RESOURCE_GROUP):
        if depends_on(resource, group, "resourceGroupName") or resource.parent is group:
            region = known_str(group.props, "location")
            return normalize_region(region) if region else None
    return None


def pool_image_versions(pool: PolicyResource, resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """Gallery image versions a pool boots from (its image input depends on the version, or names its id)."""
    image_id = known_str(pool.props, "deploymentConfiguration.virtualMachineConfiguration.imageReference.id")
    return [
        version
        for version in of_type(resources, types.GALLERY_IMAGE_VERSION)
        if depends_on(pool, version, "deploymentConfiguration") or same_id(image_id, known_str(version.props, "id"))
    ]


def pool_image_definitions(pool: PolicyResource, resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """Gallery image definitions behind a pool's image: through its version, or named directly by id."""
    image_id = known_str(pool.props, "deploymentConfiguration.virtualMachineConfiguration.imageReference.id")
    definitions = [d for d in of_type(resources, types.GALLERY_IMAGE) if same_id(image_id, known_str(d.props, "id"))]
    for version in pool_image_versions(pool, resources):
        definitions.extend(d for d in version_definitions(version, resources) if d not in definitions)
    return definitions


def version_definitions(version: PolicyResource, resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """Gallery image definitions a version belongs to (by dependency, parent or name)."""
    version_names = names_of(version, "galleryImageName")
    return [
        d
        for d in of_type(resources, types.GALLERY_IMAGE)
        if depends_on(version, d, "galleryImageName")
        or version.parent is d
        or version_names & names_of(d, "name", "galleryImageName")
    ]


def pool_accounts(pool: PolicyResource, resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    accounts = of_type(resources, types.BATCH_ACCOUNT)
    pool_names = names_of(pool, "accountName")
    return [
        a for a in accounts if depends_on(pool, a, "accountName") or pool_names & names_of(a, "name", "accountName")
    ]


def batch_regions(resources: Sequence[PolicyResource]) -> dict[str, str]:
    """Batch account name -> region (accounts whose region is known)."""
    found = {}
    for account in of_type(resources, types.BATCH_ACCOUNT):
        region = location(account, resources)
        if region:
            found[account.name] = region
    return found


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
