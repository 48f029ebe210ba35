"""builder-vm-windows-access: a Windows builder VM has a generated (secret) admin password and no RDP or WinRM way in:
no WinRM listener, and no network security rule in the stack lets RDP or WinRM in (a stack policy: the password's
origin is a dependency on its generator, the rules live on the network security groups)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs

from .._graph import depends_on, of_type
from .._policy import Finding, Findings, stack_rule
from .._props import is_unknown, items, peek, text
from .._tokens import NETWORK_SECURITY_GROUP, RANDOM_PASSWORD, SECURITY_RULE, VIRTUAL_MACHINE
from .._vm import is_windows

REMOTE_PORTS = {3389: "RDP", 5985: "WinRM", 5986: "WinRM over HTTPS"}


def _check(args: StackValidationArgs) -> Findings:
    windows = [vm for vm in of_type(args.resources, VIRTUAL_MACHINE) if is_windows(vm.props)]
    if not windows:
        return
    generators = of_type(args.resources, RANDOM_PASSWORD)
    for vm in windows:
        yield from _check_vm(vm, generators)
    yield from _open_remote_ports(args.resources)


def _check_vm(vm: PolicyResource, generators: Sequence[PolicyResource]) -> Findings:
    listeners = items(vm.props, "osProfile.windowsConfiguration.winRM.listeners")
    if listeners:
        protocols = ", ".join(text(peek(listener, "protocol")) for listener in listeners)
        yield Finding(
            "a WinRM listener is configured",
            f"osProfile.windowsConfiguration.winRM.listeners [{protocols}]",
            "no winRM listeners: the build runs from custom data at the first logon",
            resource=vm,
        )
    password = peek(vm.props, "osProfile.adminPassword")
    if password is None or is_unknown(password):
        return
    if not any(depends_on(vm, generator, "osProfile") for generator in generators):
        yield Finding(
            "the admin password is not generated",
            "osProfile.adminPassword set from a value that no password generator in the stack produced",
            "an adminPassword from a generator that keeps it secret in the state (pulumi-random RandomPassword)",
            resource=vm,
        )


def _open_remote_ports(resources: Sequence[PolicyResource]) -> Findings:
    for group in of_type(resources, NETWORK_SECURITY_GROUP):
        for index, rule in enumerate(items(group.props, "securityRules")):
            yield from _rule_findings(group, f"securityRules[{index}].properties", peek(rule, "properties", rule))
    for rule in of_type(resources, SECURITY_RULE):
        yield from _rule_findings(rule, "", rule.props)


def _rule_findings(resource: PolicyResource, where: str, rule: object) -> Findings:
    if is_unknown(rule) or str(peek(rule, "direction", "")).lower() != "inbound":
        return
    if str(peek(rule, "access", "")).lower() != "allow":
        return
    ranges = [peek(rule, "destinationPortRange"), *items(rule, "destinationPortRanges")]
    opened = sorted(
        {name for r in ranges if isinstance(r, str) for port, name in REMOTE_PORTS.items() if _covers(r, port)}
    )
    if opened:
        prefix = f"{where}." if where else ""
        shown = ", ".join(text(r) for r in ranges if r is not None)
        yield Finding(
            f"an inbound rule allows {' and '.join(opened)}",
            f"{prefix}access Allow, direction Inbound, destination ports {shown}",
            "no inbound Allow rule for ports 3389, 5985 or 5986 while the stack has a Windows builder",
            kind="network security rule",
            resource=resource,
        )


def _covers(port_range: str, port: int) -> bool:
    value = port_range.strip()
    if value == "*":
        return True
    low, _, high = value.partition("-")
    try:
        return int(low) <= port <= int(high or low)
    except ValueError:
        return False


REMEDIATION = (
    "Generate the admin password (pulumi-random RandomPassword) and pass its "
    "secret output as osProfile.adminPassword; drop osProfile.windowsConfiguration.winRM listeners; remove inbound "
    "Allow rules for ports 3389/5985/5986. The build needs no login: it runs from custom data at the first logon."
)
DESCRIPTION = (
    "A Windows builder VM has a generated admin password, kept secret in the state, and nothing lets RDP or WinRM in: "
    "a chosen password can leak or be guessed, and a remote-login path to the builder can change the image."
)

policy = stack_rule(
    name="builder-vm-windows-access",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/virtual-machines/windows/connect-winrm",
    benchmark="",
    topics="compute, identity, network",
    types=[VIRTUAL_MACHINE, NETWORK_SECURITY_GROUP, SECURITY_RULE],
    check=_check,
    config_schema=None,
    subject="VM",
    allowed="",
)
