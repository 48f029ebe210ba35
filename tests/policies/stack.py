"""A dev-like stack as the engine presents it to the policy pack: type tokens, wire (camelCase) inputs, outputs
(inputs echoed plus computed ids), parents and dependencies. Tests take it and change one thing.

Property names were checked against pulumi-azure-native 3.29.0 (test_wire_names.py registers the same resources
through the SDK and compares the shapes).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from pulumi.runtime.rpc import UNKNOWN

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-dev"
REGION = "westeurope"
BATCH_SP = "11111111-2222-3333-4444-555555555555"  # Microsoft Azure Batch's object id in the test tenant
DEPLOYER = "99999999-8888-7777-6666-555555555555"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
PROJECT = "batch-custom-image"
T = TypeVar("T")


def secret(value: Any) -> dict[str, Any]:
    """A secret as RegisterResource sends it."""
    return {**SECRET_SIG, "value": value}


def arm(provider_path: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{provider_path}"


def urn(typ: str, name: str) -> str:
    return f"urn:pulumi:dev::{PROJECT}::{typ}::{name}"


@dataclass(frozen=True)
class Res:
    """A record with the fields of tools.policy_runner.ResourceRecord (and of tools/offline.py's records)."""

    typ: str
    name: str
    urn: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    parent: str = ""
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    custom: bool = True


CLOUD_CONFIG = """#cloud-config
ssh_pwauth: false
package_update: true
packages: [jq, unzip]
write_files:
  - path: /opt/batch-image/VERSION
    content: "1.0.0"
runcmd:
  - [bash, /opt/batch-image/setup.sh]
  - echo "$REGISTRY_TOKEN" | docker login --password-stdin example.azurecr.io
"""


def custom_data(text: str = CLOUD_CONFIG) -> str:
    return base64.b64encode(text.encode()).decode()


def _res(
    typ: str,
    name: str,
    inputs: dict[str, Any],
    arm_id: str | None,
    deps: Mapping[str, Res] | None = None,
    extra_outputs: dict[str, Any] | None = None,
) -> Res:
    """deps: input name -> the resource that input comes from."""
    deps = deps or {}
    outputs = {**copy.deepcopy(inputs), **({"id": arm_id} if arm_id else {}), **(extra_outputs or {})}
    return Res(
        typ=typ,
        name=name,
        urn=urn(typ, name),
        inputs=inputs,
        outputs=outputs,
        dependencies=tuple(dict.fromkeys(d.urn for d in deps.values())),
        property_dependencies={k: (d.urn,) for k, d in deps.items()},
    )


def dev_stack() -> dict[str, Res]:
    """The resources of a good dev stack (managed builder, UserSubscription account, one fixed pool)."""
    r: dict[str, Res] = {}
    r["rg"] = _res(
        "azure-native:resources:ResourceGroup",
        "rg",
        {"location": REGION},
        f"/subscriptions/{SUB}/resourceGroups/{RG}",
        extra_outputs={"name": RG},
    )
    rg = {"resourceGroupName": r["rg"]}
    r["sa"] = _res(
        "azure-native:storage:StorageAccount",
        "image",
        {
            "resourceGroupName": RG,
            "location": REGION,
            "kind": "StorageV2",
            "sku": {"name": "Standard_LRS"},
            "enableHttpsTrafficOnly": True,
            "minimumTlsVersion": "TLS1_2",
            "allowBlobPublicAccess": False,
            "allowSharedKeyAccess": False,
        },
        arm("Microsoft.Storage/storageAccounts/imgdev"),
        rg,
        {"name": "imgdev", "primaryEndpoints": {"blob": "https://imgdev.blob.core.windows.net/"}},
    )
    r["container"] = _res(
        "azure-native:storage:BlobContainer",
        "vhds",
        {"resourceGroupName": RG, "accountName": "imgdev", "publicAccess": "None"},
        arm("Microsoft.Storage/storageAccounts/imgdev/blobServices/default/containers/vhds"),
        {**rg, "accountName": r["sa"]},
    )
    r["nic"] = _res(
        "azure-native:network:NetworkInterface",
        "builder-nic",
        {
            "resourceGroupName": RG,
            "location": REGION,
            "ipConfigurations": [
                {
                    "name": "primary",
                    "subnet": {"id": arm("Microsoft.Network/virtualNetworks/v/subnets/s")},
                    "privateIPAllocationMethod": "Dynamic",
                }
            ],
        },
        arm("Microsoft.Network/networkInterfaces/builder-nic"),
        rg,
    )
    vm_id = arm("Microsoft.Compute/virtualMachines/builder-vm")
    r["vm"] = _res(
        "azure-native:compute:VirtualMachine",
        "builder-vm",
        {
            "resourceGroupName": RG,
            "location": REGION,
            "hardwareProfile": {"vmSize": "Standard_D2ds_v5"},
            "storageProfile": {
                "imageReference": {
                    "publisher": "Canonical",
                    "offer": "ubuntu-24_04-lts",
                    "sku": "server",
                    "version": "latest",
                },
                "osDisk": {
                    "createOption": "FromImage",
                    "caching": "ReadWrite",
                    "managedDisk": {"storageAccountType": "StandardSSD_LRS"},
                    "deleteOption": "Delete",
                },
            },
            "osProfile": {
                "computerName": "builder-1-0-0",
                "adminUsername": "builder",
                "customData": custom_data(),
                "linuxConfiguration": {
                    "disablePasswordAuthentication": True,
                    "provisionVMAgent": True,
                    "ssh": {
                        "publicKeys": [
                            {"path": "/home/builder/.ssh/authorized_keys", "keyData": "ssh-rsa AAAAB3NzaC1yc2E builder"}
                        ]
                    },
                },
            },
            "networkProfile": {"networkInterfaces": [{"id": r["nic"].outputs["id"], "primary": True}]},
            "diagnosticsProfile": {"bootDiagnostics": {"enabled": True}},
        },
        vm_id,
        {**rg, "networkProfile": r["nic"]},
        {"name": "builder-vm"},
    )
    r["capture"] = _res(
        "pulumi-python:dynamic/capture:GeneralizedImage",
        "builder-capture",
        {
            "vm_id": vm_id,
            "os_disk_mode": "managed",
            "os_type": "Linux",
            "image_version": "1.0.0",
            "export_vhd": True,
            "storage_account_id": r["sa"].outputs["id"],
            "blob_endpoint": "https://imgdev.blob.core.windows.net/",
            "vhd_container": "vhds",
            "vhd_prefix": "app-node-1.0.0",
            "guest_timeout_minutes": 60,
            "retain_vhd_on_delete": False,
            "__provider": "Y29tcG9uZW50cy5jYXB0dXJlLnByb3ZpZGVy",
        },
        f"capture-{vm_id}",
        {"vm_id": r["vm"], "storage_account_id": r["sa"], "vhd_container": r["container"]},
        {"os_disk_id": arm("Microsoft.Compute/disks/builder-osdisk"), "vhd_uri": "", "generalized_time": "t"},
    )
    r["gallery"] = _res(
        "azure-native:compute:Gallery",
        "gallery",
        {"resourceGroupName": RG, "location": REGION},
        arm("Microsoft.Compute/galleries/galdev"),
        rg,
        {"name": "galdev"},
    )
    r["image"] = _res(
        "azure-native:compute:GalleryImage",
        "app-node",
        {
            "resourceGroupName": RG,
            "location": REGION,
            "galleryName": "galdev",
            "osType": "Linux",
            "osState": "Generalized",
            "hyperVGeneration": "V2",
            "identifier": {"publisher": "contoso", "offer": "app-node", "sku": "ubuntu-24_04"},
        },
        arm("Microsoft.Compute/galleries/galdev/images/app-node"),
        {**rg, "galleryName": r["gallery"]},
        {"name": "app-node"},
    )
    version_id = arm("Microsoft.Compute/galleries/galdev/images/app-node/versions/1.0.0")
    r["version"] = _res(
        "azure-native:compute:GalleryImageVersion",
        "app-node-1.0.0",
        {
            "resourceGroupName": RG,
            "location": REGION,
            "galleryName": "galdev",
            "galleryImageName": "app-node",
            "galleryImageVersionName": "1.0.0",
            "publishingProfile": {
                "targetRegions": [{"name": REGION, "regionalReplicaCount": 1, "storageAccountType": "Standard_LRS"}]
            },
            "storageProfile": {"source": {"virtualMachineId": vm_id}},
        },
        version_id,
        {**rg, "galleryName": r["gallery"], "galleryImageName": r["image"], "storageProfile": r["capture"]},
        {"name": "1.0.0"},
    )
    r["vault"] = _res(
        "azure-native:keyvault:Vault",
        "batch-vault",
        {
            "resourceGroupName": RG,
            "location": REGION,
            "vaultName": "kv-batch-dev",
            "properties": {
                "tenantId": "tenant",
                "sku": {"family": "A", "name": "standard"},
                "enableRbacAuthorization": False,
                "enableSoftDelete": True,
                "enablePurgeProtection": True,
                "enabledForDeployment": True,
                "enabledForTemplateDeployment": True,
                "accessPolicies": [
                    {
                        "tenantId": "tenant",
                        "objectId": BATCH_SP,
                        "permissions": {"secrets": ["get", "list", "set", "delete", "recover"]},
                    }
                ],
            },
        },
        arm("Microsoft.KeyVault/vaults/kv-batch-dev"),
        rg,
        {"name": "kv-batch-dev"},
    )
    r["batch_role"] = _res(
        "azure-native:authorization:RoleAssignment",
        "batch-service-role",
        {
            "scope": f"/subscriptions/{SUB}",
            "principalId": BATCH_SP,
            "principalType": "ServicePrincipal",
            "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
            "a35466a1-cfd6-450a-b35e-683fcdf30363",
        },
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments/r1",
    )
    r["deployer_role"] = _res(
        "azure-native:authorization:RoleAssignment",
        "deployer-blob-data",
        {
            "scope": r["sa"].outputs["id"],
            "principalId": DEPLOYER,
            "principalType": "User",
            "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
            "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        },
        f"{r['sa'].outputs['id']}/providers/Microsoft.Authorization/roleAssignments/r2",
        {"scope": r["sa"]},
    )
    r["account"] = _res(
        "azure-native:batch:BatchAccount",
        "batch-account",
        {
            "resourceGroupName": RG,
            "location": REGION,
            "accountName": "batchdev",
            "poolAllocationMode": "UserSubscription",
            "keyVaultReference": {"id": r["vault"].outputs["id"], "url": "https://kv-batch-dev.vault.azure.net/"},
            "allowedAuthenticationModes": ["AAD"],
            "autoStorage": {"storageAccountId": r["sa"].outputs["id"]},
            "identity": {"type": "SystemAssigned"},
            "publicNetworkAccess": "Disabled",
        },
        arm("Microsoft.Batch/batchAccounts/batchdev"),
        {**rg, "keyVaultReference": r["vault"], "autoStorage": r["sa"]},
        {"name": "batchdev", "accountEndpoint": "batchdev.westeurope.batch.azure.com"},
    )
    r["pool"] = _res(
        "azure-native:batch:Pool",
        "render",
        {
            "resourceGroupName": RG,
            "accountName": "batchdev",
            "poolName": "render",
            "vmSize": "Standard_D4ds_v5",
            "deploymentConfiguration": {
                "virtualMachineConfiguration": {
                    "imageReference": {"id": version_id},
                    "nodeAgentSkuId": "batch.node.ubuntu 24.04",
                    "diskEncryptionConfiguration": {"targets": ["TemporaryDisk"]},
                }
            },
            "scaleSettings": {
                "fixedScale": {"targetDedicatedNodes": 1, "targetLowPriorityNodes": 0, "resizeTimeout": "PT15M"}
            },
            "taskSlotsPerNode": 1,
            "targetNodeCommunicationMode": "Simplified",
            "startTask": {"commandLine": "/bin/true", "waitForSuccess": True},
        },
        arm("Microsoft.Batch/batchAccounts/batchdev/pools/render"),
        {**rg, "accountName": r["account"], "deploymentConfiguration": r["version"]},
        {"name": "render"},
    )
    return r


def records(stack: Mapping[str, Res]) -> list[Res]:
    return list(stack.values())


def changed(res: T, path: str, value: Any, *, outputs_too: bool = True) -> T:
    """A copy of the record (any record dataclass) with the dotted path set in its inputs and outputs (or removed
    when value is DELETE)."""
    record: Any = res
    inputs = _set(copy.deepcopy(dict(record.inputs)), path, value)
    outputs = _set(copy.deepcopy(dict(record.outputs)), path, value) if outputs_too else record.outputs
    return cast(T, replace(record, inputs=inputs, outputs=outputs))


DELETE = object()


def _set(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    elif value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return data


def new(
    typ: str, name: str, inputs: dict[str, Any], deps: Mapping[str, Res] | None = None, arm_id: str | None = None
) -> Res:
    """An extra resource for a test (e.g. a VM extension)."""
    return _res(typ, name, inputs, arm_id, deps)


__all__ = ["DELETE", "UNKNOWN", "Res", "changed", "dev_stack", "new", "records", "secret"]
