"""batch-pool-gallery-image: pools boot from a Compute Gallery image, named by id alone."""

from __future__ import annotations

import re

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._batch import VM_CONFIG
from .._policy import Finding, Findings, bool_option, boolean, resource_rule, schema
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
OPTIONS = schema(allowImageDefinition=boolean("Accept a gallery image definition id (latest version) as well.", True))


def _check(args: ResourceValidationArgs) -> Findings:
    path = f"{VM_CONFIG}.imageReference"
    if is_unknown(peek(args.props, path)):
        return  # the whole reference is computed: nothing to judge before deployment
    present = keys(args.props, path)
    image_id = peek(args.props, f"{path}.id")
    allow_definition = bool_option(args.get_config(), "allowImageDefinition", True)
    definition = " (or definition)" if allow_definition else ""
    allowed = f"imageReference with only id, a gallery image version{definition} id ({VERSION_ID_SHAPE})"
    if present != ["id"] or image_id is None:
        problem = f"imageReference with {', '.join(sorted(present)) or 'no fields'}"
        yield Finding(problem, text(peek(args.props, path)), allowed)
        return
    if is_unknown(image_id):
        return  # computed from the gallery image version: its shape is known, its value comes at deployment
    if isinstance(image_id, str) and (
        GALLERY_VERSION_ID.match(image_id) or (allow_definition and GALLERY_DEFINITION_ID.match(image_id))
    ):
        return
    yield Finding("imageReference.id is not a Compute Gallery image id", text(image_id), allowed)


REMEDIATION = (
    f"Set imageReference to {{id: {VERSION_ID_SHAPE}}}, with no publisher/offer/sku/version (the program does this "
    "from the gallery image version it creates)."
)
DESCRIPTION = (
    "Pools boot from a Compute Gallery image: imageReference carries only a gallery image id. Since 31 Mar 2026 Batch "
    "builds custom-image pools only from Azure Compute Gallery images (managed images and VHDs are retired), and "
    "marketplace fields next to id are rejected (pulumi-azure-native#3599)."
)

policy = resource_rule(
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
