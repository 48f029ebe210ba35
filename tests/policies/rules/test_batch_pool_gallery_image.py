"""batch-pool-gallery-image (stack): pools boot from a Compute Gallery image (own, shared or community), named by one
id alone."""

from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.policies.helpers import (
    assert_guidance,
    assert_message_shape,
    changed,
    depending,
    new,
    run,
    single,
    stack_with,
)

NAME = "batch-pool-gallery-image"
IMAGE = "deploymentConfiguration.virtualMachineConfiguration.imageReference"


def _version_id(baseline) -> str:
    return str(baseline["gallery-version-1.0.0"].outputs["id"])


def _pool(baseline, path, value):
    return stack_with(baseline, changed(baseline["pools-render"], path, value))


def test_gallery_version_id_passes(baseline):
    assert baseline["pools-render"].inputs["deploymentConfiguration"]["virtualMachineConfiguration"][
        "imageReference"
    ] == {"id": _version_id(baseline)}
    assert run(baseline).for_policy(NAME) == []


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        (
            {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"},
            "imageReference with offer, publisher, sku, version",
        ),
        ("VERSION_AND_LATEST", "imageReference with id, version"),
        ({"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/app-node"}, "not a Compute"),
        ({"id": "https://imgdev.blob.core.windows.net/vhds/app-node.vhd"}, "not a Compute Gallery image id"),
    ],
)
def test_pool_image_must_be_a_gallery_id_only(baseline, image, fragment):
    if image == "VERSION_AND_LATEST":
        image = {"id": _version_id(baseline), "version": "latest"}
    result = single(run(_pool(baseline, IMAGE, image)), NAME)
    assert result.level == "mandatory"
    assert_message_shape(result, fragment, "only id", "/galleries/<gallery>/images/<image>/versions/<version>")
    assert_guidance(NAME, "31 Mar 2026", "no publisher/offer/sku/version")


def test_gallery_definition_id_is_accepted_unless_configured_otherwise(baseline):
    stack = _pool(baseline, f"{IMAGE}.id", _version_id(baseline).rsplit("/versions/", 1)[0])
    assert run(stack).for_policy(NAME) == []
    result = single(run(stack, {NAME: {"allowImageDefinition": False}}), NAME)
    assert "(or definition)" not in result.message


def test_image_id_unknown_during_preview_passes_on_shape(baseline):
    assert run(_pool(baseline, f"{IMAGE}.id", UNKNOWN)).results == []


SHARED = "/SharedGalleries/0a1b2c3d-4e5f-6789-abcd-ef0123456789-SHAREDGALLERY/Images/app-node/Versions/1.0.0"
COMMUNITY = "/CommunityGalleries/contoso-4e5f6789-abcd-ef01-2345-6789abcdef01/Images/app-node/Versions/latest"


@pytest.mark.parametrize(
    ("field", "image_id"),
    [
        ("sharedGalleryImageId", SHARED),
        ("sharedGalleryImageId", SHARED.rsplit("/Versions/", 1)[0]),
        ("communityGalleryImageId", COMMUNITY),
        ("communityGalleryImageId", COMMUNITY.lower()),
    ],
)
def test_shared_and_community_gallery_images_pass(baseline, field, image_id):
    # Batch's imageReference (Microsoft.Batch 2024-07-01) has sharedGalleryImageId and communityGalleryImageId.
    assert run(_pool(baseline, IMAGE, {field: image_id})).for_policy(NAME) == []


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        ({"sharedGalleryImageId": COMMUNITY}, "imageReference.sharedGalleryImageId is not a shared gallery image id"),
        (
            {"communityGalleryImageId": SHARED},
            "communityGalleryImageId is not a community gallery image id",
        ),
        ({"id": SHARED}, "imageReference.id is not a Compute Gallery image id"),
        ({"sharedGalleryImageId": SHARED, "version": "latest"}, "imageReference with sharedGalleryImageId, version"),
    ],
)
def test_shared_and_community_ids_sit_alone_in_their_own_property(baseline, image, fragment):
    result = single(run(_pool(baseline, IMAGE, image)), NAME)
    assert_message_shape(result, fragment, "sharedGalleryImageId (/SharedGalleries/<uniqueId>/Images/<image>/")


def test_shared_gallery_definition_needs_allow_image_definition(baseline):
    stack = _pool(baseline, IMAGE, {"sharedGalleryImageId": SHARED.rsplit("/Versions/", 1)[0]})
    assert single(run(stack, {NAME: {"allowImageDefinition": False}}), NAME)


@pytest.mark.parametrize("token", ["azure-native:compute:Image", "azure-native:compute/v20240301:Image"])
def test_pool_on_a_managed_image_is_violation_while_its_id_is_unknown(baseline, token):
    # In preview the new image's id is unknown: the pool's dependency on the azure-native:compute:Image tells.
    rg = baseline["rg"]
    image = new(token, "app-node-image", {"resourceGroupName": "rg", "sourceVirtualMachine": {"id": "x"}}, {"x": rg})
    pool = changed(baseline["pools-render"], f"{IMAGE}.id", UNKNOWN)
    pool = depending(pool, "deploymentConfiguration", image)
    result = single(run(stack_with(baseline, image, pool)), NAME)
    assert result.level == "mandatory" and result.urn == pool.urn
    assert_message_shape(result, "managed image (retired for Batch pools)", 'Image "app-node-image"', "only id")
