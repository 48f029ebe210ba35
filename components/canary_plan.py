"""Whether the canary (components/canary/) runs for this update, and why: decided once, before anything is registered.

Beside the canary package, not in it: the publication (components/publication.py) decides the gallery flags from it,
and the canary's program side (components/canary/gate.py) builds on the publication.

- off: image.canary.enabled is false, or a pool stack (image.source stack: its image stack runs the canary). Today's
  gallery flags, no ImageCanary, no GalleryLatest, no data-plane role.
- runs: image.version is new (not in the record of published versions, components/image_versions.py). Its gallery
  version is created excluded from latest; the ImageCanary boots it; pools, galleryImageVersionId, the record and
  `latest` move only once it passed.
- passed: image.version is the newest version of the record, with `canary: passed`. Its ImageCanary stays declared
  with the same inputs (no diff, its outputs known from the state): nothing re-runs and nothing moves.
- skipped: image.version is in the record without it (published before the canary, or with it off), or is a rollback
  to an older version (the builder retired: the canary in the state ran for a newer one): no ImageCanary, the pools
  are wired to the version directly.

While the canary is on (all but off), GalleryLatest owns every version's excludeFromLatest (components/gallery.py
ignores the flag on the version resources).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from components.common.image_version import version_order
from components.image_versions import PublishedVersion
from components.settings import Settings

CanaryState = Literal["off", "runs", "passed", "skipped"]


@dataclass(frozen=True)
class CanaryPlan:
    state: CanaryState
    reason: str  # one sentence for `make plan`

    @property
    def declared(self) -> bool:
        """An ImageCanary is registered (and the record's image.version entry says `canary: passed`)."""
        return self.state in ("runs", "passed")

    @property
    def owns_latest(self) -> bool:
        """GalleryLatest owns the versions' excludeFromLatest, and the deployer gets the data-plane role."""
        return self.state != "off"


# A pool stack (image.source stack) runs no canary: its image stack did, for the versions it published.
POOL_STACK = CanaryPlan("off", "a pool stack: the image stack ran the canary for the versions it published")


def canary_plan(settings: Settings, published: Mapping[str, PublishedVersion]) -> CanaryPlan:
    """The canary's state for this update (see the module docstring)."""
    image = settings.image
    if settings.consumes_image_stack:
        return POOL_STACK
    if not image.canary.enabled:
        return CanaryPlan("off", "image.canary.enabled is false: a new version goes straight to the pools and latest")
    # The newest live version of the record: the one `latest` resolved to before this update (with a builder,
    # versions only grow); image.version below it is a rollback.
    live = sorted((v for v, p in published.items() if not p.dropped), key=version_order)
    previous = live[-1] if live else ""
    recorded = published.get(image.version)
    if recorded is None:
        return CanaryPlan("runs", f"image.version {image.version} is new (not in the record)")
    if recorded.canary_passed and image.version == previous:
        return CanaryPlan("passed", f"image.version {image.version} passed its canary in an earlier update")
    if image.version != previous:  # a rollback (the builder retired): the canary in the state is a newer version's
        return CanaryPlan(
            "skipped",
            f"image.version {image.version} goes back to a version published earlier: nothing re-runs",
        )
    return CanaryPlan(
        "skipped",
        f"image.version {image.version} was published before the canary (or with it off): nothing re-runs",
    )
