"""batch-pool-disk-encryption: pool node disks are encrypted (Azure Policy 1760f9d4)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._batch import VM_CONFIG
from .._policy import Finding, Findings, resource_rule, schema, str_list_option, string_list
from .._props import is_unknown, items, peek, text
from .._tokens import BATCH_POOL

OPTIONS = schema(
    requiredTargets=string_list("Disk encryption targets required (OsDisk, TemporaryDisk).", ["TemporaryDisk"])
)


def _check(args: ResourceValidationArgs) -> Findings:
    required = str_list_option(args.get_config(), "requiredTargets", ["TemporaryDisk"])
    targets = peek(args.props, f"{VM_CONFIG}.diskEncryptionConfiguration.targets")
    at_host = peek(args.props, f"{VM_CONFIG}.securityProfile.encryptionAtHost")
    if is_unknown(targets) or is_unknown(at_host) or at_host is True:
        return
    listed = [t for t in items(args.props, f"{VM_CONFIG}.diskEncryptionConfiguration.targets") if isinstance(t, str)]
    if targets is not None and all(t in listed for t in required):
        return
    yield Finding(
        "node disks are not encrypted",
        f"diskEncryptionConfiguration.targets {text(targets)}, securityProfile.encryptionAtHost {text(at_host)}",
        f"diskEncryptionConfiguration.targets including {', '.join(required)}, or securityProfile.encryptionAtHost "
        "true",
    )


REMEDIATION = (
    "Set diskEncryptionConfiguration.targets to include the required targets, or securityProfile.encryptionAtHost "
    "true on a VM size that supports it. Azure rejects diskEncryptionConfiguration on Linux pools from gallery images "
    "and encryption at host in UserSubscription accounts, so such stacks may set this policy to disabled."
)
DESCRIPTION = (
    "Pool node disks are encrypted (disk encryption targets or encryption at host): temporary and OS disks can hold "
    "task data at rest."
)

policy = resource_rule(
    name="batch-pool-disk-encryption",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/batch/disk-encryption",
    benchmark="1760f9d4",
    topics="batch, encryption",
    types=[BATCH_POOL],
    check=_check,
    config_schema=OPTIONS,
    subject="Batch pool",
    allowed="",
)
