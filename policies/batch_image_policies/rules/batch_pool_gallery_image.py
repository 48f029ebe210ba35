"""batch-pool-gallery-image: pools boot from a Compute Gallery image (the stack's own, a shared or a community gallery),
named by one id alone (a stack policy: while a pool's image id is unknown during preview, the resource it comes from
tells whether it is a gallery image or a retired managed image)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs

from .._batch import VM_CONFIG
from .._graph import depends_on, of_type
from .._policy import Finding, Findings, bool_option, boolean, schema, stack_rule
from .._props import is_unknown, keys, peek, text
from .._tokens import BATCH_POOL, MANAGED_IMAGE

_SEGMENT = r"[^/]+"
_GALLERY = rf"^/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/Microsoft\.Compute/galleries/{_SEGMENT}"
GALLERY_VERSION_ID = re.compile(rf"{_GALLERY}/images/{_SEGMENT}/versions/{_SEGMENT}$", re.IGNORECASE)
GALLERY_DEFINITION_ID = re.compile(rf"{_GALLERY}/images/{_SEGMENT}$", re.IGNORECASE)
VERSION_ID_SHAPE = (
    "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<gallery>/images/<image>/versions/"
    "<version>"
)
# Batch's imageReference (Microsoft.Batch 2024-07-01) takes a gallery shared with the subscription or a community
# gallery in their own properties, each exclusive of every other field.
SHARED_ID_SHAPE = "/SharedGalleries/<uniqueId>/Images/<image>/Versions/<version>"
COMMUNITY_ID_SHAPE = "/CommunityGalleries/<publicName>/Images/<image>/Versions/<version>"
_SHARED = re.compile(rf"^/SharedGalleries/{_SEGMENT}/Images/{_SEGMENT}(/Versions/{_SEGMENT})?$", re.IGNORECASE)
_COMMUNITY = re.compile(rf"^/CommunityGalleries/{_SEGMENT}/Images/{_SEGMENT}(/Versions/{_SEGMENT})?$", re.IGNORECASE)
ID_FIELDS = {
    "id": "Compute Gallery",
    "sharedGalleryImageId": "shared gallery",
    "communityGalleryImageId": "community gallery",
}
OPTIONS = schema(
    allowImageDefinition=boolean("Accept a gallery image definition id (latest version) as well.", True),
)


def _accepted(field: str, image_id: str, allow_definition: bool) -> bool:
    if field == "id":
        return bool(GALLERY_VERSION_ID.match(image_id) or (allow_definition and GALLERY_DEFINITION_ID.match(image_id)))
    match = (_SHARED if field == "sharedGalleryImageId" else _COMMUNITY).match(image_id)
    return bool(match and (allow_definition or match.group(1)))


def _check_pool(pool: PolicyResource, images: Sequence[PolicyResource], allow_definition: bool) -> Findings:
    path = f"{VM_CONFIG}.imageReference"
    if is_unknown(peek(pool.props, path)):
        return  # the whole reference is computed: nothing to judge before deployment
    present = keys(pool.props, path)
    definition = " (or definition)" if allow_definition else ""
    allowed = (
        f"imageReference with only id, a gallery image version{definition} id ({VERSION_ID_SHAPE}); or only "
        f"sharedGalleryImageId ({SHARED_ID_SHAPE}) or communityGalleryImageId ({COMMUNITY_ID_SHAPE})"
    )
    field = present[0] if len(present) == 1 else ""
    image_id = peek(pool.props, f"{path}.{field}") if field in ID_FIELDS else None
    if image_id is None:
        problem = f"imageReference with {', '.join(sorted(present)) or 'no fields'}"
        yield Finding(problem, text(peek(pool.props, path)), allowed, resource=pool)
        return
    if is_unknown(image_id):
        # Computed from another resource: its value comes at deployment, the resource it comes from is known now.
        for image in images:
            if depends_on(pool, image, "deploymentConfiguration"):
                yield Finding(
                    f"imageReference.{field} comes from a managed image (retired for Batch pools)",
                    f'imageReference.{field} unknown during preview, from {MANAGED_IMAGE} "{image.name}"',
                    allowed,
                    resource=pool,
                )
        return
    if isinstance(image_id, str) and _accepted(field, image_id, allow_definition):
        return
    yield Finding(
        f"imageReference.{field} is not a {ID_FIELDS[field]} image id", text(image_id), allowed, resource=pool
    )


def _check(args: StackValidationArgs) -> Findings:
    allow_definition = bool_option(args.get_config(), "allowImageDefinition", True)
    images = of_type(args.resources, MANAGED_IMAGE)
    for pool in of_type(args.resources, BATCH_POOL):
        yield from _check_pool(pool, images, allow_definition)


REMEDIATION = (
    f"Set imageReference to {{id: {VERSION_ID_SHAPE}}}, with no publisher/offer/sku/version (the program does this "
    f"from the gallery image version it creates); for a gallery shared with you or a community gallery, set only "
    f"sharedGalleryImageId ({SHARED_ID_SHAPE}) or communityGalleryImageId ({COMMUNITY_ID_SHAPE}). Replace a managed "
    "image (Microsoft.Compute/images) with a gallery image version built from it."
)
DESCRIPTION = (
    "Pools boot from a Compute Gallery image: imageReference carries only a gallery image id (or only a shared or "
    "community gallery image id). Since 31 Mar 2026 Batch builds custom-image pools only from Azure Compute Gallery "
    "images (managed images and VHDs are retired), and marketplace fields next to id are rejected "
    "(pulumi-azure-native#3599)."
)

policy = stack_rule(
    name="batch-pool-gallery-image",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/batch/batch-sig-images",
    benchmark="",
    topics="batch, image",
    types=[BATCH_POOL],
    check=_check,
    config_schema=OPTIONS,
    subject="Batch pool",
    allowed="",
)
