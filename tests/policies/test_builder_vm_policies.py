"""Builder VM policies checked per resource: managed OS disk, SSH keys only, no public IP, no secrets in custom data."""

from __future__ import annotations

import pytest

from tests.policies.helpers import assert_message_shape, run, single, with_changes
from tests.policies.stack import DELETE, UNKNOWN, changed, custom_data, dev_stack, secret

VM = dev_stack()["vm"]
NIC = dev_stack()["nic"]
UNMANAGED_DISK = {
    "name": "builder-osdisk",
    "createOption": "FromImage",
    "caching": "ReadWrite",
    "vhd": {"uri": "https://imgdev.blob.core.windows.net/builder/builder-1.0.0-osdisk.vhd"},
}


def test_unmanaged_os_disk_is_advisory():
    result = single(
        run(with_changes(vm=changed(VM, "storageProfile.osDisk", UNMANAGED_DISK))), "builder-vm-managed-os-disk"
    )
    assert result.level == "advisory"
    assert_message_shape(
        result, 'VM "builder-vm"', "builder-1.0.0-osdisk.vhd", "builder.osDisk to managed", "31 Mar 2026"
    )


def test_unmanaged_uri_unknown_in_preview_still_flags_the_shape():
    disk = {**UNMANAGED_DISK, "vhd": {"uri": UNKNOWN}}
    result = single(run(with_changes(vm=changed(VM, "storageProfile.osDisk", disk))), "builder-vm-managed-os-disk")
    assert "unknown during preview" in result.message


@pytest.mark.parametrize("value", [False, DELETE])
def test_password_authentication_is_mandatory_violation(value):
    vm = changed(VM, "osProfile.linuxConfiguration.disablePasswordAuthentication", value)
    result = single(run(with_changes(vm=vm)), "builder-vm-ssh-key-only")
    assert result.level == "mandatory"
    assert_message_shape(result, "disablePasswordAuthentication", "set disablePasswordAuthentication to true")


def test_windows_builder_is_not_judged_by_the_linux_rule():
    vm = changed(VM, "osProfile.linuxConfiguration", DELETE)
    vm = changed(vm, "osProfile.windowsConfiguration", {"provisionVMAgent": True})
    vm = changed(vm, "osProfile.adminPassword", secret("S3cret!S3cret!"))
    assert run(with_changes(vm=vm)).results == []


def test_public_ip_on_the_nic_is_mandatory_violation():
    nic = changed(NIC, "ipConfigurations.0.publicIPAddress", {"id": "/subscriptions/s/publicIPAddresses/pip"})
    result = single(run(with_changes(nic=nic)), "builder-vm-no-public-ip")
    assert result.level == "mandatory" and result.resource_type == "azure-native:network:NetworkInterface"
    assert_message_shape(
        result, 'network interface "builder-nic"', "ipConfigurations[0].publicIPAddress", "remove publicIPAddress"
    )


def test_inline_public_ip_on_the_vm_is_flagged():
    vm = changed(
        VM,
        "networkProfile.networkInterfaceConfigurations",
        [{"name": "nic", "ipConfigurations": [{"name": "ip", "publicIPAddressConfiguration": {"name": "pip"}}]}],
    )
    result = single(run(with_changes(vm=vm)), "builder-vm-no-public-ip")
    assert "publicIPAddressConfiguration" in result.message


@pytest.mark.parametrize(
    ("secret_text", "kind"),
    [
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
            "a private key block",
        ),
        (
            "AZ=DefaultEndpointsProtocol=https;AccountName=imgdev;AccountKey=Zm9vYmFyYmF6cXV4cXV1eA==;",
            "connection string",
        ),
        ("  - curl 'https://imgdev.blob.core.windows.net/x?sv=2024&sig=abcdefghijklmnopqrstuv%3D'", "SAS token"),
        ("chpasswd:\n  list: |\n    builder:pw\nadmin_password: Hunter2Hunter2", "(admin_password)"),
    ],
)
def test_secrets_in_custom_data_are_advisory_and_not_echoed(secret_text, kind):
    vm = changed(VM, "osProfile.customData", custom_data("#cloud-config\nruncmd:\n" + secret_text + "\n"))
    result = single(run(with_changes(vm=vm)), "builder-vm-no-secrets-in-custom-data")
    assert result.level == "advisory" and kind in result.message
    assert_message_shape(result, "osProfile.customData")
    for value in ("Zm9vYmFyYmF6cXV4cXV1eA", "abcdefghijklmnop", "Hunter2", "b3BlbnNzaC1rZXkt"):
        assert value not in result.message


def test_secret_wrapped_custom_data_is_scanned_too():
    data = secret(custom_data("#cloud-config\nwrite_files:\n  - content: 'client_secret=abcd1234efgh'\n"))
    result = single(
        run(with_changes(vm=changed(VM, "osProfile.customData", data))), "builder-vm-no-secrets-in-custom-data"
    )
    assert "(client_secret)" in result.message


def test_cloud_config_without_secrets_passes():
    # ssh_pwauth: false, --password-stdin and "$REGISTRY_TOKEN" are not secrets (the dev stack's cloud-config)
    assert run(with_changes()).results == []


def test_extra_pattern_option():
    config = {"builder-vm-no-secrets-in-custom-data": {"extraPatterns": ["example\\.azurecr\\.io"]}}
    result = single(run(with_changes(), config), "builder-vm-no-secrets-in-custom-data")
    assert "configured pattern" in result.message


def test_vm_sizes_outside_the_allow_list_are_mandatory_violations():
    stack = with_changes()
    stack["pool"] = changed(stack["pool"], "vmSize", "Standard_NC24ads_A100_v4")
    config = {"vm-size-allowed": {"allowedVmSizes": ["standard_d2ds_v5", "Standard_D4ds_v5"]}}
    assert run(stack).results == []  # no allow-list: any size
    results = run(stack, config).for_policy("vm-size-allowed")
    assert [(r.resource_name, r.level) for r in results] == [("render", "mandatory")]
    assert_message_shape(results[0], 'vmSize "Standard_NC24ads_A100_v4"', "Standard_D4ds_v5")
    config["vm-size-allowed"]["allowedVmSizes"] = ["Standard_D4ds_v5"]
    stack["pool"] = changed(stack["pool"], "vmSize", "Standard_D4ds_v5")
    [result] = run(stack, config).for_policy("vm-size-allowed")
    assert result.resource_name == "builder-vm" and "hardwareProfile.vmSize" in result.message
