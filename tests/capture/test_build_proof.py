"""The build proof through the fakes: the guest's markers in the storage account, not the serial log, gate the capture.

The simulated guest writes its markers into Azurite with Put Blob and a bearer token (fakes/arm_world.py FakeGuest);
the provider reads them through its blob endpoint, like the VHDs.
"""

from __future__ import annotations

import time

import pytest

from fakes.provider_process import ProviderError
from tests.capture.conftest import export_name, wait_for


def _vhds(fakes, container):
    return [b.name for b in fakes.azurite.admin().get_container_client(container).list_blobs()]


def test_a_windows_build_whose_com1_cannot_be_opened_completes_through_the_capture(
    world, fakes, shared_provider, inputs, container
):
    vm = world.add_vm(os_type="Windows", com1=False)  # the Special Administration Console holds COM1
    checked, _ = shared_provider.check(inputs(vm, os_type="Windows"))

    _, outs = shared_provider.create(checked)

    assert vm.serial_log == "" and world.markers(vm) == [
        f"{vm.instance_id}/generalized",
        f"{vm.instance_id}/setup-done",
    ]
    assert vm.power == "deallocated" and vm.generalized_time and outs["vm_instance_id"] == vm.instance_id
    assert _vhds(fakes, container) == [export_name(checked, vm)]


def test_a_marker_written_for_another_vm_id_is_refused(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm(marker_vm_id="11111111-2222-3333-4444-555555555555")  # markers copied from another VM
    checked, _ = shared_provider.check(inputs(vm))

    with pytest.raises(ProviderError) as failure:
        shared_provider.create(checked)

    assert "does not name this VM instance" in failure.value.details
    assert "11111111-2222-3333-4444-555555555555" in failure.value.details
    assert vm.generalized_time is None and world.disk_of(vm).grants == 0 and _vhds(fakes, container) == []


def test_a_windows_guest_that_failed_stops_the_build_at_once_with_its_log_tail(world, shared_provider, inputs):
    vm = world.add_vm(
        os_type="Windows",
        com1=False,
        failure="batch-image: setup FAILED (exit code 1); last lines of C:\\batch-image-build\\setup.log:\n"
        "Install-WindowsFeature : The source files could not be found.",
    )
    checked, _ = shared_provider.check(inputs(vm, os_type="Windows", guest_timeout_minutes=60))

    started = time.monotonic()
    with pytest.raises(ProviderError) as failure:
        shared_provider.create(checked)

    assert time.monotonic() - started < 30  # not the 60-minute deadline
    details = failure.value.details
    assert "capture step 'wait_for_guest_power_off' failed" in details and "reported a failure" in details
    assert "The source files could not be found." in details and vm.power == "running"


def test_a_vm_stopped_without_a_marker_is_refused(world, fakes, shared_provider, inputs, container):
    vm = world.add_vm(deprovisioned=False)  # its serial log even says it deprovisioned: no proof
    world.set_serial_log(vm, f"batch-image: deprovisioned vm {vm.instance_id}\n")
    checked, _ = shared_provider.check(inputs(vm))

    with pytest.raises(ProviderError) as failure:
        shared_provider.create(checked)

    assert "is stopped but never proved that it deprovisioned" in failure.value.details
    assert vm.generalized_time is None and _vhds(fakes, container) == []


def test_a_vm_already_generalized_without_a_marker_is_refused_and_not_exported(
    world, fakes, shared_provider, inputs, container
):
    vm = world.add_vm(power="deallocated", generalized=True, deprovisioned=False)  # generalized by hand
    checked, _ = shared_provider.check(inputs(vm))

    with pytest.raises(ProviderError) as failure:
        shared_provider.create(checked)

    assert "is deallocated and already generalized but never proved that it deprovisioned" in failure.value.details
    assert world.disk_of(vm).grants == 0 and _vhds(fakes, container) == []


def test_the_fake_guest_writes_its_generalized_marker_just_before_it_powers_off_and_never_without_it(world):
    """As components/cloud_init.py and image/build-driver.ps1 do: setup-done when the setup ends, generalized once
    deprovisioned, then the power-off; a guest still running its setup has only proved its setup."""
    vm = world.add_vm(power_off_after=None)  # still setting up
    world.advance()
    assert world.markers(vm) == [f"{vm.instance_id}/setup-done"] and vm.power == "running"

    vm.power_off_at = time.monotonic() + world.shutdown_seconds / 2  # deprovisioned: the shutdown is under way
    world.advance()
    assert f"{vm.instance_id}/generalized" in world.markers(vm) and vm.power == "running"

    wait_for(lambda: (world.advance(), vm.power == "stopped")[1], 5)  # then the power-off
