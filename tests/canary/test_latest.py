"""The gallery `latest` owner (LatestProvider) through the provider server against the fake ARM's gallery image
versions: flags set only where Azure differs, the state equal to Azure's afterwards, drift shown by refresh and fixed
by the next update."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2

from components.canary.latest import LatestProvider
from fakes.arm_world import RESOURCE_GROUP, SUBSCRIPTION, ArmWorld
from fakes.provider_process import ProviderProcess, provider_processes
from fakes.stack import Fakes, fakes_fixture

IMAGE_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Compute/galleries/gal/images/"
    "app-node"
)


fakes = fakes_fixture("module", "latest-fakes")


@pytest.fixture
def world(fakes: Fakes) -> ArmWorld:
    return fakes.arm.reset()


@pytest.fixture
def provider(fakes: Fakes) -> Iterator[ProviderProcess]:
    with provider_processes() as start:
        yield start(fakes.provider_env())


def props(latest: str, versions: list[str]) -> dict[str, Any]:
    return {
        "image_definition_id": IMAGE_ID,
        "latest_version": latest,
        "versions": versions,
        "excluded": None,
        "__provider": serialize_provider(LatestProvider()),
    }


def patches(world: ArmWorld) -> list[str]:
    return [entry.path.rsplit("/", 1)[1] for entry in world.log if entry.method == "PATCH"]


def test_create_lifts_the_flag_of_the_passed_version_and_sets_it_only_where_azure_differs(world, provider):
    for name, excluded in (("1.2.0", True), ("1.3.0", False), ("1.4.0", True)):
        world.add_gallery_version(IMAGE_ID, name, exclude_from_latest=excluded)

    _, out = provider.create(provider.check(props("1.4.0", ["1.2.0", "1.3.0", "1.4.0"]))[0])

    assert sorted(patches(world)) == ["1.3.0", "1.4.0"]  # 1.2.0 was already excluded
    assert [world.excluded(f"{IMAGE_ID}/versions/{v}") for v in ("1.2.0", "1.3.0", "1.4.0")] == [True, True, False]
    assert out["excluded"] == ["1.2.0", "1.3.0"]


def test_a_second_update_with_azure_already_right_patches_nothing(world, provider):
    for name in ("1.3.0", "1.4.0"):
        world.add_gallery_version(IMAGE_ID, name, exclude_from_latest=name != "1.4.0")
    id_, out = provider.create(props("1.4.0", ["1.3.0", "1.4.0"]))
    news = props("1.4.0", ["1.3.0", "1.4.0"])

    assert provider.diff(id_, out, news).changes == provider_pb2.DiffResponse.DIFF_NONE
    provider.update(id_, out, news)
    assert patches(world) == []


def test_refresh_shows_a_flag_changed_by_hand_and_the_next_up_sets_it_back(world, provider):
    for name in ("1.3.0", "1.4.0"):
        world.add_gallery_version(IMAGE_ID, name)
    id_, out = provider.create(props("1.4.0", ["1.3.0", "1.4.0"]))
    world.gallery_version(f"{IMAGE_ID}/versions/1.4.0")[1] = True  # someone excluded the latest version by hand

    _, refreshed, _ = provider.read(id_, out)
    diff = provider.diff(id_, refreshed, props("1.4.0", ["1.3.0", "1.4.0"]))
    fixed = provider.update(id_, refreshed, props("1.4.0", ["1.3.0", "1.4.0"]))

    assert refreshed["excluded"] == ["1.3.0", "1.4.0"]
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    assert fixed["excluded"] == ["1.3.0"] and not world.excluded(f"{IMAGE_ID}/versions/1.4.0")


def test_refresh_after_a_version_was_deleted_by_hand_reads_it_as_not_excluded(world, provider):
    for name in ("1.3.0", "1.4.0"):
        world.add_gallery_version(IMAGE_ID, name)
    id_, out = provider.create(props("1.4.0", ["1.3.0", "1.4.0"]))
    del world.gallery_versions[f"{IMAGE_ID}/versions/1.3.0".lower()]  # deleted in the portal

    _, refreshed, _ = provider.read(id_, out)

    assert refreshed["excluded"] == []  # no `latest` can resolve to a version that is gone


def test_refresh_with_the_gallery_unreadable_keeps_the_record_as_it_was(world, provider):
    for name in ("1.3.0", "1.4.0"):
        world.add_gallery_version(IMAGE_ID, name)
    id_, out = provider.create(props("1.4.0", ["1.3.0", "1.4.0"]))
    # the refreshing identity has no read on the gallery: ARM's 403 AuthorizationFailed
    world.fault("get_gallery_version", status=403, times=1000, code="AuthorizationFailed", message="no read")

    _, refreshed, _ = provider.read(id_, out)

    assert refreshed["excluded"] == ["1.3.0"]  # the record as it was, not dropped from the state
    assert "could not be read" in provider.stderr()


def test_check_refuses_a_latest_version_the_stack_does_not_declare(provider):
    _, failures = provider.check(props("2.0.0", ["1.3.0", "1.4.0"]))
    assert failures == [("latest_version", "'2.0.0' must be one of versions ['1.3.0', '1.4.0']")]
