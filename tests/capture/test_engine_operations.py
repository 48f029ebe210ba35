"""The capture under what the Pulumi engine really does after the first `up`: it stops the provider (SIGINT, 5 s,
SIGKILL), refreshes (a `read` that finds nothing drops the resource without `delete`), replaces (a new builder VM, a
new version) and destroys (reverse dependency order). One test (or two) per point of the capture-engine issue."""

from __future__ import annotations

import time

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from fakes.arm_world import ArmError, poll_gap_violations
from fakes.provider_process import ProviderError, from_struct
from tests.capture.conftest import capture_prefix, export_name, killed_create, wait_for

pytestmark = pytest.mark.azurite


def _names(fakes, container, prefix=None):
    return sorted(fakes.azurite.admin().get_container_client(container).list_blob_names(name_starts_with=prefix))


def _copy_started(fakes):
    wait_for(lambda: fakes.proxy.property_reads)  # the provider polls a pending copy


def _killed_mid_copy(world, fakes, start_provider, props):
    """A run SIGKILLed while its copy is pending (the crash case: no handler runs)."""
    killed_create(start_provider, props, when=lambda: fakes.proxy.property_reads)


# --- 1. Ctrl-C during the export, and what later operations clean -------------------------------------------------


def test_1_sigint_during_the_copy_aborts_it_revokes_access_and_exits_within_the_grace(
    world, fakes, start_provider, inputs, container
):
    vm = world.add_vm()
    fakes.proxy.copy_seconds = 120
    provider = start_provider()
    props, _ = provider.check(inputs(vm))
    pending = provider.create_async(props)
    _copy_started(fakes)

    started = time.monotonic()
    assert provider.interrupt(grace=5.0) == "exited"  # ended on its own, never needed SIGKILL

    assert time.monotonic() - started < 5.0
    with pytest.raises(grpc.RpcError):
        pending.result()
    disk = world.disk_of(vm)
    assert (disk.grants, disk.revokes) == (1, 1)
    wait_for(lambda: (world.advance(), not disk.access_active)[1], 5)  # Azure finishes the requested revoke
    assert fakes.proxy.aborts == fakes.proxy.copy_requests and len(fakes.proxy.aborts) == 1
    assert _names(fakes, container) == []
    stderr = provider.stderr()
    assert "interrupted in capture step 'export_managed_disk'" in stderr and "partial VHD deleted" in stderr
    assert "Nothing is left to clean by hand" in stderr and "sig=" not in stderr


def test_1_grants_are_sized_to_the_copy(world, fakes, shared_provider, inputs):
    vm = world.add_vm()
    checked, _ = shared_provider.check(inputs(vm))

    shared_provider.create(checked)

    assert world.disk_of(vm).granted_seconds == [600]  # not the 2-hour operation deadline of before


def test_1_a_new_version_after_a_killed_export_revokes_the_old_sas_and_deletes_the_partial_vhd(
    world, fakes, start_provider, inputs, container, as_cleanup
):
    old = world.add_vm()
    fakes.proxy.copy_seconds = 120
    old_props = inputs(old)
    _killed_mid_copy(world, fakes, start_provider, old_props)
    assert world.disk_of(old).access_active and _names(fakes, container) == [export_name(old_props, old)]
    with pytest.raises(ArmError, match="active shared access signature"):
        world.delete_disk(old.disk_name)  # what Azure answers the builder VM's deletion today
    fakes.proxy.copy_seconds = 0

    # The version bump: the engine deletes the old VM's clean-up resource, then the old VM, then builds anew.
    provider = start_provider()
    provider.delete("cleanup-id", as_cleanup(old_props))
    world.delete_disk(old.disk_name)
    new = world.add_vm()
    new_props = {**inputs(new), "image_version": "1.1.0", "vhd_prefix": "app-node-1.1.0"}
    provider.create(new_props)

    assert _names(fakes, container) == [export_name(new_props, new)]
    assert world.disk_of(new).access_active is False


def test_1_any_later_create_cleans_what_a_killed_export_of_another_vm_left(
    world, fakes, start_provider, inputs, container
):
    old = world.add_vm()
    fakes.proxy.copy_seconds = 120
    _killed_mid_copy(world, fakes, start_provider, inputs(old))
    fakes.proxy.copy_seconds = 0
    new = world.add_vm()
    new_props = inputs(new)

    start_provider().create(new_props)

    assert world.disk_of(old).revokes == 1 and len(fakes.proxy.aborts) == 1
    assert _names(fakes, container) == [export_name(new_props, new)]


def test_1_destroy_after_a_killed_first_export_leaves_no_sas_and_no_partial_vhd(
    world, fakes, start_provider, inputs, container, as_cleanup
):
    vm = world.add_vm()
    fakes.proxy.copy_seconds = 120
    props = inputs(vm)
    _killed_mid_copy(world, fakes, start_provider, props)  # the capture never reached the state

    start_provider().delete("cleanup-id", as_cleanup(props))

    assert world.disk_of(vm).access_active is False and _names(fakes, container) == []
    world.delete_disk(vm.disk_name)  # the VM's deletion goes through


# --- 2. destroy needs blob access until the capture is gone ----------------------------------------------------------


def test_2_without_the_blob_data_role_the_capture_cannot_delete_its_vhd(world, fakes, shared_provider, inputs):
    """Why the capture must be deleted before the deployer's role assignment (the order is tested on the program's
    dependency graph in tests/program/test_program.py)."""
    vm = world.add_vm()
    checked, _ = shared_provider.check(inputs(vm))
    id_, outs = shared_provider.create(checked)
    fakes.proxy.data_role = False

    with pytest.raises(ProviderError, match="AuthorizationPermissionMismatch"):
        shared_provider.delete(id_, outs)

    fakes.proxy.data_role = True
    shared_provider.delete(id_, outs)


# --- 3. refresh after the builder VM was deleted out of band ---------------------------------------------------------


def test_3_refresh_after_the_vm_is_gone_keeps_the_vhd_in_the_state_and_the_next_up_replaces_it(
    world, fakes, shared_provider, inputs, container
):
    old = world.add_vm()
    checked, _ = shared_provider.check(inputs(old, retain_vhd_on_delete=False))  # the capture's own delete path
    id_, outs = shared_provider.create(checked)
    del world.vms[old.name.lower()]  # deleted in the portal

    read_id, refreshed, _ = shared_provider.read(id_, outs)

    assert read_id == id_, "the capture (and its VHD) must not vanish from the state"
    assert refreshed["vm_instance_id"] == "" and refreshed["vhd_uri"] == outs["vhd_uri"]
    new = world.add_vm()  # `pulumi up` recreates the builder VM
    news, _ = shared_provider.check(inputs(new, retain_vhd_on_delete=False))
    diff = shared_provider.diff(id_, refreshed, news)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and "vm_id" in diff.replaces
    assert diff.deleteBeforeReplace is False
    shared_provider.create(news)  # create-before-delete
    shared_provider.delete(id_, refreshed)

    assert _names(fakes, container) == [export_name(news, new)]


# --- 4. only a deprovisioned guest is captured -----------------------------------------------------------------------


def test_4_a_vm_stopped_without_deprovisioning_is_refused_and_left_as_it_is(
    world, fakes, shared_provider, inputs, container
):
    vm = world.add_vm(deprovisioned=False)  # e.g. the setup script ran `shutdown`
    checked, _ = shared_provider.check(inputs(vm))

    with pytest.raises(ProviderError) as failure:
        shared_provider.create(checked)

    assert "capture step 'prove_deprovisioned' failed" in failure.value.details
    assert "never proved that it deprovisioned" in failure.value.details
    assert f"pulumi up --replace '{checked['vm_urn']}'" in failure.value.details
    assert vm.generalized_time is None and vm.power == "stopped" and world.disk_of(vm).grants == 0
    assert _names(fakes, container) == []


def test_4_a_failed_deprovisioning_stops_the_wait_at_once_with_the_log_tail(world, shared_provider, inputs):
    vm = world.add_vm(  # the guest writes its failed marker and stays running
        failure="batch-image: deprovision FAILED; last lines of /var/log/batch-image-deprovision.log:\n"
        "ERROR: waagent: deprovision failed: unable to delete user",
    )
    checked, _ = shared_provider.check(inputs(vm, guest_timeout_minutes=60))

    started = time.monotonic()
    with pytest.raises(ProviderError) as failure:
        shared_provider.create(checked)

    assert time.monotonic() - started < 30  # not the 60-minute deadline
    assert "unable to delete user" in failure.value.details and vm.power == "running"


# --- 5. retained VHDs and replacements --------------------------------------------------------------------------------


def test_5_a_retained_vhd_does_not_block_the_replacement_built_on_a_new_vm(
    world, fakes, shared_provider, inputs, container
):
    old = world.add_vm()
    old_props, _ = shared_provider.check(inputs(old, retain_vhd_on_delete=True))
    id_, outs = shared_provider.create(old_props)
    new = world.add_vm()  # a rebuild (setup change) at the same image version
    new_props, _ = shared_provider.check(inputs(new, retain_vhd_on_delete=True))

    diff = shared_provider.diff(id_, outs, new_props)
    _, new_outs = shared_provider.create(new_props)
    shared_provider.delete(id_, outs)

    assert diff.deleteBeforeReplace is False
    assert _names(fakes, container) == sorted([export_name(old_props, old), export_name(new_props, new)])
    assert new_outs["vhd_uri"] != outs["vhd_uri"]


# --- 6. the classic capture killed while Azure captures ----------------------------------------------------------


def test_6_killed_while_azure_captures_then_the_rerun_waits_for_it_and_adopts_its_vhd(
    world, fakes, start_provider, inputs, container
):
    vm = world.add_vm(managed=False)
    world.durations["capture"] = 600.0  # still running when the rerun (a new provider process) asks to capture
    props, _ = start_provider().check(inputs(vm, os_disk_mode="unmanaged", export_vhd=False))
    killed_create(start_provider, props, when=lambda: world.requests("capture"))

    rerun = start_provider().create_async(props)
    wait_for(lambda: 409 in [e.status for e in world.requests("capture")], 60)
    (capture,) = [op for op in world.ops.values() if op.kind == "capture"]
    capture.duration = 0.0  # Azure finishes the first run's capture after the rerun was refused a second one
    outs = from_struct(rerun.result(timeout=120).properties)

    assert 409 in [e.status for e in world.requests("capture")]  # the rerun's capture was refused, not repeated
    assert [e.status for e in world.requests("capture") if e.status < 400] == [202]
    captured = [n for n in _names(fakes, "system", capture_prefix(props, vm)) if n.endswith(".vhd")]
    assert len(captured) == 1 and outs["vhd_uri"].endswith(captured[0])
    assert poll_gap_violations(world.log) == []


# --- 7. Ctrl-C while waiting, and a VM that already timed out -------------------------------------------------------


def test_7_sigint_while_waiting_for_the_guest_exits_within_the_grace(world, start_provider, inputs):
    vm = world.add_vm(power_off_after=None)
    provider = start_provider()
    props, _ = provider.check(inputs(vm))
    pending = provider.create_async(props)
    wait_for(lambda: len(world.requests("instance_view")) >= 2)

    assert provider.interrupt(grace=5.0) == "exited"
    with pytest.raises(grpc.RpcError):
        pending.result()
    assert "interrupted in capture step 'wait_for_guest_power_off'" in provider.stderr()
    assert vm.power == "running" and {e.op for e in world.requests(method="POST")} <= {"boot_diagnostics"}  # untouched


def test_7_a_rerun_on_a_vm_that_already_timed_out_fails_fast_and_names_the_replace_command(
    world, shared_provider, inputs
):
    vm = world.add_vm(power_off_after=None, age_minutes=90)  # created 90 minutes ago, never powered off
    checked, _ = shared_provider.check(inputs(vm, guest_timeout_minutes=60))

    started = time.monotonic()
    with pytest.raises(ProviderError) as failure:
        shared_provider.create(checked)

    assert time.monotonic() - started < 30  # not another 60 minutes
    assert f"`pulumi up --replace '{checked['vm_urn']}'`" in failure.value.details
    assert "every rerun on it fails at once" in failure.value.details


def test_1_a_killed_copy_whose_sas_expired_meanwhile_is_discarded_and_exported_again(
    world, fakes, start_provider, inputs, container
):
    vm = world.add_vm()
    fakes.proxy.copy_seconds = 120
    props = inputs(vm)
    _killed_mid_copy(world, fakes, start_provider, props)
    disk = world.disk_of(vm)
    disk.access_expires = time.monotonic()  # the run stayed dead past the grant: Azure ends the ActiveSAS state
    world.advance()
    assert disk.access_active is False
    fakes.proxy.copy_seconds = 0

    _, outs = start_provider().create(props)

    assert len(fakes.proxy.aborts) == 1 and len(fakes.proxy.copy_requests) == 2  # the stale copy, then a new one
    assert (disk.grants, disk.access_active) == (2, False)
    assert _names(fakes, container) == [export_name(props, vm)] and outs["vhd_uri"]


# --- 9 (issue 24). Ctrl-C while ARM throttles the clean-up ------------------------------------------------------


def test_9_sigint_while_arm_throttles_the_revoke_still_exits_within_the_grace_and_says_what_is_left(
    world, fakes, start_provider, inputs, container
):
    vm = world.add_vm()
    fakes.proxy.copy_seconds = 120
    world.throttle("revoke_access", retry_after_seconds=60)  # longer than the engine's grace
    provider = start_provider()
    props, _ = provider.check(inputs(vm))
    pending = provider.create_async(props)
    _copy_started(fakes)

    started = time.monotonic()
    assert provider.interrupt(grace=5.0) == "exited"  # the SDK's 60 s retry sleep did not hold the process

    assert time.monotonic() - started < 5.0
    with pytest.raises(grpc.RpcError):
        pending.result()
    assert [e.status for e in world.requests("revoke_access")] == [429]  # asked once, never retried early
    assert world.disk_of(vm).access_active and _names(fakes, container) == []
    stderr = provider.stderr()
    assert "interrupted in capture step 'export_managed_disk'" in stderr and "partial VHD deleted" in stderr
    assert "revoking access to the OS disk failed" in stderr and "429" in stderr
    assert f"a read SAS on {vm.disk_id} stays valid until the next `pulumi up` or `pulumi destroy`" in stderr
    assert "az disk revoke-access" in stderr and "sig=" not in stderr


def test_9_sigint_while_arm_throttles_the_revoke_after_a_finished_copy_says_the_sas_may_be_left(
    world, fakes, start_provider, inputs, container
):
    vm = world.add_vm()
    world.throttle("revoke_access", retry_after_seconds=60)
    provider = start_provider()
    props, _ = provider.check(inputs(vm))
    pending = provider.create_async(props)
    wait_for(lambda: world.requests("revoke_access"))  # the copy is done; the revoke was throttled

    started = time.monotonic()
    assert provider.interrupt(grace=5.0) == "exited"

    assert time.monotonic() - started < 5.0
    with pytest.raises(grpc.RpcError):
        pending.result()
    assert _names(fakes, container) == [export_name(props, vm)] and world.disk_of(vm).access_active
    stderr = provider.stderr()
    assert "interrupted in capture step 'export_managed_disk'" in stderr and "HTTP 429" in stderr
    assert f"the VHD is complete, but a read SAS on {vm.disk_id} may stay valid until the next `pulumi up`" in stderr
