"""builder-vm-no-public-ip: the builder VM's network interfaces have no public IP address (CKV2_AZURE_39)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule
from .._props import is_unknown, items, peek, text
from .._tokens import NETWORK_INTERFACE, VIRTUAL_MACHINE


def _check(args: ResourceValidationArgs) -> Findings:
    kind = "network interface" if args.resource_type == NETWORK_INTERFACE else "VM"
    for where, ip_config in _ip_configurations(args):
        if is_unknown(ip_config):
            continue
        for key in ("publicIPAddress", "publicIPAddressConfiguration"):
            public_ip = peek(ip_config, key)
            if public_ip is None:
                continue
            yield Finding(
                "an IP configuration has a public IP address",
                f"{where}.{key} {text(public_ip)}",
                f"no {key}: reach the builder through the virtual network (Bastion, VPN) or not at all",
                kind=kind,
            )


def _ip_configurations(args: ResourceValidationArgs) -> list[tuple[str, object]]:
    if args.resource_type == NETWORK_INTERFACE:
        return [(f"ipConfigurations[{i}]", c) for i, c in enumerate(items(args.props, "ipConfigurations"))]
    found: list[tuple[str, object]] = []
    for n, nic in enumerate(items(args.props, "networkProfile.networkInterfaceConfigurations")):
        for i, c in enumerate(items(nic, "ipConfigurations")):
            found.append((f"networkInterfaceConfigurations[{n}].ipConfigurations[{i}]", c))
    return found


REMEDIATION = (
    "Remove publicIPAddress / publicIPAddressConfiguration from the builder's IP configurations; reach the builder "
    "through the virtual network (Bastion, VPN) or not at all (setup runs from cloud-init)."
)
DESCRIPTION = (
    "The builder VM's network interface has no public IP address: it would expose the builder (and the image being "
    "made) to the internet."
)

policy = resource_rule(
    name="builder-vm-no-public-ip",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses",
    benchmark="CKV2_AZURE_39",
    topics="compute, network",
    types=[NETWORK_INTERFACE, VIRTUAL_MACHINE],
    check=_check,
    config_schema=None,
    subject="VM",
    allowed="",
)
