"""builder-vm-managed-os-disk: a managed OS disk, no VHD uri (advisory)."""

from __future__ import annotations

from tests.policies.helpers import UNKNOWN, assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "builder-vm-managed-os-disk"
UNMANAGED_DISK = {
    "name": "builder-osdisk",
    "createOption": "FromImage",
    "caching": "ReadWrite",
    "vhd": {"uri": "https://imgdev.blob.core.windows.net/builder/builder-1.0.0-osdisk.vhd"},
}


def test_managed_disk_passes(baseline):
    assert "managedDisk" in baseline["builder-vm"].inputs["storageProfile"]["osDisk"]
    assert run(baseline).for_policy(NAME) == []


def test_unmanaged_os_disk_is_advisory(baseline):
    vm = changed(baseline["builder-vm"], "storageProfile.osDisk", UNMANAGED_DISK)
    result = single(run(stack_with(baseline, vm)), NAME)
    assert result.level == "advisory"
    assert_message_shape(result, 'VM "builder-vm"', "builder-1.0.0-osdisk.vhd", "builder.osDisk managed")
    assert_guidance(NAME, "31 Mar 2026", "builder.osDisk to managed", "exportVhd")


def test_unmanaged_uri_unknown_in_preview_still_flags_the_shape(baseline):
    vm = changed(baseline["builder-vm"], "storageProfile.osDisk", {**UNMANAGED_DISK, "vhd": {"uri": UNKNOWN}})
    assert "unknown during preview" in single(run(stack_with(baseline, vm)), NAME).message
