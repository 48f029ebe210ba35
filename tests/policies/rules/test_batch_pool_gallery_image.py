"""batch-pool-gallery-image: pools boot from a Compute Gallery image, named by id alone."""

from __future__ import annotations

import pytest

from tests.policies.helpers import UNKNOWN, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "batch-pool-gallery-image"
IMAGE = "deploymentConfiguration.virtualMachineConfiguration.imageReference"


def _version_id(baseline) -> str:
    return str(baseline["gallery-version"].outputs["id"])


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
