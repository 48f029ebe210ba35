"""A pool stack: its pools boot from the image versions another stack (the image stack) has published.

`image.source: stack` with `image.fromStack: <organization>/<project>/<stack>`: this stack creates no builder, no
capture and no gallery. It reads the image stack's outputs through a StackReference (a read: it creates nothing), before
any resource is registered, and validates them with the record's own parser (components/image_versions.py
`parse_record`): the same rules the image stack applies to its own record.

The image stack's outputs a consumer relies on (the contract, tests/program/test_image_stack.py::
test_an_image_stack_exports_the_contract checks the program keeps it):

| output                   | what it is                                                                            |
|--------------------------|---------------------------------------------------------------------------------------|
| `galleryImageVersionId`  | ARM id of its current version (image.version): `.../images/<image>/versions/<v>`      |
| `publishedImageVersions` | its record: version -> {source, targetRegions [{region, count}], ..., dropped}        |
| `location`               | the image stack's region                                                              |

The pools use the image stack's current version, or the one image.version names on the pool stack, or a pool's own
pools[].imageVersion: each must be in the record and not dropped, and replicated to this stack's region (a pool on a
version without a replica in its region fails to allocate nodes). Refused otherwise, before anything is registered,
naming the key to set: on the image stack, its image.replicas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.image_versions import RECORD_OUTPUT, PublishedVersion, RecordError, parse_record
from components.settings import Settings, record_problem

VERSION_ID_OUTPUT = "galleryImageVersionId"
LOCATION_OUTPUT = "location"
# The image stack's outputs a pool stack reads (the contract above).
CONTRACT_OUTPUTS = (VERSION_ID_OUTPUT, RECORD_OUTPUT, LOCATION_OUTPUT)


class ImageStackError(pulumi.RunError):
    """The image stack can't be consumed: it published nothing, or its outputs don't read back (names the stack)."""


@dataclass(frozen=True)
class ConsumedImage:
    """What the pools use from the image stack."""

    stack: str  # <organization>/<project>/<stack>
    current: str  # the version a pool without pools[].imageVersion uses
    gallery_id: str  # the image stack's gallery (Batch gets Compute Gallery Image Reader on it)
    version_ids: dict[str, str]  # the current version and every version a pool uses -> its gallery image version id
    pool_versions: dict[str, str]  # pool name -> the version it uses
    versions: dict[str, PublishedVersion]  # the versions of version_ids, as the image stack's record holds them


async def read_image_stack(settings: Settings) -> ConsumedImage:
    """The image stack's published versions, read through a StackReference named after it."""
    stack = settings.image.from_stack or ""
    reference = pulumi.StackReference(stack)
    values: dict[str, Any] = {}
    for key in (VERSION_ID_OUTPUT, RECORD_OUTPUT):
        details = await reference.get_output_details(key)
        values[key] = details.value if details.value is not None else details.secret_value
    return consumed_image(settings, values.get(VERSION_ID_OUTPUT), values.get(RECORD_OUTPUT))


def consumed_image(settings: Settings, version_id: Any, record: Any) -> ConsumedImage:
    """Validate the image stack's outputs against this stack's settings (ImageStackError, SettingsError)."""
    stack = settings.image.from_stack or ""
    prefix, current, live = _published(stack, version_id, record)
    pool_versions = _pool_versions(settings, stack, current, live)
    for version in sorted(set(pool_versions.values())):
        _check_replica(settings, stack, live[version])
    used = sorted({current, *pool_versions.values()})
    return ConsumedImage(
        stack=stack,
        current=current,
        gallery_id=prefix.split("/images/", 1)[0],
        version_ids={v: f"{prefix}/versions/{v}" for v in used},
        pool_versions=pool_versions,
        versions={v: live[v] for v in used},
    )


def _published(stack: str, version_id: Any, record: Any) -> tuple[str, str, dict[str, PublishedVersion]]:
    """The image stack's version id prefix (.../images/<image>), its current version and its live published versions:
    ImageStackError when it published nothing or its outputs don't read back."""
    if record is None or version_id is None:
        missing = " and ".join(k for k, v in ((VERSION_ID_OUTPUT, version_id), (RECORD_OUTPUT, record)) if v is None)
        raise ImageStackError(
            f"image.fromStack {stack}: the image stack has published nothing (no {missing} output). Run `pulumi up` "
            f"on {stack} first (a stack that does not exist, or that you may not read, has no outputs either)"
        )
    if not isinstance(version_id, str) or "/images/" not in version_id or "/versions/" not in version_id:
        raise ImageStackError(
            f"image.fromStack {stack}: its output {VERSION_ID_OUTPUT} is {version_id!r}, not a gallery image "
            "version id (.../galleries/<gallery>/images/<image>/versions/<version>)"
        )
    try:
        published = parse_record(record)
    except RecordError as error:
        raise ImageStackError(f"image.fromStack {stack}: {error}") from error
    prefix, current = version_id.rsplit("/versions/", 1)
    live = {v: p for v, p in published.items() if not p.dropped}
    if current not in live:
        raise ImageStackError(
            f"image.fromStack {stack}: its {VERSION_ID_OUTPUT} names version {current}, which its "
            f"{RECORD_OUTPUT} does not hold as published: the image stack's outputs disagree; run `pulumi up` on it"
        )
    return prefix, current, live


def _pool_versions(
    settings: Settings, stack: str, current: str, live: Mapping[str, PublishedVersion]
) -> dict[str, str]:
    """The version each pool boots: pools[].imageVersion, else image.version, else the image stack's current one;
    SettingsError naming the key for one the image stack has not published (or dropped)."""
    default = settings.image.version or current
    wanted = {"image.version": default} if settings.image.version else {}
    pool_versions = {}
    for index, pool in enumerate(settings.pools):
        pool_versions[pool.name] = pool.image_version or default
        if pool.image_version:
            wanted[f"pools[{index}].imageVersion"] = pool.image_version
    for key, version in wanted.items():
        if version not in live:
            raise record_problem(key, version, f"a version the image stack {stack} has published: {_listing(live)}")
    return pool_versions


def _check_replica(settings: Settings, stack: str, version: PublishedVersion) -> None:
    regions = [region for region, _ in version.target_regions]
    if settings.location in regions:
        return
    raise record_problem(
        "image.fromStack",
        stack,
        f"an image stack with a replica in this stack's region {settings.location}: its version {version.version} "
        f"replicates to {', '.join(regions)} only. Add {{region: {settings.location}, count: 1}} to "
        f"batch-custom-image:image.replicas on stack {stack} and run `pulumi up` there first",
    )


def _listing(live: Mapping[str, PublishedVersion]) -> str:
    if not live:
        return "none"
    return ", ".join(sorted(live, key=lambda v: tuple(int(p) for p in v.split(".")), reverse=True))
