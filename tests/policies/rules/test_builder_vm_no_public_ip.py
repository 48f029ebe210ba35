"""builder-vm-no-public-ip: no public IP on the builder's NIC or inline IP configuration (CKV2_AZURE_39)."""

from __future__ import annotations

from tests.policies.helpers import assert_guidance, assert_message_shape, changed, run, single, stack_with

NAME = "builder-vm-no-public-ip"


def test_public_ip_on_the_nic_is_mandatory_violation(baseline):
    nic = changed(
        baseline["builder-nic"], "ipConfigurations.0.publicIPAddress", {"id": "/subscriptions/s/publicIPAddresses/pip"}
    )
    result = single(run(stack_with(baseline, nic)), NAME)
    assert result.level == "mandatory" and result.resource_type == "azure-native:network:NetworkInterface"
    assert_message_shape(
        result, 'network interface "builder-nic"', "ipConfigurations[0].publicIPAddress", "no publicIPAddress"
    )
    assert_guidance(NAME, "Remove publicIPAddress", "to the internet")


def test_inline_public_ip_on_the_vm_is_flagged(baseline):
    vm = changed(
        baseline["builder-vm"],
        "networkProfile.networkInterfaceConfigurations",
        [{"name": "nic", "ipConfigurations": [{"name": "ip", "publicIPAddressConfiguration": {"name": "pip"}}]}],
    )
    assert "publicIPAddressConfiguration" in single(run(stack_with(baseline, vm)), NAME).message
