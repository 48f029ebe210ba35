"""The fleet manifest is checked as a whole before any stack is planned: an unknown stack, a cycle, a pool stack in
a region its image stack doesn't replicate to, or a stack file that disagrees with the manifest are refused (exit 2)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.common.project import PROJECT_ROOT
from tools.fleet import cli
from tools.fleet.manifest import ManifestError, load_manifest, parse_manifest
from tools.plan.offline import load_stack_config

SHIPPED = PROJECT_ROOT / "fleet" / "fleet.yaml"


def _document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SHIPPED.read_text())
    return document


def _parse(document: dict[str, Any]) -> Any:
    return parse_manifest(
        document, "fleet.yaml", lambda file: load_stack_config("", PROJECT_ROOT, stack_file=PROJECT_ROOT / file)
    )


def test_the_shipped_fleet_has_two_image_stacks_and_six_pool_stacks_in_three_regions() -> None:
    fleet = load_manifest(SHIPPED)
    assert len(fleet.image_stacks) == 2 and len(fleet.pool_stacks) == 6
    assert len({s.region for s in fleet.pool_stacks}) == 3
    waves = fleet.waves()
    assert [s.kind for s in waves[0]] == ["image", "image"] and {s.kind for s in waves[1]} == {"pools"}


def _refused(document: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    manifest = tmp_path / "fleet.yaml"
    manifest.write_text(yaml.safe_dump(document))
    assert cli.main(["plan", "--manifest", str(manifest)]) == 2
    err: str = capsys.readouterr().err
    return err


def test_a_pool_stack_naming_an_unknown_image_stack_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _document()
    document["poolStacks"][2]["image"] = "linux-imgae"
    err = _refused(document, tmp_path, capsys)
    assert "stack render-eus2: image names 'linux-imgae', a stack the manifest does not hold" in err


def test_a_cycle_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = _document()
    document["imageStacks"][0]["dependsOn"] = ["windows-image"]
    document["imageStacks"][1]["dependsOn"] = ["linux-image"]
    err = _refused(document, tmp_path, capsys)
    assert "a cycle: linux-image -> windows-image -> linux-image" in err


def test_a_pool_stack_in_a_region_its_image_does_not_replicate_to_is_refused() -> None:
    document = _document()
    image = next(s for s in document["imageStacks"] if s["stack"] == "linux-image")
    config = load_stack_config("", PROJECT_ROOT, stack_file=PROJECT_ROOT / image["config"])
    config["batch-custom-image:image"]["replicas"] = [{"region": "westeurope", "count": 1}]

    def read(file: str) -> dict[str, Any]:
        if file == image["config"]:
            return copy.deepcopy(config)
        return load_stack_config("", PROJECT_ROOT, stack_file=PROJECT_ROOT / file)

    with pytest.raises(ManifestError) as refused:
        parse_manifest(document, "fleet.yaml", read)
    assert (
        "stack render-neu: region northeurope, which its image stack linux-image does not replicate to (westeurope): "
        "add {region: northeurope, count: 1} to batch-custom-image:image.replicas in "
        "fleet/stacks/Pulumi.linux-image.yaml"
    ) in refused.value.message


def test_a_stack_file_that_disagrees_with_the_manifest_is_refused() -> None:
    document = _document()
    document["poolStacks"][0]["region"] = "northeurope"  # its file says westeurope
    with pytest.raises(ManifestError, match=r"stack render-weu: region = 'northeurope' but its config .* 'westeurope'"):
        _parse(document)
    document = _document()
    document["poolStacks"][0]["image"] = "windows-image"  # its file takes linux-image
    with pytest.raises(ManifestError, match=r"image\.fromStack contoso/batch-custom-image/windows-image"):
        _parse(document)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("poolStacks", 0, "subscription"),
            "not-a-guid",
            "subscription = 'not-a-guid': allowed: an Azure subscription",
        ),
        (("poolStacks", 0, "region"), "westeu", "region = 'westeu': allowed: an Azure region"),
        (("poolStacks", 1, "stack"), "render-weu", "stack = 'render-weu': a stack is named once"),
        (("poolStacks", 0, "image"), "render-neu", "image names 'render-neu', a pool stack"),
        (("poolStacks", 0, "imgae"), "x", "poolStacks[0].imgae is not a manifest key"),
        (("maxParallel",), 0, "maxParallel = 0: allowed: a whole number from 1 to 256"),
    ],
)
def test_bad_manifest_values_are_refused_naming_the_key(path: tuple[Any, ...], value: Any, message: str) -> None:
    document = _document()
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(ManifestError) as refused:
        _parse(document)
    assert message in refused.value.message
