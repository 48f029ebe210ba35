"""Check and Diff over gRPC: one clear failure per bad property; what replaces and what is ignored."""

from __future__ import annotations

import pytest
from pulumi.runtime.proto import provider_pb2
from pulumi.runtime.rpc import UNKNOWN

from fakes.arm_world import vm_id

pytestmark = pytest.mark.azurite


@pytest.fixture
def good(inputs, world):
    return inputs(world.add_vm(managed=True))


BAD = [
    ("vm_id", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/disks/d", "ARM id of a virtual machine"),
    ("os_disk_mode", "ephemeral", "one of managed, unmanaged"),
    ("os_type", "linux", "one of Linux, Windows"),
    ("image_version", "1.0", "MAJOR.MINOR.PATCH"),
    ("export_vhd", "yes", "true or false"),
    ("storage_account_id", "imgacct", "ARM id of a storage account"),
    ("blob_endpoint", "http://imgacct.blob.core.windows.net/", "https blob endpoint"),
    ("vhd_container", "Images", "3-63 lowercase letters"),
    ("vhd_prefix", "app/node", "1-70 letters"),
    ("vm_urn", "builder-vm", "Pulumi URN"),
    ("guest_timeout_minutes", 0, "greater than 0 and at most 1440"),
    ("guest_timeout_minutes", 2000, "greater than 0 and at most 1440"),
    ("retain_vhd_on_delete", "no", "true or false"),
]


@pytest.mark.parametrize(("key", "value", "allowed"), BAD, ids=[f"{k}={v}" for k, v, _ in BAD])
def test_check_names_the_key_the_value_and_what_is_allowed(shared_provider, good, key, value, allowed):
    _, failures = shared_provider.check({**good, key: value})

    assert len(failures) == 1
    prop, reason = failures[0]
    assert prop == key and allowed in reason and repr(value) in reason


def test_check_reports_every_bad_property_once(shared_provider, good):
    _, failures = shared_provider.check({**good, "os_type": "BeOS", "vhd_prefix": "", "image_version": "x"})

    assert sorted(p for p, _ in failures) == ["image_version", "os_type", "vhd_prefix"]


def test_check_accepts_the_program_inputs_and_unknowns_during_preview(shared_provider, good):
    checked, failures = shared_provider.check({**good, "vm_id": UNKNOWN, "blob_endpoint": UNKNOWN})

    assert failures == []
    assert checked["guest_timeout_minutes"] == good["guest_timeout_minutes"]


def test_check_needs_no_vhd_destination_without_a_vhd(shared_provider, good):
    _, failures = shared_provider.check({**good, "export_vhd": False, "vhd_container": "", "storage_account_id": ""})

    assert failures == []


def test_check_needs_the_blob_endpoint_even_without_a_vhd_since_the_proof_is_read_there(shared_provider, good):
    _, failures = shared_provider.check(
        {**good, "export_vhd": False, "vhd_container": "", "blob_endpoint": "", "storage_account_id": ""}
    )

    assert [prop for prop, _ in failures] == ["blob_endpoint"]
    assert "blob endpoint" in failures[0][1]


OUTS = {"vhd_uri": "https://a/b/c.vhd", "generalized_time": "2026-01-01T00:00:00Z", "os_disk_id": "/d"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("vm_id", vm_id("another")),
        ("image_version", "2.0.0"),
        ("os_disk_mode", "unmanaged"),
        ("vhd_container", "other"),
        ("vhd_prefix", "app-node-2.0.0"),
        ("blob_endpoint", "https://other.blob.core.windows.net/"),
        ("vm_id", UNKNOWN),
    ],
)
def test_diff_replaces_on_a_new_capture(shared_provider, good, key, value):
    diff = shared_provider.diff("id", {**good, **OUTS}, {**good, key: value})

    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == [key]


def test_diff_removes_the_old_vhd_first_only_when_the_replacement_writes_the_same_blob(shared_provider, good):
    """The VHD's name is keyed on the VM instance and version: only the same VM and destination reuse it."""
    same_blob = shared_provider.diff("id", {**good, **OUTS}, {**good, "os_type": "Windows"})
    new_version = shared_provider.diff("id", {**good, **OUTS}, {**good, "image_version": "2.0.0"})
    new_vm = shared_provider.diff("id", {**good, **OUTS}, {**good, "vm_id": vm_id("rebuilt")})

    assert same_blob.deleteBeforeReplace is True
    assert new_version.deleteBeforeReplace is False and new_vm.deleteBeforeReplace is False


@pytest.mark.parametrize(("key", "value"), [("guest_timeout_minutes", 5), ("vm_urn", "urn:pulumi:dev::p::t::renamed")])
def test_diff_ignores_the_guest_timeout_and_the_vm_urn(shared_provider, good, key, value):
    diff = shared_provider.diff("id", {**good, **OUTS}, {**good, key: value})

    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE


def test_check_refuses_new_image_content_under_the_version_already_built(shared_provider, good):
    olds = {**good, "image_content": {**good["image_content"], "setupScript": "0" * 64, "vmSize": "Standard_D2s_v3"}}

    _, failures = shared_provider.check(good, olds)

    assert len(failures) == 1
    prop, reason = failures[0]
    assert prop == "image_content" and "(setupScript, vmSize)" in reason
    assert f"image.version is still {good['image_version']}" in reason
    assert "Set batch-custom-image:image.version to 1.0.1 (or revert the change)" in reason
    assert "userData" not in reason


def test_a_program_upgrade_that_changes_the_guest_setup_is_told_to_bump_or_retire(shared_provider, good):
    olds = {**good, "image_content": {**good["image_content"], "userData": "0" * 64}}  # the guest setup before

    _, failures = shared_provider.check(good, olds)

    [(prop, reason)] = failures
    assert prop == "image_content" and "(userData)" in reason and "to 1.0.1" in reason
    assert "a program upgrade that changed it needs a new image.version too" in reason
    assert "image.builder.enabled: false" in reason


def test_check_refuses_a_new_marketplace_version_under_the_version_already_built(shared_provider, good):
    # `baseImage.version: latest` reaches the capture resolved (components/base_image.py): the marketplace moved on
    base = good["image_content"]["baseImage"]
    assert not base.endswith(":latest")
    olds = {
        **good,
        "image_content": {**good["image_content"], "baseImage": base.rsplit(":", 1)[0] + ":24.04.202401010"},
    }

    _, failures = shared_provider.check(good, olds)

    assert [prop for prop, _ in failures] == ["image_content"] and "(baseImage)" in failures[0][1]


def test_check_accepts_new_content_with_a_new_version_and_states_written_before_content_was_recorded(
    shared_provider, good
):
    changed = {**good["image_content"], "setupScript": "0" * 64}
    olds = {**good, "image_content": changed}
    _, with_new_version = shared_provider.check({**good, "image_version": "1.0.1"}, olds)
    _, from_old_state = shared_provider.check(good, {k: v for k, v in good.items() if k != "image_content"})

    assert with_new_version == [] and from_old_state == []


def test_a_state_written_before_image_content_was_recorded_is_updated_not_rebuilt(shared_provider, good):
    olds = {k: v for k, v in {**good, **OUTS}.items() if k != "image_content"}

    diff = shared_provider.diff("id", olds, good)
    updated = shared_provider.update("id", olds, good)

    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    assert updated["image_content"] == good["image_content"] and updated["vhd_uri"] == OUTS["vhd_uri"]
