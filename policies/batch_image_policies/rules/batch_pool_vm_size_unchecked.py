"""batch-pool-vm-size-unchecked: a pool's VM size is one the shipped size facts (data/vm_sizes.json) list, so the
compatibility gate (batch-pool-image-compatible) can check it; a size they do not list is reported, never passed
silently (the advisory half of the gate: the size may well fit, nothing here knows)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Finding, Findings, resource_rule
from .._props import is_unknown, peek, text
from .._sizes import size_facts, sizes_as_of
from .._tokens import BATCH_POOL


def _check(args: ResourceValidationArgs) -> Findings:
    size = peek(args.props, "vmSize")
    if is_unknown(size) or (isinstance(size, str) and size_facts(size) is not None):
        return
    yield Finding(
        "not checked by batch-pool-image-compatible: the size facts do not list this VM size",
        f"vmSize {text(size)}",
    )


REMEDIATION = (
    "Check the size's capabilities (`az vm list-skus --location <region> --size <size>`: HyperVGenerations, "
    "CpuArchitectureType, TrustedLaunchDisabled, DiskControllerTypes) against the image, and add the size to "
    "policies/batch_image_policies/data/vm_sizes.json with its source so the gate checks it."
)
DESCRIPTION = (
    "Each pool's VM size is in the compatibility gate's size facts (data/vm_sizes.json): a size they do not list is "
    "not checked for VM generation, architecture, Trusted Launch or disk controller."
)

policy = resource_rule(
    name="batch-pool-vm-size-unchecked",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    url="https://learn.microsoft.com/rest/api/compute/resource-skus/list",
    benchmark="",
    topics="batch, compute",
    types=[BATCH_POOL],
    check=_check,
    config_schema=None,
    subject="Batch pool",
    allowed=f"a size listed in data/vm_sizes.json (as of {sizes_as_of()})",
)
