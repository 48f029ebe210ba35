"""The gallery `latest` owner's dynamic provider (pickled by reference: `components.canary.latest.LatestProvider`).

While the canary is on, a new version is published excluded from `latest` and this resource is the one owner of the
versions' `publishingProfile.excludeFromLatest`: every version of `versions` but `latest_version` (a version whose
canary passed) is excluded. "Exclude from latest: if set to true, Virtual Machines deployed from the latest version
of the Image Definition won't use this Image Version" (Compute GalleryRP 2024-03-03, `GalleryArtifactPublishingProfile
Base.excludeFromLatest`).

- create / update: GET each version (GalleryImageVersions_Get) and PATCH (GalleryImageVersions_Update, a
  GalleryImageVersionUpdate with only publishingProfile.excludeFromLatest) only where Azure differs; the PATCH is a
  long-running operation, waited for on the provider's clock (a SIGINT ends the wait: what Azure accepted stays, and
  the next `up` reads the flags again). Output `excluded`: the versions Azure has excluded afterwards.
- diff: any input change is an update (a flag is set in place, never by a replacement).
- read (refresh): the flags as Azure has them, in `excluded`: a change made by hand shows as drift, and the next `up`
  sets them back (diff compares the recorded `excluded` with what the inputs want; without a refresh, diff makes no
  cloud call and sees no drift).
- delete: nothing (each version is deleted by its own resource).
A version's per-region `targetRegions[].excludeFromLatest` is left as it is.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from components.common.progress import URN_KEY

log = logging.getLogger("components.canary")

GALLERY_API_VERSION = "2024-03-03"  # GalleryRP: the spec the fake ARM (fakes/arm_server.py) is written against
INPUT_KEYS = ("image_definition_id", "latest_version", "versions")
_IMAGE_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<group>[^/]+)/providers/Microsoft\.Compute/"
    r"galleries/(?P<gallery>[^/]+)/images/(?P<image>[^/]+)$",
    re.IGNORECASE,
)
_VERSION = re.compile(r"^\d{1,10}\.\d{1,10}\.\d{1,10}$")


def input_failures(props: Mapping[str, Any]) -> list[CheckFailure]:
    """One failure per bad input, naming its value and what is allowed; values unknown in a preview pass."""
    from components.common.provider_kit import is_unknown

    failures = []
    image, latest, versions = (props.get(key) for key in INPUT_KEYS)
    if not is_unknown(image) and not (isinstance(image, str) and _IMAGE_ID.match(image)):
        failures.append(
            CheckFailure(
                "image_definition_id",
                f"{image!r} must be a gallery image ARM id /subscriptions/<id>/resourceGroups/<rg>/providers/"
                "Microsoft.Compute/galleries/<gallery>/images/<image>",
            )
        )
    bad = [v for v in versions or [] if not is_unknown(v) and not (isinstance(v, str) and _VERSION.match(v))]
    if not isinstance(versions, list) or not versions or bad:
        failures.append(
            CheckFailure("versions", f"{versions!r} must be a non-empty list of versions Major.Minor.Patch")
        )
    elif not is_unknown(latest) and latest not in versions:
        failures.append(CheckFailure("latest_version", f"{latest!r} must be one of versions {versions!r}"))
    return failures


def _inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    return {key: props.get(key) for key in (*INPUT_KEYS, URN_KEY) if key in props}


@contextmanager
def _versions_client(image_id: str) -> Iterator[tuple[Any, dict[str, str]]]:
    from azure.mgmt.compute import ComputeManagementClient

    from components.canary.batch import interrupted
    from components.canary.errors import CanarySetupError
    from components.common.environment import arm_environment, credential, require_loopback
    from components.common.provider_kit import closing
    from components.common.retry import StopAwareRetryPolicy

    env = arm_environment(os.environ, CanarySetupError)
    if env.fake_credential:
        require_loopback({"BCI_ARM_ENDPOINT": env.arm_endpoint}, CanarySetupError)
    ref = _IMAGE_ID.match(image_id)
    assert ref is not None  # check refused anything else
    with (
        closing(credential(env)) as cred,
        ComputeManagementClient(
            cred,
            ref["subscription"],
            base_url=env.arm_endpoint,
            credential_scopes=[env.arm_scope],
            connection_verify=env.verify,
            retry_policy=StopAwareRetryPolicy(interrupted=interrupted),
            polling_interval=env.poll_seconds,
        ) as client,
    ):
        yield client.gallery_image_versions, {"group": ref["group"], "gallery": ref["gallery"], "image": ref["image"]}


def _read(versions: Any, where: dict[str, str], names: list[str], missing_ok: bool = False) -> dict[str, bool]:
    """Each version's excludeFromLatest as Azure has it (absent: false). `missing_ok`: a version that is gone (404)
    reads as not excluded, since no `latest` can resolve to it (a refresh after a version was deleted by hand)."""
    from azure.core.exceptions import ResourceNotFoundError

    found = {}
    for name in names:
        try:
            version = versions.get(
                where["group"], where["gallery"], where["image"], name, api_version=GALLERY_API_VERSION
            )
        except ResourceNotFoundError:
            if not missing_ok:
                raise
            found[name] = False
            continue
        profile = version.publishing_profile
        found[name] = bool(profile.exclude_from_latest) if profile is not None else False
    return found


def _wait(poller: Any) -> None:
    from components.canary.errors import CanaryInterrupted
    from components.common.stopping import CHECK_SECONDS, SystemClock

    clock = SystemClock(lambda: CanaryInterrupted("the update of excludeFromLatest was interrupted"))
    while not poller.done():
        clock.sleep(CHECK_SECONDS)
    poller.result()


def _sync(props: Mapping[str, Any]) -> list[str]:
    """Set the flags where Azure differs; the versions Azure has excluded afterwards."""
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.compute.models import GalleryImageVersionUpdate

    from components.canary.errors import CanaryError

    names, latest = list(props["versions"]), str(props["latest_version"])
    with _versions_client(str(props["image_definition_id"])) as (versions, where):
        try:
            current = _read(versions, where, names)
            for name in names:
                want = name != latest
                if current[name] == want:
                    continue
                update = GalleryImageVersionUpdate({"properties": {"publishingProfile": {"excludeFromLatest": want}}})
                poller = versions.begin_update(
                    where["group"], where["gallery"], where["image"], name, update, api_version=GALLERY_API_VERSION
                )
                _wait(poller)
                log.warning("gallery image version %s: excludeFromLatest set to %s", name, str(want).lower())
                current[name] = want
        except HttpResponseError as err:
            raise CanaryError(
                f"gallery image {props['image_definition_id']!r}: setting excludeFromLatest failed ({err.status_code} "
                f"{getattr(err.error, 'code', None) or err.reason}); the identity that runs `pulumi up` needs "
                "Microsoft.Compute/galleries/images/versions/read and /write (Contributor on the gallery)"
            ) from None
    return [name for name in names if current[name]]


class LatestProvider(ResourceProvider):
    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, input_failures(news))

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        from components.common.provider_kit import changed_inputs

        changed = changed_inputs(_olds, _news, INPUT_KEYS)
        wanted = [v for v in _news.get("versions") or [] if v != _news.get("latest_version")]
        drifted = _olds.get("excluded") is not None and sorted(_olds["excluded"]) != sorted(wanted)
        return DiffResult(changes=bool(changed) or drifted, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['image_definition_id']}/latest", {**_inputs(props), "excluded": _sync(props)})

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**_inputs(_news), "excluded": _sync(_news)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The flags as Azure has them. A version that is gone reads as not excluded; a gallery that can't be read
        (no role, ARM unreachable) keeps the record as it was, with a warning, so `pulumi refresh` goes on (as the
        pool drain's read). Never nothing: the engine would drop the resource, and its flags are still owned."""
        from azure.core.exceptions import AzureError

        names = list(props.get("versions") or [])
        try:
            with _versions_client(str(props["image_definition_id"])) as (versions, where):
                current = _read(versions, where, names, missing_ok=True)
        except AzureError as err:
            log.warning("gallery-latest: the versions' flags could not be read (%s); kept as recorded", err)
            return ReadResult(id_, props, _inputs(props))
        return ReadResult(id_, {**props, "excluded": [n for n in names if current[n]]}, _inputs(props))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None  # each version is deleted by its own resource
