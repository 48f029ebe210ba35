"""builder-vm-no-extensions: no VM extension or run command on a builder VM that is captured into the image (a stack
policy: it needs the capture resource, or the gallery image version built from the VM, to know which VM is
captured)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs

from .._graph import depends_on, known_str, names_of, of_type, refers_to
from .._policy import Finding, Findings, schema, stack_rule, str_list_option, string_list
from .._props import items, text
from .._tokens import CAPTURE, DEFAULT_EXTENSION_TYPES, GALLERY_IMAGE_VERSION, VIRTUAL_MACHINE

OPTIONS = schema(
    extensionTypes=string_list(
        "Resource type tokens that install an extension or run a command on a VM.", list(DEFAULT_EXTENSION_TYPES)
    )
)


# Where a gallery image version names a VM it is built from (a VM source, API 2021-10-01 on, or the older id).
_VERSION_SOURCES = ("storageProfile.source.virtualMachineId", "storageProfile.source.id")


def captured_vms(resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """VMs captured into an image: a capture step consumes the VM (its vm_id is the VM's id, or it depends on the VM),
    or a gallery image version is built from it (its storageProfile source is the VM's id, or depends on the VM)."""
    captures = of_type(resources, CAPTURE)
    versions = of_type(resources, GALLERY_IMAGE_VERSION)
    return [
        vm
        for vm in of_type(resources, VIRTUAL_MACHINE)
        if any(refers_to(c, "vm_id", vm) or depends_on(c, vm) for c in captures)
        or any(refers_to(v, path, vm) for v in versions for path in _VERSION_SOURCES)
    ]


def _targets(extension: PolicyResource, vm: PolicyResource) -> bool:
    if depends_on(extension, vm):
        return True
    vm_names = names_of(vm, "name", "vmName")
    return bool(names_of(extension, "vmName") & vm_names)


def _check(args: StackValidationArgs) -> Findings:
    extension_types = str_list_option(args.get_config(), "extensionTypes", list(DEFAULT_EXTENSION_TYPES))
    for vm in captured_vms(args.resources):
        for extension in of_type(args.resources, *extension_types):
            if _targets(extension, vm):
                yield Finding(
                    "an extension or run command targets the builder VM that is captured into the image",
                    f'{extension.resource_type} "{extension.name}"',
                    resource=vm,
                    reported_on=extension,
                )
        installed = [e for e in items(vm.props, "resources") if e is not None]
        if installed:
            names = [known_str(e, "name") or known_str(e, "id") or text(e) for e in installed]
            yield Finding("the captured builder VM carries extensions", f"resources {', '.join(names)}", resource=vm)


REMEDIATION = (
    "Remove the extension or run command resource (and any extension in the builder's base image); put the setup in "
    "the builder's cloud-init custom data (builder.setupScript) and let the capture step generalize the VM."
)
DESCRIPTION = (
    "No VM extension or run command on a builder VM that is captured into the image (by the capture step, or as a "
    "gallery image version's source VM): Batch warns that extensions "
    "pre-installed in a custom image break pool deployment, and deprovisioning through Run Command hangs because the "
    "agent removes itself (WALinuxAgent#3547)."
)

policy = stack_rule(
    name="builder-vm-no-extensions",
    description=DESCRIPTION,
    remediation_steps=REMEDIATION,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    url="https://learn.microsoft.com/azure/batch/batch-sig-images",
    benchmark="",
    topics="compute, image",
    types=[VIRTUAL_MACHINE],
    check=_check,
    config_schema=OPTIONS,
    subject="VM",
    allowed="no extension or run command on a VM that is captured; setup in the builder's cloud-init custom data",
)
