"""Pool stacks (image.source stack) under mocks: they read an image stack's outputs through a StackReference, create
no builder, capture or gallery, and refuse an image stack that published nothing or has no replica in their region.
The image stack is the dev stack's program run: the outputs a pool stack reads are what that run exported."""

from __future__ import annotations

import copy
import re
from typing import Any

import pulumi
import pytest

from components.common.project import PROJECT_ROOT
from components.image_stack import CONTRACT_OUTPUTS, ImageStackError
from components.image_versions import parse_record
from components.settings import SettingsError
from tests.program.test_image_lifecycle import BUILDER_TYPES
from tools.plan.offline import ProgramRun, load_stack_config, run_program

IMAGE_STACK = "contoso/batch-custom-image/linux-image"
POOL = "azure-native:batch:Pool"
PUBLISHING_TYPES = BUILDER_TYPES | {
    "azure-native:compute:Gallery",
    "azure-native:compute:GalleryImage",
    "azure-native:compute:GalleryImageVersion",
    "batch-custom-image:gallery:ImageGallery",
}
# The outputs examples/consumer reads from a stack: each required(ref, stack, "<name>") in its producer_outputs.py.
CONSUMER_OUTPUTS = tuple(
    re.findall(r'required\(ref, stack, "(\w+)"\)', (PROJECT_ROOT / "examples/consumer/producer_outputs.py").read_text())
)


def _pool_stack(location: str = "westeurope", **image: Any) -> dict[str, Any]:
    pool = {"vmSize": "Standard_D4ds_v5", "nodeAgentSkuId": "batch.node.ubuntu 24.04", "targetDedicatedNodes": 1}
    return {
        "azure-native:location": location,
        "batch-custom-image:image": {"source": "stack", "fromStack": IMAGE_STACK, **image},
        "batch-custom-image:batch": {"poolAllocationMode": "UserSubscription"},
        "batch-custom-image:pools": [{"name": "render", **pool}, {"name": "burst", **pool}],
    }


@pytest.fixture(scope="module")
def image_outputs() -> dict[str, Any]:
    """The image stack after publishing 1.0.0 then 1.1.0 (replicas westeurope and northeurope)."""
    replicas = {"image": {"replicas": [{"region": "westeurope", "count": 1}, {"region": "northeurope", "count": 1}]}}
    outputs: dict[str, Any] = {}
    for version in ("1.0.0", "1.1.0"):
        overrides: dict[str, Any] = copy.deepcopy(replicas)
        overrides["image"]["version"] = version
        dev = load_stack_config("dev")  # the dev stack's image, as stack linux-image
        outputs = run_program(overrides, config=dev, stack="linux-image", stack_outputs=outputs).outputs
    return outputs


def _run(config: dict[str, Any], image_outputs: dict[str, Any], stack: str = "pools-weu") -> ProgramRun:
    return run_program(config=config, stack=stack, other_stacks={IMAGE_STACK: image_outputs})


def _pool_image(run: ProgramRun, name: str) -> str:
    pool = next(p for p in run.of_type(POOL) if p.name == f"pools-{name}")
    image_id: str = pool.inputs["deploymentConfiguration"]["virtualMachineConfiguration"]["imageReference"]["id"]
    return image_id


def test_an_image_stack_exports_the_contract(image_outputs: dict[str, Any]) -> None:
    """What pool stacks and examples/consumer read from a stack is there, in the shape they parse."""
    assert set(CONSUMER_OUTPUTS) == {
        "resourceGroupName",
        "location",
        "batchAccountName",
        "batchAccountEndpoint",
        "pools",
    }
    assert set(CONTRACT_OUTPUTS) | set(CONSUMER_OUTPUTS) <= set(image_outputs)
    record = parse_record(image_outputs["publishedImageVersions"])  # the parser the pool stack uses
    assert sorted(record) == ["1.0.0", "1.1.0"]
    assert image_outputs["galleryImageVersionId"].endswith("/versions/1.1.0")
    assert ("northeurope", 1) in record["1.1.0"].target_regions


def test_a_pool_stack_creates_nothing_that_publishes_and_uses_the_image_stacks_version(
    image_outputs: dict[str, Any],
) -> None:
    run = _run(_pool_stack(), image_outputs)
    types = {r.typ for r in run.resources}
    assert not types & PUBLISHING_TYPES, types & PUBLISHING_TYPES
    assert len(run.of_type(POOL)) == 2
    current = image_outputs["galleryImageVersionId"]
    assert _pool_image(run, "render") == _pool_image(run, "burst") == current
    assert run.outputs["galleryImageVersionId"] == current
    assert run.outputs["imageStack"] == IMAGE_STACK
    assert "publishedImageVersions" not in run.outputs  # the record stays the image stack's
    assert {p["imageVersion"] for p in run.outputs["pools"].values()} == {"1.1.0"}
    assert set(CONSUMER_OUTPUTS) <= set(run.outputs)
    # Batch may read the image stack's gallery (the role assignment's scope)
    gallery = current.split("/images/")[0]
    assert any(r.inputs.get("scope") == gallery for r in run.of_type("azure-native:authorization:RoleAssignment"))


def test_a_pin_uses_a_version_from_the_image_stacks_record(image_outputs: dict[str, Any]) -> None:
    config = _pool_stack()
    config["batch-custom-image:pools"][1]["imageVersion"] = "1.0.0"
    run = _run(config, image_outputs, stack="pools-neu")
    assert _pool_image(run, "burst") == image_outputs["galleryImageVersionId"].replace("/1.1.0", "/1.0.0")
    assert _pool_image(run, "render").endswith("/versions/1.1.0")
    assert run.outputs["pools"]["burst"]["imageVersion"] == "1.0.0"


def test_a_pin_the_image_stack_has_not_published_is_refused(image_outputs: dict[str, Any]) -> None:
    config = _pool_stack()
    config["batch-custom-image:pools"][0]["imageVersion"] = "0.9.0"
    with pytest.raises(SettingsError, match=r"pools\[0\]\.imageVersion = '0\.9\.0'.*published: 1\.1\.0, 1\.0\.0"):
        _run(config, image_outputs)


def test_a_region_the_image_stack_does_not_replicate_to_is_refused(image_outputs: dict[str, Any]) -> None:
    records: list[Any] = []
    with pytest.raises(SettingsError, match=r"image\.replicas on stack contoso/batch-custom-image/linux-image") as err:
        run_program(
            config=_pool_stack("eastus"), stack="pools-eus", other_stacks={IMAGE_STACK: image_outputs}, records=records
        )
    assert "eastus" in str(err.value) and "westeurope, northeurope" in str(err.value)
    assert records == []  # refused before anything is registered


def test_an_image_stack_that_published_nothing_is_refused() -> None:
    with pytest.raises(ImageStackError, match=r"linux-image: the image stack has published nothing"):
        run_program(config=_pool_stack(), stack="pools-weu")  # no outputs for the image stack


def test_an_image_stack_record_that_does_not_read_back_is_refused(image_outputs: dict[str, Any]) -> None:
    broken = {**image_outputs, "publishedImageVersions": {"1.1.0": {"source": {}}}}
    with pytest.raises(ImageStackError, match=r"linux-image: stack output publishedImageVersions, version '1\.1\.0'"):
        _run(_pool_stack(), broken)
    assert issubclass(ImageStackError, pulumi.RunError)  # printed as a message, not a traceback


def test_a_pool_stack_refuses_what_only_an_image_stack_uses() -> None:
    refused: list[tuple[str, Any]] = [
        ("replicas", [{"region": "eastus"}]),
        ("vhdUri", "https://a.blob.core.windows.net/c/x.vhd"),
    ]
    for key, value in refused:
        with pytest.raises(SettingsError, match=rf"image\.{key} = .*unset when image\.source is stack"):
            run_program(config=_pool_stack(**{key: value}), stack="pools-weu")
    config = _pool_stack()
    del config["batch-custom-image:image"]["fromStack"]
    with pytest.raises(SettingsError, match=r"image\.fromStack = missing: required when image\.source is stack"):
        run_program(config=config, stack="pools-weu")
