"""Day-2 image lifecycle under mocks: the stack's record of published versions, retention and rollback, retiring the
builder, and the base image pinned. Each "next `up`" is a run whose self-reference reads the outputs of the last."""

from __future__ import annotations

import copy
import functools
from typing import Any

import pulumi
import pytest

from components.canary.resource import CANARY_TYPE, LATEST_TYPE
from components.settings import SettingsError
from tests.program.test_program import _deletion_waves
from tools.plan import offline
from tools.plan.offline import MARKETPLACE_VERSION, ProgramRun, RegisteredResource, run_program

VERSION = "azure-native:compute:GalleryImageVersion"
DEFINITION = "azure-native:compute:GalleryImage"
POOL = "azure-native:batch:Pool"
CAPTURE = "pulumi-python:dynamic/capture:GeneralizedImage"
RETENTION = "pulumi-python:dynamic/capture:VhdRetention"
LATEST = LATEST_TYPE
BUILDER_TYPES = {
    "azure-native:compute:VirtualMachine",
    "azure-native:network:NetworkInterface",
    "azure-native:network:VirtualNetwork",
    "azure-native:network:Subnet",
    "azure-native:network:NatGateway",
    "azure-native:network:PublicIPAddress",
    "pulumi-python:dynamic/capture:GeneralizedImage",
    "pulumi-python:dynamic/capture:CaptureCleanup",
    "pulumi-python:dynamic/capture:VhdRetention",
    "tls:index/privateKey:PrivateKey",
    "azure-native:managedidentity:UserAssignedIdentity",  # the build proof's identity goes with the builder
}
RETIRED = {"image": {"builder": {"enabled": False}}}


def _image(version: str, **more: Any) -> dict[str, Any]:
    return {"image": {"version": version, **more}}


def _versions(run: ProgramRun) -> dict[str, RegisteredResource]:
    return {r.inputs["galleryImageVersionName"]: r for r in run.of_type(VERSION)}


def _published(*versions: str) -> dict[str, Any]:
    """The stack outputs after publishing `versions` one `up` after another with the dev stack's builder (a copy:
    tests change it)."""
    return copy.deepcopy(_published_once(versions))


@functools.cache
def _published_once(versions: tuple[str, ...]) -> dict[str, Any]:
    """The program runs behind `_published`, once per module and sequence of versions (each run costs ~1 s)."""
    outputs: dict[str, Any] = {}
    for version in versions:
        outputs = run_program(_image(version), stack_outputs=outputs).outputs
    return outputs


@pytest.fixture(scope="module")
def first_up() -> ProgramRun:
    return run_program()


def test_the_first_up_records_what_it_published(first_up: ProgramRun) -> None:
    record = first_up.outputs["publishedImageVersions"]
    version = first_up.one(VERSION)
    assert set(record) == {"1.0.0"}
    assert record["1.0.0"]["source"] == version.inputs["storageProfile"]["source"]
    assert record["1.0.0"]["contentFingerprint"] == version.inputs["tags"]["bci-content-fingerprint"]
    assert record["1.0.0"]["vhdUri"] == first_up.outputs["imageVhdUri"]  # dev exports a VHD
    # the canary is on by default: the new version starts excluded from latest; GalleryLatest lifts it once it passed
    assert version.inputs["publishingProfile"]["excludeFromLatest"] is True
    assert record["1.0.0"]["canary"] == "passed"


def test_retiring_the_builder_keeps_the_version_exactly_as_published(first_up: ProgramRun) -> None:
    retired = run_program(RETIRED, stack_outputs=first_up.outputs)
    assert not BUILDER_TYPES & {r.typ for r in retired.resources}
    (before,), (after,) = first_up.of_type(VERSION), retired.of_type(VERSION)
    assert after.urn == before.urn and after.inputs == before.inputs  # no diff: no replacement, no Azure call
    for pool in retired.of_type(POOL):
        image = pool.inputs["deploymentConfiguration"]["virtualMachineConfiguration"]["imageReference"]
        assert image == {"id": before.outputs["id"]}
    for key in ("galleryImageVersionId", "imageVhdUri", "pools"):
        assert retired.outputs[key] == first_up.outputs[key], key
    # the record says the same, and that the builder is retired (enabling it again must not rebuild 1.0.0)
    assert retired.outputs["publishedImageVersions"] == {
        "1.0.0": {**first_up.outputs["publishedImageVersions"]["1.0.0"], "builderRetired": True}
    }
    # the deployer's blob role served only the capture: it goes with the builder
    assert not [r for r in retired.of_type("azure-native:authorization:RoleAssignment") if "ba92f5b4" in str(r.inputs)]


def test_a_new_version_with_the_builder_retired_is_refused_before_anything_is_registered(
    first_up: ProgramRun,
) -> None:
    registered: list[RegisteredResource] = []
    with pytest.raises(SettingsError) as failure:
        run_program(
            {**RETIRED, **_image("1.1.0", builder={"enabled": False})},
            stack_outputs=first_up.outputs,
            records=registered,
        )
    message = str(failure.value)
    assert "batch-custom-image:image.builder.enabled = False" in message
    assert "image.version 1.1.0" in message and "published: 1.0.0" in message
    assert registered == []  # the stack reference is a read: nothing is created


def test_a_retired_builder_on_a_new_stack_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"image\.builder\.enabled = False: true to build .*none yet"):
        run_program(RETIRED)


def test_a_new_version_keeps_the_older_ones_for_rollback_up_to_keep_versions() -> None:
    outputs = _published("1.0.0", "1.1.0", "1.2.0")
    run = run_program(_image("1.3.0"), stack_outputs=outputs)  # keepVersions defaults to 3
    versions = _versions(run)
    assert set(versions) == {"1.3.0", "1.2.0", "1.1.0"}  # 1.0.0, the oldest, is deleted by this `up`
    record = run.outputs["publishedImageVersions"]
    assert {v for v, entry in record.items() if not entry.get("dropped")} == set(versions)
    assert record["1.0.0"]["dropped"] is True  # remembered as dropped: never declared again
    assert versions["1.3.0"].inputs["publishingProfile"]["excludeFromLatest"] is True  # until its canary passed
    for old in ("1.2.0", "1.1.0"):
        assert versions[old].inputs["publishingProfile"]["excludeFromLatest"] is True
        # declared again as published: the source is the VM that built it, not this run's builder
        recorded = outputs["publishedImageVersions"][old]
        assert versions[old].inputs["storageProfile"] == {"source": recorded["source"]}
        assert versions[old].inputs["tags"]["bci-content-fingerprint"] == recorded["contentFingerprint"]
    assert run.outputs["galleryImageVersionId"] == versions["1.3.0"].outputs["id"]


def test_the_vhds_of_the_kept_versions_are_kept_and_only_those() -> None:
    outputs = _published("1.0.0", "1.1.0", "1.2.0")
    run = run_program(_image("1.3.0"), stack_outputs=outputs)
    retention = run.one(RETENTION)
    record = run.outputs["publishedImageVersions"]
    assert retention.inputs["keep"] == [record[v]["vhdUri"] for v in ("1.3.0", "1.2.0", "1.1.0")]
    assert run.one(CAPTURE).inputs["retain_vhd_on_delete"] is True  # the capture leaves its VHD to the record
    # it prunes after the new capture exists, with the deployer's blob role still there
    assert run.one(CAPTURE).urn in retention.dependencies
    assert any(urn.endswith("image-storage-deployer-blob-access") for urn in retention.dependencies)


def test_keep_versions_one_keeps_only_the_new_version() -> None:
    outputs = _published("1.0.0")
    run = run_program(_image("1.1.0", keepVersions=1), stack_outputs=outputs)
    assert set(_versions(run)) == {"1.1.0"}


def _pools_pinned(render: str | None) -> dict[str, Any]:
    pools = [
        {
            "name": "render",
            "vmSize": "Standard_D4ds_v5",
            "nodeAgentSkuId": "batch.node.ubuntu 24.04",
            "targetDedicatedNodes": 1,
            **({"imageVersion": render} if render else {}),
        },
        {
            "name": "burst",
            "vmSize": "Standard_D4ds_v5",
            "nodeAgentSkuId": "batch.node.ubuntu 24.04",
            "targetDedicatedNodes": 1,
        },
    ]
    return {"pools": pools}


def test_a_pinned_pool_boots_the_older_version_and_keeps_it_past_keep_versions() -> None:
    outputs = _published("1.0.0", "1.1.0")
    run = run_program({**_image("1.2.0", keepVersions=1), **_pools_pinned("1.0.0")}, stack_outputs=outputs)
    versions = _versions(run)
    assert set(versions) == {"1.2.0", "1.0.0"}  # 1.0.0 is in use: kept beyond keepVersions; 1.1.0 is not
    images = {
        p.name: p.inputs["deploymentConfiguration"]["virtualMachineConfiguration"]["imageReference"]["id"]
        for p in run.of_type(POOL)
    }
    assert images == {"pools-render": versions["1.0.0"].outputs["id"], "pools-burst": versions["1.2.0"].outputs["id"]}
    assert run.outputs["pools"]["render"]["imageVersion"] == "1.0.0"
    assert run.outputs["pools"]["burst"]["imageVersion"] == "1.2.0"


def test_rolling_a_pool_back_needs_no_rebuild() -> None:
    outputs = _published("1.0.0", "1.1.0")
    retired = run_program(
        {**RETIRED, **_image("1.1.0", builder={"enabled": False}), **_pools_pinned("1.0.0")}, stack_outputs=outputs
    )
    assert not BUILDER_TYPES & {r.typ for r in retired.resources}
    assert set(_versions(retired)) == {"1.1.0", "1.0.0"}


def test_going_back_to_an_older_image_version_is_refused_while_the_builder_would_rebuild_it() -> None:
    outputs = _published("1.0.0", "1.1.0")
    with pytest.raises(SettingsError) as failure:
        run_program(_image("1.0.0"), stack_outputs=outputs)
    message = str(failure.value)
    assert "batch-custom-image:image.version = '1.0.0': a version newer than 1.1.0" in message
    assert "pools[].imageVersion" in message
    # with the builder retired it only moves `latest` and the pools back: nothing is rebuilt
    back = run_program({**RETIRED, **_image("1.0.0", builder={"enabled": False})}, stack_outputs=outputs)
    versions = _versions(back)
    # the canary is on: GalleryLatest moves `latest` (the versions keep the flags they were created with), and
    # nothing re-runs the canary for a version going back
    assert back.one(LATEST).inputs["latest_version"] == "1.0.0"
    assert not back.of_type(CANARY_TYPE)
    assert back.outputs["publishedImageVersions"]["1.0.0"]["canary"] == "passed"
    assert all(v.options["ignoreChanges"] == ["publishingProfile.excludeFromLatest"] for v in versions.values())
    off = _image("1.0.0", builder={"enabled": False}, canary={"enabled": False})
    back = run_program(off, stack_outputs=outputs)
    versions = _versions(back)
    assert "excludeFromLatest" not in versions["1.0.0"].inputs["publishingProfile"]
    assert versions["1.1.0"].inputs["publishingProfile"]["excludeFromLatest"] is True


def test_a_pool_pinned_to_a_version_never_published_is_refused() -> None:
    outputs = _published("1.0.0")
    with pytest.raises(SettingsError) as failure:
        run_program({**_image("1.1.0"), **_pools_pinned("0.9.0")}, stack_outputs=outputs)
    message = str(failure.value)
    assert "batch-custom-image:pools[0].imageVersion = '0.9.0'" in message
    assert "1.1.0 (image.version) or one of published: 1.0.0" in message


def test_destroy_deletes_every_version_before_the_definition_and_the_gallery() -> None:
    run = run_program(_image("1.1.0"), stack_outputs=_published("1.0.0"))
    waves = _deletion_waves(run)
    wave_of = {urn: index for index, wave in enumerate(waves) for urn in wave}
    definition = run.one(DEFINITION)
    gallery = run.one("azure-native:compute:Gallery")
    for version in run.of_type(VERSION):
        assert wave_of[version.urn] < wave_of[definition.urn] < wave_of[gallery.urn]


# --- the base image pinned -----------------------------------------------------------------------------------------


def test_latest_is_resolved_and_the_builder_uses_the_concrete_version(first_up: ProgramRun) -> None:
    vm = first_up.one("azure-native:compute:VirtualMachine")
    assert vm.inputs["storageProfile"]["imageReference"]["version"] == MARKETPLACE_VERSION
    lookup = first_up.one("pulumi:providers:azure")  # the classic provider, for the lookup only
    assert lookup.inputs["resourceProviderRegistrations"] == "none"


def test_a_new_marketplace_version_is_new_content(first_up: ProgramRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offline, "MARKETPLACE_VERSION", "24.04.202612010")
    moved = run_program()
    before = first_up.one(CAPTURE).inputs["image_content"]
    after = moved.one(CAPTURE).inputs["image_content"]
    assert {k for k in before if before[k] != after[k]} == {"baseImage"}
    assert after["baseImage"].endswith(":24.04.202612010")
    assert moved.one(VERSION).inputs["tags"] != first_up.one(VERSION).inputs["tags"]


def test_a_configured_base_image_version_is_used_as_is_without_a_lookup() -> None:
    base = {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "24.04.202409120"}
    run = run_program({"image": {"builder": {"baseImage": base}}})
    assert run.one("azure-native:compute:VirtualMachine").inputs["storageProfile"]["imageReference"] == base
    assert not run.of_type("pulumi:providers:azure")


# --- the record read back strictly (a version dropped from it would be deleted from the gallery) --------------------


def _record_with(change: Any) -> dict[str, Any]:
    """The dev stack's outputs after publishing 1.0.0 and 1.1.0, with the record changed by `change(record)`."""
    outputs = _published("1.0.0", "1.1.0")
    record = outputs["publishedImageVersions"]
    change(record)
    return outputs


@pytest.mark.parametrize(
    ("change", "version", "problem"),
    [
        (lambda r: r["1.0.0"].pop("targetRegions"), "1.0.0", "targetRegions is None"),
        (lambda r: r["1.0.0"].update(targetRegions=[]), "1.0.0", "targetRegions is []"),
        (lambda r: r["1.0.0"]["targetRegions"][0].update(count="1"), "1.0.0", "targetRegions[0] is"),
        (lambda r: r["1.0.0"]["targetRegions"][0].pop("region"), "1.0.0", "targetRegions[0] is"),
        (lambda r: r["1.0.0"].pop("source"), "1.0.0", "source is missing"),
        (
            lambda r: r["1.0.0"]["source"].update(vhdUri="https://x.blob.core.windows.net/i/a.vhd"),
            "1.0.0",
            "source needs exactly one",
        ),
        (lambda r: r["1.0.0"].update(contentFingerprint=7), "1.0.0", "contentFingerprint is 7"),
        (lambda r: r.update({"1.0": r.pop("1.0.0")}), "1.0", "the key is not a version"),
        (lambda r: r.update({"1.0.0": "published"}), "1.0.0", "the entry is str"),
    ],
)
def test_a_malformed_record_is_one_clear_error_before_anything_is_registered(
    change: Any, version: str, problem: str
) -> None:
    registered: list[RegisteredResource] = []
    with pytest.raises(pulumi.RunError) as failure:  # printed without a traceback by the language host
        run_program(_image("1.2.0"), stack_outputs=_record_with(change), records=registered)
    message = str(failure.value)
    assert message.startswith(f"stack output publishedImageVersions, version {version!r}: {problem}"), message
    assert "`pulumi stack export --file state.json`" in message and "`pulumi stack import" in message
    assert registered == []


def test_a_record_that_is_not_an_object_is_refused_not_read_as_a_new_stack() -> None:
    outputs = {**_published("1.0.0"), "publishedImageVersions": ["1.0.0"]}
    with pytest.raises(pulumi.RunError, match="stack output publishedImageVersions is list, not an object"):
        run_program(_image("1.1.0"), stack_outputs=outputs)


# --- no new bits under a published version -------------------------------------------------------------------------


def test_enabling_the_builder_again_without_a_new_version_is_refused() -> None:
    retired = run_program(RETIRED, stack_outputs=_published("1.0.0")).outputs
    registered: list[RegisteredResource] = []
    with pytest.raises(SettingsError) as failure:
        run_program(stack_outputs=retired, records=registered)  # builder enabled again, image.version still 1.0.0
    message = str(failure.value)
    assert "batch-custom-image:image.version = '1.0.0': a version this stack has not published" in message
    assert "its builder was retired" in message and "1.0.1" in message
    assert registered == []
    assert set(_versions(run_program(_image("1.0.1"), stack_outputs=retired))) == {"1.0.1", "1.0.0"}


VHD_SOURCE = {
    "source": "vhd",
    "vhdUri": "https://imagesrc.blob.core.windows.net/vhds/app-1.vhd",
    "vhdStorageAccountId": "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/src/providers/"
    "Microsoft.Storage/storageAccounts/imagesrc",
}


def test_a_new_vhd_under_a_published_version_is_refused() -> None:
    published = run_program(_image("1.0.0", **VHD_SOURCE)).outputs
    assert _versions(run_program(_image("1.0.0", **VHD_SOURCE), stack_outputs=published))  # the same VHD: fine
    moved = {**VHD_SOURCE, "vhdUri": "https://imagesrc.blob.core.windows.net/vhds/app-2.vhd"}
    with pytest.raises(SettingsError) as failure:
        run_program(_image("1.0.0", **moved), stack_outputs=published)
    message = str(failure.value)
    assert "batch-custom-image:image.version = '1.0.0': a version this stack has not published" in message
    assert "app-1.vhd" in message and "1.0.1" in message
    with pytest.raises(SettingsError, match="it was published from a VHD"):  # nor a build under the VHD's version
        run_program(_image("1.0.0"), stack_outputs=published)


# --- the record is the latest checkpoint's, a failed update's included ---------------------------------------------


def test_a_record_left_behind_by_a_failed_update_still_names_what_it_dropped() -> None:
    """Since pulumi 3.112 a failed update keeps the outputs its program registered (pulumi/pulumi#14621, #15754),
    though the deletions it planned (after the outputs) did not run: the versions it dropped may still exist. The
    record names them, so the next update neither takes them for never published nor declares them again."""
    left_behind = run_program(_image("1.3.0"), stack_outputs=_published("1.0.0", "1.1.0", "1.2.0")).outputs
    assert left_behind["publishedImageVersions"]["1.0.0"]["dropped"] is True
    with pytest.raises(SettingsError) as failure:
        run_program({**_image("1.3.0"), **_pools_pinned("1.0.0")}, stack_outputs=left_behind)
    message = str(failure.value)
    assert "batch-custom-image:pools[0].imageVersion = '1.0.0'" in message
    assert "1.0.0 was dropped from the gallery by an earlier update" in message
    # the next update declares what it keeps, and the record still names 1.0.0 (never declared again)
    again = run_program(_image("1.3.0", keepVersions=4), stack_outputs=left_behind)
    assert set(_versions(again)) == {"1.3.0", "1.2.0", "1.1.0"}
    assert again.outputs["publishedImageVersions"]["1.0.0"]["dropped"] is True
