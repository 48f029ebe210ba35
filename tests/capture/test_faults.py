"""Fault scenarios: each asserts the end state in the fakes (blobs, disk access, request log) and the user's error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fakes.arm_world import poll_gap_violations
from fakes.provider_process import ProviderError
from tests.capture.conftest import capture_prefix, export_name, killed_create

pytestmark = pytest.mark.azurite


def _names(fakes, container, prefix=None):
    return sorted(fakes.azurite.admin().get_container_client(container).list_blob_names(name_starts_with=prefix))


def _posts(world):
    return [e.op for e in world.requests(method="POST") if e.status < 400]


def _no_sas(*texts):
    for text in texts:
        assert "sig=" not in text, "a SAS token leaked"


def _assert_access_revoked_and_no_vhd_left(world, vm, fakes, container):
    """What a user would otherwise clean up by hand: disk access granted once and revoked, no half-copied VHD."""
    disk = world.disk_of(vm)
    assert (disk.grants, disk.revokes, disk.access_active) == (1, 1, False)
    assert _names(fakes, container) == []


def _create_fails(provider, props) -> str:
    with pytest.raises(ProviderError) as failure:
        provider.create(props)
    _no_sas(failure.value.details, provider.stderr())
    return failure.value.details


def test_429_with_retry_after_is_waited_out(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm()
    world.fault("deallocate", status=429, retry_after="1", code="TooManyRequests", message="Rate limit exceeded.")
    checked, _ = shared_provider.check(inputs(vm))

    _, outs = shared_provider.create(checked)

    attempts = world.requests("deallocate")
    assert [e.status for e in attempts] == [429, 202]
    assert attempts[1].t - attempts[0].t >= 1.0
    assert poll_gap_violations(world.log) == []
    assert outs["vhd_uri"] and _names(fakes, container) == [export_name(checked, vm)]


def test_a_burst_of_5xx_is_retried(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm()
    world.fault("instance_view", status=503, times=3, code="ServiceUnavailable")
    world.fault("grant_access", status=500, times=2)
    checked, _ = shared_provider.check(inputs(vm))

    _, outs = shared_provider.create(checked)

    assert outs["vhd_uri"].endswith(f"/{container}/{export_name(checked, vm)}")
    assert [e.status for e in world.requests("instance_view")][:4] == [503, 503, 503, 200]
    assert [e.status for e in world.requests("grant_access")] == [500, 500, 202]
    disk = world.disk_of(vm)
    assert (disk.grants, disk.access_active) == (1, False)
    assert _names(fakes, container) == [export_name(checked, vm)]


def test_an_operation_that_ends_failed_stops_the_capture(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm()
    world.fault("deallocate", fail_operation=True, code="AllocationFailed", message="Deallocation failed on the host.")
    checked, _ = shared_provider.check(inputs(vm))

    error = _create_fails(shared_provider, checked)

    assert (
        "capture step 'deallocate' failed" in error and "(AllocationFailed) Deallocation failed on the host." in error
    )
    assert vm.generalized_time and vm.power == "stopped"  # generalized first, then the deallocation failed
    assert _posts(world) == ["generalize", "deallocate"]
    assert _names(fakes, container) == []


def test_the_guest_never_powering_off_times_out_with_the_serial_log(world, fakes, shared_provider, inputs, container):
    log = "".join(f"cloud-init[{i}]: step {i}\n" for i in range(100)) + "setup.sh: apt-get failed: exit 100\n"
    vm = world.add_vm(power_off_after=None, serial_log=log)
    checked, _ = shared_provider.check(inputs(vm, guest_timeout_minutes=0.01))

    error = _create_fails(shared_provider, checked)

    # The deadline counts from the VM's creation (not from this create, which a loaded machine may start late)
    assert datetime.now(UTC) - vm.created >= timedelta(minutes=0.01)
    assert "did not deprovision and power itself off within 0.01 minutes of its creation" in error
    assert "power state: running" in error and f"`pulumi up --replace '{checked['vm_urn']}'`" in error
    assert "setup.sh: apt-get failed: exit 100" in error and "step 99" in error
    assert "step 10\n" not in error  # only the tail
    assert vm.power == "running" and set(_posts(world)) == {"boot_diagnostics"}
    assert _names(fakes, container) == []


def test_a_vm_already_generalized_is_not_deallocated_or_generalized_again(
    world, fakes, shared_provider, inputs, container
):
    vm = world.add_vm(power="deallocated", generalized=True)  # generalized after its guest proved it
    checked, _ = shared_provider.check(inputs(vm))

    _, outs = shared_provider.create(checked)

    assert _posts(world) == ["grant_access", "revoke_access"]
    assert outs["generalized_time"] == vm.generalized_time
    assert _names(fakes, container) == [export_name(checked, vm)]


def test_a_copy_failing_half_way_leaves_no_blob_and_revokes_access(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm()
    fakes.proxy.copy_seconds, fakes.proxy.fail_next_copy_at = 0.6, 0.5
    checked, _ = shared_provider.check(inputs(vm))

    error = _create_fails(shared_provider, checked)

    assert "capture step 'export_managed_disk' failed" in error
    assert "server-side copy of the OS disk failed: 500 InternalError Copy failed" in error
    assert len(fakes.proxy.property_reads) >= 2  # it was pending first
    _assert_access_revoked_and_no_vhd_left(world, vm, fakes, container)


def test_a_copy_that_outlives_the_deadline_is_aborted_and_access_revoked(
    world, fakes, start_provider, inputs, container
):
    vm = world.add_vm()
    fakes.proxy.copy_seconds = 30
    provider = start_provider(BCI_OPERATION_TIMEOUT_MINUTES="0.02")
    checked, _ = provider.check(inputs(vm))

    error = _create_fails(provider, checked)

    assert "the copy of the OS disk did not finish within 0.02 minutes, the life of its read SAS" in error
    assert fakes.proxy.aborts == fakes.proxy.copy_requests and len(fakes.proxy.aborts) == 1
    _assert_access_revoked_and_no_vhd_left(world, vm, fakes, container)


def test_grant_access_then_copy_failure_revokes_access(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm()
    fakes.azurite.admin().get_blob_client("md-disks", world.disk_of(vm).blob_name).delete_blob()  # SAS to nothing
    checked, _ = shared_provider.check(inputs(vm))

    error = _create_fails(shared_provider, checked)

    assert "CannotVerifyCopySource" in error
    _assert_access_revoked_and_no_vhd_left(world, vm, fakes, container)


def test_a_failed_revoke_after_a_failed_copy_tells_the_user_how_to_revoke(
    world, fakes, shared_provider, inputs, container
):
    vm = world.add_vm()
    fakes.proxy.copy_seconds, fakes.proxy.fail_next_copy_at = 0.3, 0.1
    world.fault("revoke_access", fail_operation=True, code="InternalOperationError", message="Revoke failed.")
    checked, _ = shared_provider.check(inputs(vm))

    error = _create_fails(shared_provider, checked)

    assert "revoking access to the OS disk failed" in error and "az disk revoke-access" in error
    assert world.disk_of(vm).access_active is True  # the fake really left it granted
    assert _names(fakes, container) == []


def test_killed_between_generalize_and_capture_then_rerun_captures_once(
    world, fakes, start_provider, inputs, container
):
    vm = world.add_vm(managed=False)
    held = world.fault("generalize", hold=True)  # applied by "Azure", but the provider dies before the answer
    props, _ = start_provider().check(inputs(vm, os_disk_mode="unmanaged", export_vhd=False))
    killed_create(start_provider, props, when=held.reached.is_set, after_kill=held.release.set)
    assert vm.power == "stopped" and vm.generalized_time

    _, outs = start_provider().create(props)

    assert _posts(world) == ["generalize", "deallocate", "capture"]
    captured = [n for n in _names(fakes, "system", capture_prefix(props, vm)) if n.endswith(".vhd")]
    assert len(captured) == 1 and outs["vhd_uri"].endswith(captured[0])


def test_killed_during_deallocate_then_rerun_waits_for_it(world, fakes, start_provider, inputs, container):
    vm = world.add_vm()
    world.durations["deallocate"] = 1.5
    held = world.fault("deallocate", hold=True)  # Azure accepted it; the provider dies before the 202 arrives
    props, _ = start_provider().check(inputs(vm))
    killed_create(start_provider, props, when=held.reached.is_set, after_kill=held.release.set)
    assert vm.power == "deallocating"

    start_provider().create(props)

    assert _posts(world) == ["generalize", "deallocate", "grant_access", "revoke_access"]
    assert _names(fakes, container) == [export_name(props, vm)]


def test_killed_after_azure_captured_then_rerun_adopts_that_vhd(world, fakes, start_provider, inputs, container):
    vm = world.add_vm(managed=False)
    held = world.fault("operation_result", kind="capture", hold=True)  # the VHD exists, the answer never arrives
    props, _ = start_provider().check(inputs(vm, os_disk_mode="unmanaged", export_vhd=False))
    killed_create(start_provider, props, when=held.reached.is_set, after_kill=held.release.set)

    _, outs = start_provider().create(props)

    assert _posts(world) == ["generalize", "deallocate", "capture"]
    captured = [n for n in _names(fakes, "system", capture_prefix(props, vm)) if n.endswith(".vhd")]
    assert len(captured) == 1 and outs["vhd_uri"].endswith(captured[0])
    metadata = fakes.azurite.admin().get_blob_client("system", captured[0]).get_blob_properties().metadata
    assert metadata["bci_source_vm"] == vm.id and metadata["bci_image_version"] == props["image_version"]


def test_a_deallocated_vm_that_proved_it_deprovisioned_is_only_generalized(
    world, fakes, shared_provider, inputs, container
):
    vm = world.add_vm(power="deallocated")  # its guest wrote the generalized marker
    checked, _ = shared_provider.check(inputs(vm))

    shared_provider.create(checked)

    assert _posts(world) == ["generalize", "grant_access", "revoke_access"]
    assert _names(fakes, container) == [export_name(checked, vm)]


def test_killed_during_the_copy_then_rerun_continues_the_same_copy(world, fakes, start_provider, inputs, container):
    vm = world.add_vm()
    fakes.proxy.copy_seconds = 1.5
    props, _ = start_provider().check(inputs(vm))
    killed_create(start_provider, props, when=lambda: fakes.proxy.property_reads)
    assert world.disk_of(vm).access_active is True

    _, outs = start_provider().create(props)

    disk = world.disk_of(vm)
    assert (disk.grants, disk.revokes, disk.access_active) == (1, 1, False)
    assert len(fakes.proxy.copy_requests) == 1
    assert _names(fakes, container) == [export_name(props, vm)] and outs["vhd_uri"]


def test_a_rerun_after_success_reuses_the_vhd(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm()
    checked, _ = shared_provider.check(inputs(vm))
    _, first = shared_provider.create(checked)

    _, second = shared_provider.create(checked)

    assert second["vhd_uri"] == first["vhd_uri"]
    assert world.disk_of(vm).grants == 1 and len(fakes.proxy.copy_requests) == 1


def test_a_foreign_blob_at_the_destination_is_not_overwritten(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm()
    checked, _ = shared_provider.check(inputs(vm))
    blob = fakes.azurite.admin().get_blob_client(container, export_name(checked, vm))
    blob.upload_blob(b"a VHD from another build")

    error = _create_fails(shared_provider, checked)

    assert "refusing to overwrite it" in error
    assert blob.download_blob().readall() == b"a VHD from another build"
    assert world.disk_of(vm).grants == 0


def test_delete_succeeds_when_the_blob_is_already_gone(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm()
    checked, _ = shared_provider.check(inputs(vm))
    id_, outs = shared_provider.create(checked)
    fakes.azurite.admin().get_blob_client(container, export_name(checked, vm)).delete_blob()

    shared_provider.delete(id_, outs)

    assert _names(fakes, container) == []


def test_read_after_the_vm_was_deleted_reports_a_capture_without_vhd_gone(world, fakes, shared_provider, inputs):
    vm = world.add_vm()
    checked, _ = shared_provider.check(inputs(vm, export_vhd=False))
    id_, outs = shared_provider.create(checked)
    del world.vms[vm.name.lower()]

    read_id, read_outs, _ = shared_provider.read(id_, outs)

    assert read_id == "" and set(read_outs) <= {"__provider"}
    assert world.requests("get_vm")[-1].status == 404


def test_the_fake_credential_is_refused_for_a_real_endpoint(fakes, start_provider, world, inputs):
    vm = world.add_vm()
    provider = start_provider(BCI_ARM_ENDPOINT="https://management.azure.com")
    props, _ = provider.check(inputs(vm))

    error = _create_fails(provider, props)

    assert "BCI_FAKE_CREDENTIAL=1 is only honoured when BCI_ARM_ENDPOINT and BCI_BLOB_ENDPOINT" in error
    assert world.log == []
