"""The program side of the canary: the deployer's data-plane role, the ImageCanary, the gate, and GalleryLatest.

`gate_publication` takes the publication (components/publication.py) and returns it gated: image.version's id, which
the production pools booting it and the stack output galleryImageVersionId take, and the record of published
versions become Outputs of the canary's result. They resolve only when it passed; when it failed they raise
`CanaryFailed` with the canary's message, so `pulumi up` stops with that message alone, registers no pool change and
leaves the previous record (the next `up` sees the version as new and runs the canary again). Pools pinned to other
versions (pools[].imageVersion) don't wait.

Rights: jobs and tasks are DataActions (azure-facts "Batch RBAC"): the deployer gets Azure Batch Data Contributor on
the account while the canary is on; the provider retries data-plane 403s while the assignment propagates.
GalleryLatest's latest_version is image.version, through the gate when the canary runs: a failed canary registers no
GalleryLatest change, so `latest` stays where it was (the new version was created excluded from it).
`pulumi destroy` deletes in reverse dependency order: the ImageCanary (a kept canary pool with it) before that role
and the account, GalleryLatest before the gallery versions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pulumi

from components.batch_account import BatchAccount
from components.canary.defaults import canary_command
from components.canary.pool_body import canary_pool_body
from components.canary.resource import GalleryLatest, GalleryLatestArgs, ImageCanary, ImageCanaryArgs
from components.publication import Publication
from components.settings import Settings
from components.storage import RoleGrant

# Built-in role "Azure Batch Data Contributor": jobs, tasks and job schedules (DataActions) on the account.
BATCH_DATA_CONTRIBUTOR = "6aaa78f1-f7de-44ca-8722-c64a23943cae"


class CanaryFailed(pulumi.RunError):
    """The canary did not pass: its one message (what failed, the kept pool and how to look at it). A RunError, so
    `pulumi up` prints the message alone (as components.settings' SettingsError)."""


@dataclass(frozen=True)
class CanaryArgs:
    settings: Settings
    account: BatchAccount  # the canary pool's account; the ImageCanary depends on it (destroyed after the canary)
    deployer: RoleGrant  # who runs `pulumi up`: the canary's data-plane calls (jobs, tasks) are theirs


def gate_publication(publication: Publication, args: CanaryArgs) -> Publication:
    """The publication with image.version's id and the record gated on the canary (unchanged with the canary off)."""
    plan = publication.canary
    if not plan.owns_latest:
        return publication
    settings = args.settings
    version = settings.image.version
    access = args.deployer.built_in(
        "batch-deployer-data-access", args.account.account_id, BATCH_DATA_CONTRIBUTOR, pulumi.ResourceOptions()
    )
    latest: pulumi.Input[str] = version
    gated = publication
    # `latest` moves once the canary passed; a failed canary fails this input, so GalleryLatest does not change
    if plan.declared:
        gated = _gated(publication, version, _canary(publication, args, access, plan.state == "passed"))
        latest = gated.image_version_id.apply(lambda _: version)
    GalleryLatest(
        "gallery-latest",
        GalleryLatestArgs(
            image_definition_id=_definition_id(publication),
            latest_version=latest,
            versions=[kept.version for kept in publication.versions],
        ),
        pulumi.ResourceOptions(depends_on=[publication.gallery] if publication.gallery else None),
    )
    return gated


# What an ImageCanary that already passed keeps as it ran: a change of the first pool's settings or of the canary's
# would be an in-place update of the canary that re-runs nothing (its provider's diff) but leaves its outputs unknown
# in a preview, so every production pool on image.version would show as replaced. A new image.version (its id)
# still replaces the canary; a new account (its id and endpoint, which the canary's delete uses) updates it, and
# replaces the pools anyway.
PASSED_CANARY_KEEPS = ["pool_body", "command", "timeout"]


def _canary(publication: Publication, args: CanaryArgs, access: pulumi.Resource, passed: bool) -> ImageCanary:
    settings = args.settings
    version_id = publication.image_version_id
    return ImageCanary(
        "canary",
        ImageCanaryArgs(
            account_id=args.account.account_id,
            account_endpoint=args.account.account_endpoint,
            image_version=settings.image.version,
            image_version_id=version_id,
            pool_body=version_id.apply(lambda image_id: canary_pool_body(settings, image_id)),
            command=canary_command(settings),
            timeout=settings.image.canary.timeout,
        ),
        pulumi.ResourceOptions(
            depends_on=[access, args.account], ignore_changes=PASSED_CANARY_KEEPS if passed else None
        ),
    )


def _gated(publication: Publication, version: str, canary: ImageCanary) -> Publication:
    """image.version's id and the record, resolved only once the canary passed."""
    gated_version_id = pulumi.Output.all(canary.passed, canary.failure, publication.image_version_id).apply(_passed)
    record: Any = publication.record
    if record is not None:
        record = pulumi.Output.all(gated_version_id, record).apply(lambda values: values[1])
    ids = {**publication.image_version_ids, version: gated_version_id}
    return replace(publication, image_version_ids=ids, record=record)


def _passed(values: list[Any]) -> str:
    passed, failure, version_id = values
    if passed is not True:
        raise CanaryFailed(failure or "the canary did not pass and gave no reason (see the canary resource's outputs)")
    return str(version_id)


def _definition_id(publication: Publication) -> pulumi.Output[str]:
    if publication.gallery is None:  # the canary is off for a pool stack: no gallery of its own
        raise ValueError("GalleryLatest needs the stack's own gallery")
    return publication.gallery.image_definition_id
