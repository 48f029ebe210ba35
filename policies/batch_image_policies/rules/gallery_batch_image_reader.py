"""gallery-batch-image-reader: in a UserSubscription Batch account, the Batch service principal can read the images
of the Compute Gallery its pools boot from (a stack policy: it links pools, their image versions, the gallery and
role assignments)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs

from .._batch import COMPUTE_GALLERY_IMAGE_READER_ROLE, allocation_mode, batch_principals, role_id
from .._graph import depends_on, known_str, names_of, of_type, pool_accounts, pool_image_versions
from .._policy import Finding, Findings, option, schema, stack_rule, str_list_option, string_list
from .._props import is_unknown, peek
from .._tokens import BATCH_POOL, GALLERY, ROLE_ASSIGNMENT

# Built-in roles that read gallery images: Compute Gallery Image Reader, Reader, Contributor, Owner.
READER_ROLES = [
    COMPUTE_GALLERY_IMAGE_READER_ROLE,
    "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
]
OPTIONS = schema(
    batchPrincipalObjectId={
        "type": "string",
        "description": "Object id of the Microsoft Azure Batch service principal in your tenant; empty: the one "
        "keyvault-batch-access-policy finds in the stack's role assignments.",
        "default": "",
    },
    readerRoleIds=string_list(
        "Built-in or custom role definition ids (GUIDs) that give the Batch principal read access to gallery images.",
        READER_ROLES,
    ),
)


def _pool_galleries(pool: PolicyResource, resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """Galleries holding the image versions the pool boots from."""
    found: list[PolicyResource] = []
    for version in pool_image_versions(pool, resources):
        wanted = names_of(version, "galleryName")
        for gallery in of_type(resources, GALLERY):
            if gallery not in found and (
                depends_on(version, gallery, "galleryName") or wanted & names_of(gallery, "name", "galleryName")
            ):
                found.append(gallery)
    return found


def _covers(scope: str | None, gallery_id: str | None) -> bool:
    """A known scope at or above a known gallery id (the gallery, its resource group or subscription)."""
    if scope is None or gallery_id is None:
        return False
    scope, gallery_id = scope.rstrip("/").lower(), gallery_id.lower()
    return gallery_id == scope or gallery_id.startswith(scope + "/")


def _reads(assignment: PolicyResource, gallery: PolicyResource, principals: set[str], roles: set[str]) -> bool | None:
    """True when the assignment gives a Batch principal a reader role on the gallery; None when unknown in preview."""
    principal = peek(assignment.props, "principalId")
    if not (is_unknown(principal) or (isinstance(principal, str) and principal.lower() in principals)):
        return False
    if role_id(assignment) not in roles and not is_unknown(peek(assignment.props, "roleDefinitionId")):
        return False
    on_gallery = depends_on(assignment, gallery, "scope") or _covers(
        known_str(assignment.props, "scope"), known_str(gallery.props, "id")
    )
    if not on_gallery:
        return False
    return None if is_unknown(principal) or is_unknown(peek(assignment.props, "roleDefinitionId")) else True


def _check(args: StackValidationArgs) -> Findings:
    config = args.get_config()
    principals = batch_principals(args.resources, str(option(config, "batchPrincipalObjectId", "")))
    roles = {r.lower() for r in str_list_option(config, "readerRoleIds", READER_ROLES)}
    checked: list[PolicyResource] = []
    for pool in of_type(args.resources, BATCH_POOL):
        accounts = pool_accounts(pool, args.resources)
        if not any(allocation_mode(a.props) == "UserSubscription" for a in accounts):
            continue
        for gallery in _pool_galleries(pool, args.resources):
            if gallery in checked:
                continue
            checked.append(gallery)
            grants = [_reads(a, gallery, principals, roles) for a in of_type(args.resources, ROLE_ASSIGNMENT)]
            if any(g is not False for g in grants):
                continue
            who = f"principal {', '.join(sorted(principals))}" if principals else "the Batch principal (unknown)"
            yield Finding(
                f'the Batch principal has no read access to the images pool "{pool.name}" (UserSubscription) boots '
                "from",
                f"no role assignment for {who} with one of readerRoleIds on the gallery, its resource group or "
                "subscription",
                "a role assignment giving the Batch service principal Compute Gallery Image Reader "
                f"({COMPUTE_GALLERY_IMAGE_READER_ROLE}) on the gallery (or another of readerRoleIds there or above)",
                resource=gallery,
            )


REMEDIATION = (
    "Give the Microsoft Azure Batch service principal (app id ddbf3205-c6bd-46ae-8127-60eb93363864) the built-in role "
    f"Compute Gallery Image Reader ({COMPUTE_GALLERY_IMAGE_READER_ROLE}) scoped to the gallery: this program does it "
    "in UserSubscription mode (components/batch_account.py). When the stack has no role assignment that names the "
    "Batch principal, set this policy's batchPrincipalObjectId."
)
DESCRIPTION = (
    "In UserSubscription mode Batch creates the pool's VMs from the gallery image as the Batch service principal. "
    "No Microsoft page says the Azure Batch Service Orchestration Role covers reading gallery images (the docs still "
    "show Contributor), so the principal gets read access on the gallery itself and pool creation does not rest on "
    "an undocumented permission. Advisory: a subscription-wide Contributor grant outside the stack also works."
)

policy = stack_rule(
    name="gallery-batch-image-reader",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/compute#compute-gallery-image-reader",
    benchmark="",
    topics="batch, gallery, identity",
    types=[GALLERY],
    check=_check,
    config_schema=OPTIONS,
    subject="gallery",
    allowed="",
)
