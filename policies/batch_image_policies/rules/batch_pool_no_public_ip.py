"""batch-pool-no-public-ip: pool nodes get no public IP address (they sit in the user's subnet with
`networkConfiguration.publicIPAddressConfiguration.provision: NoPublicIPAddresses`)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule
from .._props import is_unknown, peek, text
from .._tokens import BATCH_POOL

NO_PUBLIC_IPS = "NoPublicIPAddresses"  # IPAddressProvisioningType in the Batch management API (2024-07-01)
_PROVISION = "networkConfiguration.publicIPAddressConfiguration.provision"


def _check(args: ResourceValidationArgs) -> Findings:
    provision = peek(args.props, _PROVISION)
    if is_unknown(provision) or is_unknown(peek(args.props, "networkConfiguration")) or provision == NO_PUBLIC_IPS:
        return
    found = (
        f"{_PROVISION} {text(provision)}"
        if provision is not None
        else f"no {_PROVISION} (Batch's default: BatchManaged public IP addresses)"
    )
    yield Finding("the pool's nodes get public IP addresses", found)


REMEDIATION = (
    "Put the pool in a subnet of yours and give its nodes no public IP address: in this program, "
    "pools[].subnetId: <subnet id> and pools[].publicIPs: None (networkConfiguration.subnetId and "
    'publicIPAddressConfiguration.provision "NoPublicIPAddresses"). The subnet then needs outbound access to Batch '
    "(BatchNodeManagement.<region>, port 443) and Storage through your NAT gateway or firewall. Set this policy to "
    'mandatory in the pack config ({"batch-pool-no-public-ip": "mandatory"}) to require it.'
)
DESCRIPTION = (
    "Batch pool nodes have no public IP address: by default Batch gives every pool a Batch-managed public IP, which "
    "exposes the nodes' inbound endpoints to the internet; enterprise pools run in the user's subnet with outbound "
    "through their own NAT or firewall. Advisory by default: it needs a virtual network this program does not create."
)

policy = resource_rule(
    name="batch-pool-no-public-ip",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/batch/simplified-node-communication-pool-no-public-ip",
    benchmark="",
    topics="batch, network",
    types=[BATCH_POOL],
    check=_check,
    config_schema=None,
    subject="Batch pool",
    allowed='networkConfiguration.subnetId with publicIPAddressConfiguration.provision "NoPublicIPAddresses"',
)
