"""The image versions this stack has published, and which of them the gallery keeps.

Pulumi forgets a resource the program stops declaring: bump image.version and the previous version would be deleted,
so a rollback would need a full rebuild. The stack therefore records every version it publishes, with the exact
inputs it was created with, in its own output `publishedImageVersions`, and reads that record back on the next run
(a StackReference to itself: the outputs of its last successful update). Each kept version is declared again with the
same inputs — an unchanged resource: no replacement and no call to Azure, even after the builder that made it is gone.

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

from components.common.image_version import is_image_version
from components.gallery import GallerySource, GalleryVersion
from components.settings import Settings, record_problem

RECORD_OUTPUT = "publishedImageVersions"


@dataclass(frozen=True)
class PublishedVersion:
    """One version as the record holds it: what its gallery image version resource was created with."""

    version: str
    source: GallerySource  # plain strings here
    target_regions: list[tuple[str, int]]  # (region, replica count) as published
    content_fingerprint: str | None  # components/image_content.py fingerprint tag (None for `source: vhd`)
    vhd_uri: str | None  # the VHD artifact in the storage account (exported or captured), if any

    @classmethod
    def from_record(cls, version: str, entry: Mapping[str, Any]) -> PublishedVersion:
        source = dict(entry.get("source") or {})
        return cls(
            version=version,
            source=GallerySource(
                virtual_machine_id=source.get("virtualMachineId") or None,
                vhd_uri=source.get("vhdUri") or None,
                storage_account_id=source.get("storageAccountId") or None,
            ),
            target_regions=[(str(r["region"]), int(r["count"])) for r in entry.get("targetRegions") or []],
            content_fingerprint=entry.get("contentFingerprint") or None,
            vhd_uri=entry.get("vhdUri") or None,
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


def record_entry(published: GalleryVersion, vhd_uri: pulumi.Input[str] | None) -> dict[str, Any]:
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
    }


async def read_published_versions() -> dict[str, PublishedVersion]:
    """The record left by this stack's last successful update (empty for a new stack or one from before the record).

    Called before anything is registered: a stack reference is a read, it creates nothing."""
    own = pulumi.StackReference(f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}")
    details = await own.get_output_details(RECORD_OUTPUT)
    record = details.value if details.value is not None else details.secret_value
    if not isinstance(record, Mapping):
        return {}
    return {
        str(version): PublishedVersion.from_record(str(version), entry)
        for version, entry in record.items()
        if is_image_version(version) and isinstance(entry, Mapping)
    }


def _order(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def kept_versions(settings: Settings, published: Mapping[str, PublishedVersion]) -> list[str]:
    """The versions the gallery holds after this update, newest first; raises SettingsError for a version that
    can't be had: a new image.version while the builder is retired, an image.version older than one published while
    the builder would build it again, or a pool pinned to a version not kept."""
    image = settings.image
    current = image.version
    if settings.builds_image and not image.builder.enabled and current not in published:
        raise record_problem(
            "image.builder.enabled",
            False,
            f"true to build image.version {current}: this stack has not published it "
            f"({_listing(published)}); the builder can be retired once a version is published",
        )
    newer = sorted((v for v in published if _order(v) > _order(current)), key=_order)
    if settings.has_builder and newer:
        raise record_problem(
            "image.version",
            current,
            f"a version newer than {newer[-1]}, which this stack already published: the builder would build "
            f"{current} again. To run pools on {current}, set pools[].imageVersion (or retire the builder with "
            "image.builder.enabled: false, which publishes nothing)",
        )
    older = sorted((v for v in published if v != current), key=_order, reverse=True)
    pinned = {settings.pool_image_version(pool) for pool in settings.pools} - {current}
    kept = [current] + [v for v in older if v in pinned]
    kept += [v for v in older if v not in pinned][: max(0, image.keep_versions - len(kept))]
    for index, pool in enumerate(settings.pools):
        if pool.image_version is not None and pool.image_version not in kept:
            raise record_problem(
                f"pools[{index}].imageVersion",
                pool.image_version,
                f"a version this stack has published and keeps: {current} (image.version) or one of "
                f"{_listing(published)}; a version not published yet is built by setting image.version",
            )
    return sorted(kept, key=_order, reverse=True)


def _listing(published: Mapping[str, PublishedVersion]) -> str:
    if not published:
        return "none yet"
    return "published: " + ", ".join(sorted(published, key=_order, reverse=True))
