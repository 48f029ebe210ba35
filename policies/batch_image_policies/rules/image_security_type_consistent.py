"""image-security-type-consistent: the builder VM, the gallery image definition and every pool on it have one security
type (a stack policy: three kinds of resource). A pool whose security profile does not match its image definition's
SecurityType feature fails to create; a Trusted Launch builder captured into a Standard definition, or the reverse,
publishes an image its definition misdescribes. Absent means Standard everywhere."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs

from .._batch import VM_CONFIG
from .._graph import depends_on, of_type, pool_image_definitions, refers_to, version_definitions
from .._policy import Finding, Findings, stack_rule
from .._props import UNKNOWN, is_unknown, items, peek
from .._tokens import BATCH_POOL, CAPTURE, GALLERY_IMAGE, GALLERY_IMAGE_VERSION, VIRTUAL_MACHINE

STANDARD = "Standard"
# Where a gallery image version names the VM it is built from (as builder-vm-no-extensions reads it).
_VERSION_SOURCES = ("storageProfile.source.virtualMachineId", "storageProfile.source.id")
_VM_TYPE = "securityProfile.securityType"
_POOL_TYPE = f"{VM_CONFIG}.securityProfile.securityType"


def _canonical(value: object) -> object:
    """One spelling per type: the VM API's TrustedLaunch, Batch's trustedLaunch; absent is Standard."""
    if is_unknown(value):
        return UNKNOWN
    if not isinstance(value, str) or not value:
        return STANDARD
    return {"trustedlaunch": "TrustedLaunch", "confidentialvm": "ConfidentialVM", "standard": STANDARD}.get(
        value.lower(), value
    )


def _security_feature(definition: PolicyResource) -> object:
    """The value of the definition's SecurityType feature as set; None when it has none."""
    if is_unknown(peek(definition.props, "features")):
        return UNKNOWN
    for feature in items(definition.props, "features"):
        if is_unknown(feature):
            return UNKNOWN
        if str(peek(feature, "name", "")).lower() == "securitytype":
            return peek(feature, "value")
    return None


def _definition_type(definition: PolicyResource) -> object:
    """The type the definition's images boot as; "...Supported" values accept Standard too, so they count as it."""
    value = _security_feature(definition)
    if isinstance(value, str) and value.lower().endswith("supported"):
        return STANDARD
    return _canonical(value)


def _vm_type(vm: PolicyResource) -> object:
    return _canonical(peek(vm.props, _VM_TYPE))


def _pool_type(pool: PolicyResource) -> object:
    return _canonical(peek(pool.props, _POOL_TYPE))


def _builders(definition: PolicyResource, resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """Builder VMs whose image lands in the definition: a version of it is built from the VM, or from a capture
    step that consumes the VM."""
    versions = [v for v in of_type(resources, GALLERY_IMAGE_VERSION) if definition in version_definitions(v, resources)]
    captures = [c for c in of_type(resources, CAPTURE) if any(depends_on(v, c) for v in versions)]
    return [
        vm
        for vm in of_type(resources, VIRTUAL_MACHINE)
        if any(refers_to(v, path, vm) for v in versions for path in _VERSION_SOURCES)
        or any(refers_to(c, "vm_id", vm) or depends_on(c, vm) for c in captures)
    ]


def _shown(raw: object) -> str:
    """A value as set (the type as the resource spells it), for the message."""
    if is_unknown(raw):
        return "unknown during preview"
    return f'"{raw}"' if isinstance(raw, str) and raw else "not set (Standard)"


def _check(args: StackValidationArgs) -> Findings:
    pools = of_type(args.resources, BATCH_POOL)
    for definition in of_type(args.resources, GALLERY_IMAGE):
        expected = _definition_type(definition)
        if is_unknown(expected):
            continue
        builders = _builders(definition, args.resources)
        on_it = [p for p in pools if definition in pool_image_definitions(p, args.resources)]
        found = "; ".join(
            [
                *(f'builder VM "{vm.name}" securityType {_shown(peek(vm.props, _VM_TYPE))}' for vm in builders),
                f'gallery image "{definition.name}" SecurityType feature {_shown(_security_feature(definition))}',
                *(f'pool "{p.name}" securityType {_shown(peek(p.props, _POOL_TYPE))}' for p in on_it),
            ]
        )
        for vm in builders:
            actual = _vm_type(vm)
            if not is_unknown(actual) and actual != expected:
                yield Finding(
                    f"a {actual} builder VM is captured into a {expected} image definition",
                    found,
                    kind="builder VM",
                    resource=vm,
                )
        for pool in on_it:
            actual = _pool_type(pool)
            if not is_unknown(actual) and actual != expected:
                yield Finding(
                    f'{actual} nodes on a {expected} image (gallery image "{definition.name}"): '
                    "the pool fails to create",
                    found,
                    kind="Batch pool",
                    resource=pool,
                )


REMEDIATION = (
    "Set image.securityType (Standard | TrustedLaunch) and let the program apply it to all three; a resource changed "
    "by hand or by another program must match: builder VM securityProfile.securityType, the gallery image "
    "definition's SecurityType feature, and each pool's deploymentConfiguration.virtualMachineConfiguration"
    ".securityProfile.securityType (absent is Standard everywhere). Switching a deployed stack takes a new image.name "
    "and image.version."
)
DESCRIPTION = (
    "The builder VM, the gallery image definition and every pool on it agree on the security type (Standard or "
    "TrustedLaunch): a pool whose securityProfile does not match its image definition fails to create."
)

policy = stack_rule(
    name="image-security-type-consistent",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/virtual-machines/trusted-launch",
    benchmark="",
    topics="batch, image, trusted-launch",
    types=[VIRTUAL_MACHINE, BATCH_POOL],
    check=_check,
    config_schema=None,
    subject="resource",
    allowed=(
        "one security type on all three: builder securityType TrustedLaunch, feature SecurityType TrustedLaunch and "
        "pool securityType trustedLaunch, or none of them set (Standard)"
    ),
)
