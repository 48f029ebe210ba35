"""Batch pool policies checked per pool: gallery image, communication mode, resize timeout, node cap, disk
encryption, node agent end of life."""

from __future__ import annotations

import pytest

from tests.policies.helpers import assert_message_shape, only, run, single, with_changes
from tests.policies.stack import DELETE, UNKNOWN, arm, changed, dev_stack

POOL = dev_stack()["pool"]
VMC = "deploymentConfiguration.virtualMachineConfiguration"
AUTOSCALE = "$TargetLowPriorityNodes = min(20, $PendingTasks.GetSample(1)); $NodeDeallocationOption = taskcompletion;"


def _pool(path, value):
    return with_changes(pool=changed(POOL, path, value))


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        (
            {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"},
            "imageReference with offer, publisher, sku, version",
        ),
        (
            {"id": arm("Microsoft.Compute/galleries/galdev/images/app-node/versions/1.0.0"), "version": "latest"},
            "imageReference with id, version",
        ),
        ({"id": arm("Microsoft.Compute/images/app-node")}, "not a Compute Gallery image id"),
        ({"id": "https://imgdev.blob.core.windows.net/vhds/app-node.vhd"}, "not a Compute Gallery image id"),
    ],
)
def test_pool_image_must_be_a_gallery_id_only(image, fragment):
    result = single(run(_pool(f"{VMC}.imageReference", image)), "batch-pool-gallery-image")
    assert result.level == "mandatory"
    assert_message_shape(result, fragment, "31 Mar 2026", "/galleries/<gallery>/images/<image>/versions/<version>")


def test_gallery_definition_id_is_accepted_unless_configured_otherwise():
    stack = _pool(f"{VMC}.imageReference.id", arm("Microsoft.Compute/galleries/galdev/images/app-node"))
    assert run(stack).for_policy("batch-pool-gallery-image") == []
    assert single(run(stack, {"batch-pool-gallery-image": {"allowImageDefinition": False}}), "batch-pool-gallery-image")


def test_image_id_unknown_during_preview_passes_on_shape():
    assert run(_pool(f"{VMC}.imageReference.id", UNKNOWN)).results == []


def test_classic_communication_is_mandatory_violation():
    result = single(run(_pool("targetNodeCommunicationMode", "Classic")), "batch-pool-simplified-communication")
    assert result.level == "mandatory"
    assert_message_shape(result, 'targetNodeCommunicationMode "Classic"', '"Simplified"', "31 Mar 2026")


def test_default_communication_passes_unless_explicit_required():
    stack = _pool("targetNodeCommunicationMode", DELETE)
    assert run(stack).results == []
    assert single(
        run(stack, {"batch-pool-simplified-communication": {"requireExplicit": True}}),
        "batch-pool-simplified-communication",
    )


def _fixed(dedicated, spot, timeout):
    return _pool(
        "scaleSettings.fixedScale",
        {"targetDedicatedNodes": dedicated, "targetLowPriorityNodes": spot, "resizeTimeout": timeout},
    )


def test_short_resize_timeout_for_large_pool_is_advisory():
    report = run(_fixed(1500, 500, "PT15M"), {"batch-pool-max-nodes": {"maxNodes": 5000}})
    [result] = report.for_policy("batch-pool-resize-timeout")
    assert result.level == "advisory"
    assert_message_shape(result, "2000 target nodes", 'resizeTimeout "PT15M"', "at least PT30M")


@pytest.mark.parametrize(("nodes", "timeout"), [(2000, "PT30M"), (2000, "PT1H"), (1000, DELETE)])
def test_long_enough_resize_timeout_passes(nodes, timeout):
    stack = _fixed(nodes, 0, "PT15M")
    stack["pool"] = changed(stack["pool"], "scaleSettings.fixedScale.resizeTimeout", timeout)  # unset: PT15M
    report = run(stack, {"batch-pool-max-nodes": {"maxNodes": 5000}})
    assert report.for_policy("batch-pool-resize-timeout") == []


def test_resize_timeout_that_is_not_a_duration_is_reported():
    result = single(run(_fixed(10, 0, "15 minutes")), "batch-pool-resize-timeout")
    assert "not an ISO 8601 duration" in result.message


def test_minutes_per_thousand_nodes_is_configurable():
    config = {"batch-pool-resize-timeout": {"minutesPer1000Nodes": 20}}
    assert "at least PT20M" in single(run(_fixed(1, 0, "PT15M"), config), "batch-pool-resize-timeout").message


def test_pool_over_the_node_maximum_is_mandatory_violation():
    result = single(run(_fixed(80, 30, "PT15M")), "batch-pool-max-nodes")
    assert result.level == "mandatory"
    assert_message_shape(result, "110 nodes (80 dedicated + 30 Spot)", "maximum of 100")
    assert run(_fixed(80, 30, "PT15M"), {"batch-pool-max-nodes": {"maxNodes": 110}}).results == []


def test_autoscale_cap_counts_against_the_maximum():
    stack = _pool("scaleSettings", {"autoScale": {"formula": AUTOSCALE, "evaluationInterval": "PT5M"}})
    assert run(stack).results == []
    result = single(run(stack, {"batch-pool-max-nodes": {"maxNodes": 10}}), "batch-pool-max-nodes")
    assert "autoscale caps 0 dedicated + 20 Spot" in result.message


def test_uncapped_autoscale_formula_is_a_violation():
    formula = "$TargetDedicatedNodes = $PendingTasks.GetSample(1);"
    result = single(run(_pool("scaleSettings", {"autoScale": {"formula": formula}})), "batch-pool-max-nodes")
    assert_message_shape(result, "$TargetDedicatedNodes without a numeric cap", "min(100, ...)")


def test_target_counts_unknown_during_preview_pass():
    assert run(_fixed(UNKNOWN, 0, "PT15M")).results == []


@pytest.mark.parametrize("targets", [DELETE, []])
def test_pool_without_disk_encryption_is_advisory(targets):
    path = f"{VMC}.diskEncryptionConfiguration" + (".targets" if targets == [] else "")
    result = single(run(_pool(path, targets)), "batch-pool-disk-encryption")
    assert result.level == "advisory"
    assert_message_shape(result, "TemporaryDisk", "encryptionAtHost")


def test_encryption_at_host_satisfies_disk_encryption():
    stack = with_changes(
        pool=changed(
            changed(POOL, f"{VMC}.diskEncryptionConfiguration", DELETE),
            f"{VMC}.securityProfile",
            {"encryptionAtHost": True},
        )
    )
    assert run(stack).results == []


def test_end_of_life_node_agent_is_advisory_only():
    report = run(_pool(f"{VMC}.nodeAgentSkuId", "batch.node.ubuntu 22.04"))
    result = single(report, "batch-pool-node-agent-end-of-life")
    assert result.level == "advisory"
    assert_message_shape(result, "2027-06-30", 'nodeAgentSkuId "batch.node.ubuntu 22.04"')
    assert only(report, "batch-pool-node-agent-end-of-life")  # the SKU itself is known and matches Linux
