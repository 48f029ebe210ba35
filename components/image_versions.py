"""The image versions this stack has published, and which of them the gallery keeps.

Pulumi forgets a resource the program stops declaring: bump image.version and the previous version would be deleted,
so a rollback would need a full rebuild. The stack therefore records every version it publishes, with the exact
inputs it was created with, in its own output `publishedImageVersions`, and reads that record back on the next run
(a StackReference to itself: the outputs in the stack's latest checkpoint, which is not strictly its last successful
update's: since pulumi 3.112 a failed update keeps the previous outputs unless its program had registered new ones,
which it then keeps, pulumi/pulumi#14621 and #15754). Each kept version is declared again with the same inputs — an
unchanged resource: no replacement and no call to Azure, even after the builder that made it is gone.

The record is read strictly (RecordError, before anything is registered): a version left out of it would be deleted
from the gallery by that update, so nothing is guessed. Versions dropped from the gallery stay in the record as
`dropped`, so a record left behind by an update that failed before its deletions still names them; they are never
declared again. A published version never gets new bits under its name (kept_versions): not from a builder enabled
again after it was retired, not from a build under a VHD's version, not from another VHD.

Which versions are kept (`kept_versions`): image.version, every version a pool is pinned to (pools[].imageVersion),
then the newest of the others up to image.keepVersions in all. A version dropped from the list is deleted by the next
`pulumi up`; `pulumi destroy` deletes them all (a gallery holding versions can't be deleted). The versions other than
image.version carry excludeFromLatest, so `latest` never resolves to a rolled-back or pinned version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.common.image_version import IMAGE_VERSION_RULE, is_image_version, version_order
from components.gallery import GallerySource, GalleryVersion
from components.settings import Settings, record_problem

RECORD_OUTPUT = "publishedImageVersions"
CANARY_PASSED = "passed"  # an entry's `canary`: the version's canary passed before the record named it
# Stack outputs of the program from before the record (one version resource, `gallery-version`): its version's id.
LEGACY_VERSION_OUTPUT = "galleryImageVersionId"
REPAIR_HINT = (
    "repair the record in the stack's state: `pulumi stack export --file state.json`, correct "
    f"{RECORD_OUTPUT} in the outputs of the pulumi:pulumi:Stack resource (the version's gallery-version-<version> "
    "resource in the same file holds the inputs it was created with), then `pulumi stack import --file state.json`"
)
_MAX_DROPPED = 20  # dropped versions the record remembers (newest first)


class RecordError(pulumi.RunError):
    """The stack's record of published versions can't be read back safely: names the output, the version and the
    repair. A RunError, so `pulumi up`/`preview` print the message alone (as components.settings' SettingsError)."""


@dataclass(frozen=True)
class PublishedVersion:
    """One version as the record holds it: what its gallery image version resource was created with."""

    version: str
    source: GallerySource  # plain strings here
    target_regions: list[tuple[str, int]]  # (region, replica count) as published
    content_fingerprint: str | None  # components/image_content.py fingerprint tag (None for `source: vhd`)
    vhd_uri: str | None  # the VHD artifact in the storage account (exported or captured), if any
    # The builder that made it was retired while this version was image.version: a builder enabled again would make
    # new bits under the published name.
    builder_retired: bool = False
    # Dropped from the gallery (past keepVersions, no pool on it) by an update: deleted by it, unless that update
    # failed before its deletions ran (it may still exist). Never declared again.
    dropped: bool = False
    # Its canary passed (record key `canary: passed`, components/canary_plan.py): published while the canary was on.
    canary_passed: bool = False

    @classmethod
    def from_record(cls, version: str, entry: Any) -> PublishedVersion:
        """The entry as written by record_entry; RecordError for anything else (never a guess, never a traceback)."""
        if not is_image_version(version):
            raise _bad(version, f"the key is not a version ({IMAGE_VERSION_RULE})")
        if not isinstance(entry, Mapping):
            raise _bad(version, f"the entry is {type(entry).__name__}, not an object")
        source = _recorded_source(version, entry.get("source"))
        target_regions = _recorded_regions(version, entry.get("targetRegions"))
        texts = {k: entry.get(k, "") for k in ("contentFingerprint", "vhdUri")}
        for key, value in texts.items():
            if not isinstance(value, str):
                raise _bad(version, f"{key} is {value!r}, not a string")
        flags = {k: entry.get(k, False) for k in ("builderRetired", "dropped")}
        for key, value in flags.items():
            if not isinstance(value, bool):
                raise _bad(version, f"{key} is {value!r}, not true or false")
        canary = entry.get("canary")
        if canary not in (None, CANARY_PASSED):
            raise _bad(version, f"canary is {canary!r}, not {CANARY_PASSED!r} (or absent: published without a canary)")
        return cls(
            version=version,
            source=source,
            target_regions=target_regions,
            content_fingerprint=texts["contentFingerprint"] or None,
            vhd_uri=texts["vhdUri"] or None,
            builder_retired=flags["builderRetired"],
            dropped=flags["dropped"],
            canary_passed=canary == CANARY_PASSED,
        )

    def in_gallery(self, exclude_from_latest: bool) -> GalleryVersion:
        """The version declared again exactly as it was published (only excludeFromLatest may move)."""
        return GalleryVersion(
            version=self.version,
            source=self.source,
            target_regions=self.target_regions,
            content_fingerprint=self.content_fingerprint,
            exclude_from_latest=exclude_from_latest,
        )


def _recorded_source(version: str, source: Any) -> GallerySource:
    """The entry's `source`: exactly one of a VM id, or a VHD URI with its storage account id."""
    if not isinstance(source, Mapping):
        raise _bad(version, "source is missing or not an object")
    strings = {k: source.get(k) for k in ("virtualMachineId", "vhdUri", "storageAccountId")}
    for key, value in strings.items():
        if value is not None and (not isinstance(value, str) or not value):
            raise _bad(version, f"source.{key} is {value!r}, not an id")
    if bool(strings["virtualMachineId"]) == bool(strings["vhdUri"]) or (
        strings["vhdUri"] and not strings["storageAccountId"]
    ):
        raise _bad(version, "source needs exactly one of virtualMachineId, or vhdUri with storageAccountId")
    return GallerySource(
        virtual_machine_id=strings["virtualMachineId"] or None,
        vhd_uri=strings["vhdUri"] or None,
        storage_account_id=strings["storageAccountId"] or None,
    )


def _recorded_regions(version: str, regions: Any) -> list[tuple[str, int]]:
    """The entry's `targetRegions`: at least one {region, count}, count a whole number of 1 or more."""
    if not isinstance(regions, list) or not regions:
        raise _bad(version, f"targetRegions is {regions!r}: at least one {{region, count}} is needed")
    target_regions = []
    for index, region in enumerate(regions):
        name = region.get("region") if isinstance(region, Mapping) else None
        count = region.get("count") if isinstance(region, Mapping) else None
        # a whole number: the SDK reads every number back as a float (1.0)
        if (
            not isinstance(name, str)
            or not name
            or not isinstance(count, int | float)
            or isinstance(count, bool)
            or not float(count).is_integer()
            or count < 1
        ):
            raise _bad(version, f"targetRegions[{index}] is {region!r}, not {{region: <name>, count: <1 or more>}}")
        target_regions.append((name, int(count)))
    return target_regions


def _bad(version: str, problem: str) -> RecordError:
    return RecordError(
        f"stack output {RECORD_OUTPUT}, version {version!r}: {problem}. The record says how each published version "
        "was created, and every version it keeps is declared again from it (a version left out would be deleted from "
        f"the gallery by this update), so nothing is registered until it reads back: {REPAIR_HINT}."
    )


def record_entry(
    published: GalleryVersion,
    vhd_uri: pulumi.Input[str] | None,
    builder_retired: bool = False,
    dropped: bool = False,
    canary_passed: bool = False,
) -> dict[str, Any]:
    """The record of one version (read back by PublishedVersion.from_record); values may still be Outputs."""
    source = published.source
    return {
        "source": {
            key: value
            for key, value in (
                ("virtualMachineId", source.virtual_machine_id),
                ("vhdUri", source.vhd_uri),
                ("storageAccountId", source.storage_account_id),
            )
            if value is not None
        },
        "targetRegions": [{"region": region, "count": count} for region, count in published.target_regions],
        "contentFingerprint": published.content_fingerprint or "",
        "vhdUri": vhd_uri or "",
        **({"builderRetired": True} if builder_retired else {}),
        **({"dropped": True} if dropped else {}),
        **({"canary": CANARY_PASSED} if canary_passed else {}),
    }


def record_output(
    settings: Settings,
    current: GalleryVersion,
    vhd_uri: pulumi.Input[str] | None,
    published: Mapping[str, PublishedVersion],
    older: list[PublishedVersion],
    canary_passed: bool = False,
) -> dict[str, Any]:
    """The record this update leaves: image.version (`canary_passed`: with `canary: passed`, registered only once its
    canary passed, components/canary/gate.py), the older versions kept (`older`: kept_versions but image.version),
    and the versions dropped (by this update or earlier), so that a record left behind by an update that failed
    before its deletions still names them."""
    retired = settings.builds_image and not settings.has_builder
    record = {
        settings.image.version: record_entry(current, vhd_uri, builder_retired=retired, canary_passed=canary_passed)
    }
    for old in older:
        record[old.version] = record_entry(
            old.in_gallery(True), old.vhd_uri, old.builder_retired, canary_passed=old.canary_passed
        )
    dropped = sorted((v for v in published if v not in record), key=version_order, reverse=True)[:_MAX_DROPPED]
    for version in dropped:
        old = published[version]
        record[version] = record_entry(
            old.in_gallery(True), old.vhd_uri, old.builder_retired, dropped=True, canary_passed=old.canary_passed
        )
    return record


async def read_published_versions(settings: Settings | None = None) -> dict[str, PublishedVersion]:
    """The record in this stack's latest checkpoint (empty for a new stack).

    Called before anything is registered: a stack reference is a read, it creates nothing. The checkpoint is the
    last update's, not strictly the last successful one's: since pulumi 3.112 a failed update keeps the previous
    outputs unless the program registered new ones before it failed (pulumi/pulumi#14621, #15754); dropped versions
    therefore stay in the record. RecordError for a record that can't be read back; with `settings`, also for a
    stack deployed by the program from before the record that this program would rebuild (legacy_refusal)."""
    own = pulumi.StackReference(f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}")
    details = await own.get_output_details(RECORD_OUTPUT)
    record = details.value if details.value is not None else details.secret_value
    if record is None:
        if settings is not None:
            legacy = await own.get_output_details(LEGACY_VERSION_OUTPUT)
            legacy_id = legacy.value if legacy.value is not None else legacy.secret_value
            legacy_refusal(settings, legacy_id)
        return {}
    return parse_record(record)


def parse_record(record: Any) -> dict[str, PublishedVersion]:
    if not isinstance(record, Mapping):
        raise RecordError(
            f"stack output {RECORD_OUTPUT} is {type(record).__name__}, not an object of versions; "
            f"nothing is registered until it reads back: {REPAIR_HINT}."
        )
    return {str(version): PublishedVersion.from_record(str(version), entry) for version, entry in record.items()}


def legacy_refusal(settings: Settings, legacy_id: Any) -> None:
    """A stack deployed before the record holds one version (`gallery-version`, output galleryImageVersionId) made
    by a builder whose base image was `latest`. This program would build that version again under its published
    name (builder VM and capture replaced, the version re-created from the VM where it was imported from the VHD):
    refused for image.version not newer than it while a builder builds. A newer version takes the resource over
    (its alias) and replaces it; `source: vhd` declares the same version as before."""
    if not isinstance(legacy_id, str) or "/versions/" not in legacy_id or not settings.builds_image:
        return
    legacy = legacy_id.rsplit("/versions/", 1)[1]
    current = settings.image.version
    if not is_image_version(legacy) or version_order(current) > version_order(legacy):
        return
    nxt = _next_patch(legacy)
    raise record_problem(
        "image.version",
        current,
        f"a version newer than {legacy}: this stack published {legacy} with the program from before the record of "
        f"published versions (no {RECORD_OUTPUT} output), and this program would build {legacy} again under its "
        "published name (a new builder VM and capture, the gallery version re-created from the VM: Azure can't "
        f"change a version's source in place), or can't declare it with the builder retired. Upgrade with a new "
        f"version: `pulumi config set --path image.version {nxt}` and `pulumi up` (builds and publishes {nxt}, "
        f"moves the pools onto it, then deletes {legacy}; later updates keep older versions for rollback)",
    )


def kept_versions(settings: Settings, published: Mapping[str, PublishedVersion]) -> list[str]:
    """The versions the gallery holds after this update, newest first; raises SettingsError for a version that
    can't be had: a new image.version while the builder is retired, new bits under a published version (an
    image.version older than one published, or one whose builder was retired or that came from a VHD, while the builder
    would build it again; another VHD under it), a pool pinned to a version not kept, or a dropped version asked for
    again (the update that dropped it may have deleted it)."""
    image = settings.image
    current = image.version
    live = {v: p for v, p in published.items() if not p.dropped}
    _refuse_unpublishable(settings, published, live)
    _refuse_new_bits(settings, live.get(current))
    older = sorted((v for v in live if v != current), key=version_order, reverse=True)
    pinned = {settings.pool_image_version(pool) for pool in settings.pools} - {current}
    kept = [current] + [v for v in older if v in pinned]
    kept += [v for v in older if v not in pinned][: max(0, image.keep_versions - len(kept))]
    for index, pool in enumerate(settings.pools):
        if pool.image_version is not None and pool.image_version not in kept:
            dropped = pool.image_version in published
            raise record_problem(
                f"pools[{index}].imageVersion",
                pool.image_version,
                _dropped_text(pool.image_version, published)
                if dropped
                else f"a version this stack has published and keeps: {current} (image.version) or one of "
                f"{_listing(live)}; a version not published yet is built by setting image.version",
            )
    return sorted(kept, key=version_order, reverse=True)


def _refuse_unpublishable(
    settings: Settings, published: Mapping[str, PublishedVersion], live: Mapping[str, PublishedVersion]
) -> None:
    """image.version can't be had: dropped earlier, new while the builder is retired, or older than one the builder
    published (it would build it again)."""
    image = settings.image
    current = image.version
    if current in published and published[current].dropped:
        raise record_problem("image.version", current, _dropped_text(current, published))
    if settings.builds_image and not image.builder.enabled and current not in live:
        raise record_problem(
            "image.builder.enabled",
            False,
            f"true to build image.version {current}: this stack has not published it "
            f"({_listing(live)}); the builder can be retired once a version is published",
        )
    newer = sorted((v for v in published if version_order(v) > version_order(current)), key=version_order)
    if settings.has_builder and newer:
        raise record_problem(
            "image.version",
            current,
            f"a version newer than {newer[-1]}, which this stack already published: the builder would build "
            f"{current} again. To run pools on {current}, set pools[].imageVersion (or retire the builder with "
            "image.builder.enabled: false, which publishes nothing)",
        )


def _refuse_new_bits(settings: Settings, recorded: PublishedVersion | None) -> None:
    """A published version never gets new bits under its old name (the capture's content check, capture/spec.py,
    covers a builder that still exists): not from a builder enabled again after it was retired, not from a builder
    after the version came from a VHD, not from another VHD."""
    if recorded is None:
        return
    image = settings.image
    version = image.version
    if settings.has_builder and (recorded.builder_retired or recorded.content_fingerprint is None):
        how = "its builder was retired" if recorded.builder_retired else "it was published from a VHD (source: vhd)"
        raise record_problem(
            "image.version",
            version,
            f"a version this stack has not published: {version} is published and {how}, so the builder would put "
            f"new bits under its name. Set a new image.version (e.g. {_next_patch(version)}) with the builder "
            "enabled, or keep image.builder.enabled false",
        )
    if not settings.builds_image and (
        recorded.source.vhd_uri != image.vhd_uri or recorded.source.storage_account_id != image.vhd_storage_account_id
    ):
        was = recorded.source.vhd_uri or f"the builder VM {recorded.source.virtual_machine_id}"
        raise record_problem(
            "image.version",
            version,
            f"a version this stack has not published: {version} is published from {was}, and a gallery version "
            f"never gets new bits under its old name. Set a new image.version (e.g. {_next_patch(version)}) for "
            f"image.vhdUri {image.vhd_uri}",
        )


def _next_patch(version: str) -> str:
    major, minor, patch = version_order(version)
    return f"{major}.{minor}.{patch + 1}"


def _dropped_text(version: str, published: Mapping[str, PublishedVersion]) -> str:
    live = {v: p for v, p in published.items() if not p.dropped}
    return (
        f"a version this stack keeps ({_listing(live)}): {version} was dropped from the gallery by an earlier update "
        "(past image.keepVersions), which deleted it unless that update failed first, so it is not declared again "
        "(it could come back with new bits under its old name). Publish a new image.version instead"
    )


def _listing(published: Mapping[str, PublishedVersion]) -> str:
    if not published:
        return "none yet"
    return "published: " + ", ".join(sorted(published, key=version_order, reverse=True))
