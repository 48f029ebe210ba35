"""The capture provider's lifecycle driven over gRPC, as the engine does, against the fake ARM and Azurite.

The provider comes pickled from a whole-program run under mocks (tools/plan/program_pickle.py), so these tests
also prove the pickle round trip into the `python -m pulumi.dynamic` process.
"""

from __future__ import annotations

import pytest
from pulumi.runtime.proto import provider_pb2

from fakes.arm_world import DISK_CONTAINER, OS_VHD_CONTAINER, poll_gap_violations
from tests.capture.conftest import capture_prefix, export_name

pytestmark = pytest.mark.azurite


def _blob(fakes, container, name):
    return fakes.azurite.admin().get_blob_client(container, name)


def _vhds(fakes, container):
    return sorted(b for b in fakes.azurite.admin().get_container_client(container).list_blob_names())


def test_managed_export_copies_the_generalized_os_disk_and_revokes_access(
    world, fakes, shared_provider, inputs, container
):
    vm = world.add_vm(managed=True)
    props = inputs(vm)
    checked, failures = shared_provider.check(props)
    assert failures == []

    id_, outs = shared_provider.create(checked)

    vhd_name = export_name(props, vm)
    assert vhd_name.startswith(f"{props['vhd_prefix']}-") and vhd_name.endswith(".vhd")
    assert id_ == f"{vm.id}/generalizedImage/{props['image_version']}"
    assert outs["vhd_uri"] == f"{fakes.proxy.account_url}/{container}/{vhd_name}"
    assert outs["os_disk_id"] == vm.disk_id and outs["vm_id"] == vm.id and outs["vm_instance_id"] == vm.instance_id
    assert outs["generalized_time"].endswith("Z")
    source = _blob(fakes, DISK_CONTAINER, world.disk_of(vm).blob_name).download_blob().readall()
    assert _blob(fakes, container, vhd_name).download_blob().readall() == source
    assert _vhds(fakes, container) == [vhd_name]
    assert vm.power == "deallocated" and vm.generalized_time
    disk = world.disk_of(vm)
    assert (disk.grants, disk.revokes, disk.access_active) == (1, 1, False)
    assert [e.op for e in world.requests(method="POST")] == [
        "generalize",  # after the guest's generalized marker was read from the storage account
        "deallocate",
        "grant_access",
        "revoke_access",
    ]
    assert disk.granted_seconds == [600]  # 10 minutes: the floor (the tests' copy deadline is 1 minute)
    assert poll_gap_violations(world.log) == []
    assert "sig=" not in str(outs) and "sig=" not in shared_provider.stderr()


def test_managed_without_export_generalizes_only(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm(managed=True)
    checked, _ = shared_provider.check(inputs(vm, export_vhd=False))

    _, outs = shared_provider.create(checked)

    assert outs["vhd_uri"] == "" and outs["os_disk_id"] == vm.disk_id
    assert vm.generalized_time and world.disk_of(vm).grants == 0
    assert _vhds(fakes, container) == []


def test_unmanaged_capture_reads_the_vhd_uri_from_the_capture_template(
    world, fakes, shared_provider, inputs, container
):
    vm = world.add_vm(managed=False)
    props = inputs(vm, os_disk_mode="unmanaged", export_vhd=False, retain_vhd_on_delete=False)
    checked, failures = shared_provider.check(props)
    assert failures == []

    _, outs = shared_provider.create(checked)

    prefix = capture_prefix(props, vm)
    assert prefix.startswith(f"Microsoft.Compute/Images/{container}/{props['vhd_prefix']}-")
    captured = [
        n for n in fakes.azurite.admin().get_container_client("system").list_blob_names(name_starts_with=prefix)
    ]
    assert len(captured) == 1
    assert outs["vhd_uri"] == f"{fakes.azurite.account_url}/system/{captured[0]}"
    source = _blob(fakes, OS_VHD_CONTAINER, world.os_vhd_blob(vm)).download_blob().readall()
    assert _blob(fakes, "system", captured[0]).download_blob().readall() == source
    assert _blob(fakes, "system", captured[0]).get_blob_properties().metadata["bci_source_vm"] == vm.id
    assert outs["os_disk_id"] == fakes.azurite.account_url + f"/{OS_VHD_CONTAINER}/{world.os_vhd_blob(vm)}"

    id_ = f"{vm.id}/generalizedImage/{props['image_version']}"
    assert shared_provider.read(id_, outs)[0] == id_  # refresh and delete handle a VHD URI as the OS disk
    shared_provider.delete(id_, outs)
    assert _blob(fakes, "system", captured[0]).exists() is False


def test_read_reports_nothing_changed_then_a_deleted_vhd(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm(managed=True)
    checked, _ = shared_provider.check(inputs(vm))
    id_, outs = shared_provider.create(checked)

    read_id, read_outs, read_inputs = shared_provider.read(id_, outs)
    assert read_id == id_ and read_outs["vhd_uri"] == outs["vhd_uri"]
    assert read_inputs["vm_id"] == vm.id and "vhd_uri" not in read_inputs

    _blob(fakes, container, export_name(checked, vm)).delete_blob()
    _, drifted, _ = shared_provider.read(id_, outs)
    assert drifted["vhd_uri"] == ""
    diff = shared_provider.diff(id_, drifted, checked)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == ["vhd_uri"]


def test_read_reports_a_vm_that_is_no_longer_generalized(world, fakes, shared_provider, inputs):
    vm = world.add_vm(managed=True)
    checked, _ = shared_provider.check(inputs(vm, export_vhd=False))
    id_, outs = shared_provider.create(checked)

    vm.generalized_time = None  # e.g. the VM was recreated under the same name
    _, drifted, _ = shared_provider.read(id_, outs)

    assert drifted["generalized_time"] == ""
    assert "generalized_time" in shared_provider.diff(id_, drifted, checked).replaces


def test_delete_removes_the_vhd_unless_retained(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm(managed=True)
    checked, _ = shared_provider.check(inputs(vm, retain_vhd_on_delete=False))
    id_, outs = shared_provider.create(checked)
    vhd = export_name(checked, vm)

    shared_provider.delete(id_, {**outs, "retain_vhd_on_delete": True})
    assert _vhds(fakes, container) == [vhd]

    shared_provider.delete(id_, outs)
    assert _vhds(fakes, container) == []


def test_delete_leaves_a_blob_this_resource_did_not_create(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm(managed=True)
    checked, _ = shared_provider.check(inputs(vm, retain_vhd_on_delete=False))
    id_, outs = shared_provider.create(checked)
    vhd = export_name(checked, vm)
    _blob(fakes, container, vhd).upload_blob(b"someone else's VHD", overwrite=True)

    shared_provider.delete(id_, outs)

    assert _vhds(fakes, container) == [vhd]


def test_update_records_retain_vhd_on_delete_without_cloud_calls(world, shared_provider, inputs):
    vm = world.add_vm(managed=True)
    checked, _ = shared_provider.check(inputs(vm, retain_vhd_on_delete=False))
    id_, outs = shared_provider.create(checked)
    calls = len(world.log)

    news = {**checked, "retain_vhd_on_delete": True}
    diff = shared_provider.diff(id_, outs, news)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    updated = shared_provider.update(id_, outs, news)

    assert updated["retain_vhd_on_delete"] is True and updated["vhd_uri"] == outs["vhd_uri"]
    assert len(world.log) == calls
