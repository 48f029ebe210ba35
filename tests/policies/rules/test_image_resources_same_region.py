"""image-resources-same-region (stack): storage account, builder VM and Batch account in one region; the gallery
version replicated into it."""

from __future__ import annotations

import pytest

from tests.policies.helpers import DELETE, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "image-resources-same-region"


@pytest.mark.parametrize(("name", "kind"), [("image-storage-account", "storage account"), ("builder-vm", "builder VM")])
def test_resource_outside_the_batch_region_is_mandatory_violation(baseline, name, kind):
    moved = changed(baseline[name], "location", "North Europe")
    result = single(run(stack_with(baseline, moved)), NAME)
    assert result.level == "mandatory" and result.urn == moved.urn
    assert_message_shape(result, kind, 'location "northeurope"', '"westeurope" (Batch account "batch-account")')
    assert_guidance(NAME, "azure-native:location", "cross-region")


def test_region_comes_from_the_resource_group_when_the_resource_has_none(baseline):
    stack = stack_with(
        baseline,
        changed(baseline["image-storage-account"], "location", DELETE),
        changed(baseline["rg"], "location", "eastus"),
    )
    result = single(run(stack), NAME)
    assert result.urn == baseline["image-storage-account"].urn and '"eastus"' in result.message


def test_gallery_version_without_a_replica_in_the_batch_region(baseline):
    version = changed(
        changed(baseline["gallery-version-1.0.0"], "location", "northeurope"),
        "publishingProfile.targetRegions",
        [{"name": "northeurope", "regionalReplicaCount": 1}],
    )
    report = run(stack_with(baseline, version))
    [result] = report.for_policy(NAME)
    assert_message_shape(result, "no replica in the Batch region westeurope", "image.replicas")
    [replicas] = report.for_policy("gallery-replicas-cover-pools")  # and the pools have no replica to read
    assert "0 replica(s) in westeurope" in replicas.message


def test_gallery_without_target_regions_replicates_in_its_own_region(baseline):
    version = baseline["gallery-version-1.0.0"]
    assert run(stack_with(baseline, changed(version, "publishingProfile", DELETE))).results == []


def test_gallery_replicating_into_the_batch_region_passes(baseline):
    version = changed(
        changed(baseline["gallery-version-1.0.0"], "location", "northeurope"),
        "publishingProfile.targetRegions",
        [{"name": "northeurope"}, {"name": "West Europe", "regionalReplicaCount": 1}],
    )
    assert run(stack_with(baseline, version)).results == []
