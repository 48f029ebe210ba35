"""builder-vm-no-extension-operations: builder VMs refuse extension operations (CKV_AZURE_50)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from .._policy import Findings, expect_flag, resource_rule
from .._props import keys
from .._tokens import VIRTUAL_MACHINE


def _check(args: ResourceValidationArgs) -> Findings:
    if not keys(args.props, "osProfile"):
        return  # no guest OS profile (a VM from an attached disk): nothing to set
    yield from expect_flag(args.props, "osProfile.allowExtensionOperations", False, "extension operations are allowed")


REMEDIATION = (
    "Set osProfile.allowExtensionOperations to false on the builder VM (the program does; Azure accepts it only while "
    "the VM has no extensions). Setup runs from the builder's cloud-init custom data (builder.setupScript), never "
    "through an extension or Run Command."
)
DESCRIPTION = (
    "Builder VMs refuse extension operations (osProfile.allowExtensionOperations false): an extension installed on "
    "the builder, by the stack or anyone with access, is captured into the image, and Batch warns that pre-installed "
    "extensions break pool deployment."
)

policy = resource_rule(
    name="builder-vm-no-extension-operations",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    url="https://learn.microsoft.com/azure/virtual-machines/extensions/overview",
    benchmark="CKV_AZURE_50",
    topics="compute, image",
    types=[VIRTUAL_MACHINE],
    check=_check,
    config_schema=None,
    subject="VM",
    allowed="osProfile.allowExtensionOperations false",
)
