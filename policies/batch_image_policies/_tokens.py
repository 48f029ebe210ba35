"""Resource type tokens the policies look at (as the engine reports them)."""

from __future__ import annotations

import re

RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_CONTAINER = "azure-native:storage:BlobContainer"
NETWORK_INTERFACE = "azure-native:network:NetworkInterface"
VIRTUAL_MACHINE = "azure-native:compute:VirtualMachine"
VM_EXTENSION = "azure-native:compute:VirtualMachineExtension"
VM_RUN_COMMAND = "azure-native:compute:VirtualMachineRunCommandByVirtualMachine"
GALLERY = "azure-native:compute:Gallery"
GALLERY_IMAGE = "azure-native:compute:GalleryImage"
GALLERY_IMAGE_VERSION = "azure-native:compute:GalleryImageVersion"
MANAGED_IMAGE = "azure-native:compute:Image"  # retired as a Batch pool image
KEY_VAULT = "azure-native:keyvault:Vault"
KEY_VAULT_ACCESS_POLICY = "azure-native:keyvault:AccessPolicy"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
BATCH_ACCOUNT = "azure-native:batch:BatchAccount"
BATCH_POOL = "azure-native:batch:Pool"
# The program's capture step (a Pulumi dynamic resource, components/capture/resource.py).
CAPTURE = "pulumi-python:dynamic/capture:GeneralizedImage"

# Resources that install a VM extension or run command on a VM (the extension-like resources).
DEFAULT_EXTENSION_TYPES = (VM_EXTENSION, VM_RUN_COMMAND)

# An explicitly versioned azure-native token names the same resource type at a pinned API version:
# azure-native:storage/v20230101:StorageAccount is azure-native:storage:StorageAccount (also v20230101preview).
_VERSIONED = re.compile(r"^(azure-native:[^:/]+)/v\d{8}(?:preview)?(:[^:]+)$", re.IGNORECASE)


def base_type(token: str) -> str:
    """The type token without an explicit API version, the one the policies match: every comparison of a resource's
    type goes through here (resource_rule, stack_rule, _graph.of_type)."""
    match = _VERSIONED.match(token)
    return f"{match.group(1)}{match.group(2)}" if match else token


NETWORK_SECURITY_GROUP = "azure-native:network:NetworkSecurityGroup"
SECURITY_RULE = "azure-native:network:SecurityRule"
# The generator of the Windows builder's admin password: pulumi-random keeps `result` secret in the state.
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
