"""Resource type tokens the policies look at (as the engine reports them)."""

from __future__ import annotations

RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_CONTAINER = "azure-native:storage:BlobContainer"
NETWORK_INTERFACE = "azure-native:network:NetworkInterface"
VIRTUAL_MACHINE = "azure-native:compute:VirtualMachine"
VM_EXTENSION = "azure-native:compute:VirtualMachineExtension"
VM_RUN_COMMAND = "azure-native:compute:VirtualMachineRunCommandByVirtualMachine"
GALLERY_IMAGE = "azure-native:compute:GalleryImage"
GALLERY_IMAGE_VERSION = "azure-native:compute:GalleryImageVersion"
KEY_VAULT = "azure-native:keyvault:Vault"
KEY_VAULT_ACCESS_POLICY = "azure-native:keyvault:AccessPolicy"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
BATCH_ACCOUNT = "azure-native:batch:BatchAccount"
BATCH_POOL = "azure-native:batch:Pool"
# The program's capture step (a Pulumi dynamic resource, components/capture/resource.py).
CAPTURE = "pulumi-python:dynamic/capture:GeneralizedImage"

# Resources that install a VM extension or run command on a VM (the extension-like resources).
DEFAULT_EXTENSION_TYPES = (VM_EXTENSION, VM_RUN_COMMAND)
