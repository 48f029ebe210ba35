"""batch-pool-gallery-image: pools boot from a Compute Gallery image, named by id alone."""

from __future__ import annotations

import re

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .._batch import VM_CONFIG
from .._policy import Report, bool_option, boolean, for_types, schema, sources, subject, violation
from .._props import is_unknown, keys, peek, text
from .._tokens import BATCH_POOL

_SEGMENT = r"[^/]+"
_GALLERY = rf"^/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/Microsoft\.Compute/galleries/{_SEGMENT}"
GALLERY_VERSION_ID = re.compile(rf"{_GALLERY}/images/{_SEGMENT}/versions/{_SEGMENT}$", re.IGNORECASE)
GALLERY_DEFINITION_ID = re.compile(rf"{_GALLERY}/images/{_SEGMENT}$", re.IGNORECASE)
VERSION_ID_SHAPE = (
    "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<gallery>/images/<image>/versions/"
    "<version>"
)


def _check(args: ResourceValidationArgs, report: Report) -> None:
    path = f"{VM_CONFIG}.imageReference"
    if is_unknown(peek(args.props, path)):
        return  # the whole reference is computed: nothing to judge before deployment
    present = keys(args.props, path)
    image_id = peek(args.props, f"{path}.id")
    allow_definition = bool_option(args.get_config(), "allowImageDefinition", True)
    allowed = f"imageReference with only id, a gallery image version{' (or definition)' if allow_definition else ''} id"
    if present != ["id"] or image_id is None:
        problem = f"imageReference with {', '.join(sorted(present)) or 'no fields'}"
        report(_message(args, problem, text(peek(args.props, path)), allowed))
        return
    if is_unknown(image_id):
        return  # computed from the gallery image version: its shape is known, its value comes at deployment
    if isinstance(image_id, str) and (
        GALLERY_VERSION_ID.match(image_id) or (allow_definition and GALLERY_DEFINITION_ID.match(image_id))
    ):
        return
    report(_message(args, "imageReference.id is not a Compute Gallery image id", text(image_id), allowed))


def _message(args: ResourceValidationArgs, problem: str, found: str, allowed: str) -> str:
    return violation(subject("Batch pool", args.name), problem, found, f"{allowed} ({VERSION_ID_SHAPE})")


policy = ResourceValidationPolicy(
    name="batch-pool-gallery-image",
    description="Pools boot from a Compute Gallery image: imageReference carries only a gallery image id. Since 31 Mar "
    "2026 Batch builds custom-image pools only from Azure Compute Gallery images (managed images and VHDs are "
    "retired), and marketplace fields next to id are rejected (pulumi-azure-native#3599).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=for_types({BATCH_POOL}, _check),
    config_schema=schema(
        allowImageDefinition=boolean("Accept a gallery image definition id (latest version) as well.", True)
    ),
    severity=Severity.HIGH,
    remediation_steps=f"Set imageReference to {{id: {VERSION_ID_SHAPE}}}, with no publisher/offer/sku/version (the "
    "program does this from the gallery image version it creates).",
    url="https://learn.microsoft.com/azure/batch/batch-sig-images",
    **sources(topics=["batch", "image"]),
)
