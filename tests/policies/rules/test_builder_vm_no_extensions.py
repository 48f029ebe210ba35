"""builder-vm-no-extensions (stack): no VM extension or run command on a VM the capture step consumes."""

from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.policies.helpers import (
    assert_guidance,
    assert_message_shape,
    changed,
    custom_script_inputs,
    depending,
    new,
    run,
    single,
    stack_with,
)

NAME = "builder-vm-no-extensions"
EXTENSION = "azure-native:compute:VirtualMachineExtension"
RUN_COMMAND = "azure-native:compute:VirtualMachineRunCommandByVirtualMachine"


def _extension(baseline, typ=EXTENSION, deps=True):
    vm = baseline["builder-vm"]
    return new(typ, "setup-script", custom_script_inputs(vm), {"vmName": vm} if deps else None)


@pytest.mark.parametrize("typ", [EXTENSION, RUN_COMMAND])
def test_extension_on_captured_builder_is_mandatory_violation(baseline, typ):
    extension = _extension(baseline, typ)
    result = single(run(stack_with(baseline, extension)), NAME)
    assert result.level == "mandatory" and result.stage == "stack"
    assert result.urn == extension.urn and result.resource_type == typ
    assert_message_shape(result, 'VM "builder-vm"', typ, "cloud-init")
    assert_guidance(NAME, "break pool deployment", "builder.setupScript")


def test_extension_found_by_vm_name_without_dependency(baseline):
    assert single(run(stack_with(baseline, _extension(baseline, deps=False))), NAME)


def test_extension_on_a_vm_that_is_not_captured_passes(baseline):
    stack = stack_with(baseline, _extension(baseline))
    del stack["capture"]
    external = {"source": {"id": "/external/vm"}}
    stack = stack_with(stack, changed(stack["gallery-version-1.0.0"], "storageProfile", external))
    assert run(stack).for_policy(NAME) == []


def test_capture_vm_id_unknown_in_preview_still_links_by_dependency(baseline):
    stack = stack_with(baseline, _extension(baseline), changed(baseline["capture"], "vm_id", UNKNOWN))
    assert single(run(stack), NAME)


def test_extensions_listed_on_the_captured_vm_outputs(baseline):
    vm = baseline["builder-vm"]
    agent = {"id": vm.outputs["id"] + "/extensions/AzureMonitorLinuxAgent", "name": "AzureMonitorLinuxAgent"}
    vm = changed(vm, "resources", [agent])
    result = single(run(stack_with(baseline, vm)), NAME)
    assert result.urn == vm.urn and "AzureMonitorLinuxAgent" in result.message


def test_extension_types_are_configurable(baseline):
    custom = new(
        "azure:compute/extension:Extension", "classic-ext", {"virtualMachineId": "x"}, {"vmId": baseline["builder-vm"]}
    )
    config = {NAME: {"extensionTypes": ["azure:compute/extension:Extension"]}}
    assert run(stack_with(baseline, custom)).results == []
    assert single(run(stack_with(baseline, custom), config), NAME)


def _source_vm_stack(baseline, path, deps=True):
    """The builder VM as a gallery image version's source instead of the capture step's input."""
    vm = baseline["builder-vm"]
    stack = stack_with(baseline, _extension(baseline))
    del stack["capture"]
    source = {path.rsplit(".", 1)[1]: vm.outputs["id"]}
    version = changed(stack["gallery-version-1.0.0"], "storageProfile", {"source": source})
    if deps:
        version = depending(version, "storageProfile", vm)
    return stack_with(stack, version)


@pytest.mark.parametrize("path", ["storageProfile.source.virtualMachineId", "storageProfile.source.id"])
@pytest.mark.parametrize("deps", [True, False], ids=["dependency", "id"])
def test_extension_on_a_gallery_image_versions_source_vm_is_violation(baseline, path, deps):
    result = single(run(_source_vm_stack(baseline, path, deps)), NAME)
    assert result.level == "mandatory" and result.resource_type == EXTENSION
    assert_message_shape(result, 'VM "builder-vm"', EXTENSION)


def test_source_vm_id_unknown_in_preview_still_links_by_dependency(baseline):
    stack = _source_vm_stack(baseline, "storageProfile.source.virtualMachineId")
    version = changed(stack["gallery-version-1.0.0"], "storageProfile.source.virtualMachineId", UNKNOWN)
    assert single(run(stack_with(stack, version)), NAME)
