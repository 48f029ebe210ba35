"""Every resource type the plan knows, in one table: how the offline mocks name it, what the plan shows of it, and
how long Azure typically takes to create it.

Add a resource type here, and only here: the offline harness (ARM ids and auto-names), the plan's resource table
(key properties) and the critical path (typical minutes) all read this table. The policy pack keeps its own type
tokens (policies/batch_image_policies), on purpose: it runs in its own virtualenv, without tools/.

Durations are typical times of the Azure operation behind each resource type, in minutes: estimates for planning,
not measurements. Each entry says where its number comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from components.canary.resource import CANARY_TYPE, LATEST_TYPE
from components.capture.resource import CAPTURE_TYPE, CLEANUP_TYPE, RETENTION_TYPE
from components.pool_drain.resource import DRAIN_TYPE


@dataclass(frozen=True)
class ResourceType:
    token: str
    minutes: float  # typical time of the create, in minutes
    source: str  # where that number comes from
    arm_path: str | None = None  # ARM path template under the resource group ({inputName} placeholders)
    name_key: str | None = None  # the input holding the resource's own name (auto-named when absent)
    key_properties: tuple[str, ...] = ()  # what the plan prints: dotted paths into the wire-name inputs
    # What the builder leaves billing once the image is published, until image.builder.enabled: false retires it.
    idle_cost: str = ""
    # What `pulumi up` shows on the resource's row while its provider works (components/common/progress.py):
    # (phase, what the status line says and how long the phase typically takes).
    progress: tuple[tuple[str, str], ...] = ()


_SHORT_WRITE = "synchronous or short ARM write"
# The canary's typical node-minutes per build (its node from allocation to the pool's deletion): tools/plan/report.py
# shows it with the cost, the catalog's critical path takes it as the canary's time.
CANARY_TYPICAL_MINUTES = 12.0
_SHORT_LRO = "short ARM long-running operation"

_TYPES = (
    ResourceType(
        "azure-native:resources:ResourceGroup",
        0.2,
        _SHORT_WRITE,
        key_properties=("location",),
    ),
    ResourceType(
        "azure-native:authorization:RoleAssignment",
        0.2,
        _SHORT_WRITE,
        key_properties=("principalId", "roleDefinitionId"),
    ),
    ResourceType(
        "azure-native:storage:StorageAccount",
        0.5,
        "an ARM LRO; azure-docs async-operations.md shows `Retry-After: 17` on its 202",
        "Microsoft.Storage/storageAccounts/{accountName}",
        "accountName",
        ("accountName", "kind", "sku.name", "location"),
    ),
    ResourceType(
        "azure-native:storage:BlobContainer",
        0.2,
        _SHORT_WRITE,
        "Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/containers/{containerName}",
        "containerName",
        ("containerName",),
    ),
    ResourceType(
        "azure-native:managedidentity:UserAssignedIdentity",
        0.2,
        _SHORT_WRITE,
        "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}",
        "resourceName",
    ),
    ResourceType(
        "azure-native:network:NetworkSecurityGroup",
        0.2,
        _SHORT_WRITE,
        "Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}",
        "networkSecurityGroupName",
    ),
    ResourceType(
        "azure-native:network:VirtualNetwork",
        0.2,
        _SHORT_WRITE,
        "Microsoft.Network/virtualNetworks/{virtualNetworkName}",
        "virtualNetworkName",
    ),
    ResourceType(
        "azure-native:network:Subnet",
        0.2,
        _SHORT_WRITE,
        "Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}",
        "subnetName",
        ("addressPrefix",),
    ),
    ResourceType(
        "azure-native:network:NetworkInterface",
        0.2,
        _SHORT_WRITE,
        "Microsoft.Network/networkInterfaces/{networkInterfaceName}",
        "networkInterfaceName",
    ),
    ResourceType(
        "azure-native:network:PublicIPAddress",
        0.5,
        _SHORT_LRO,
        "Microsoft.Network/publicIPAddresses/{publicIpAddressName}",
        "publicIpAddressName",
        idle_cost="a Standard public IP (the NAT gateway's), billed per hour",
    ),
    ResourceType(
        "azure-native:network:NatGateway",
        0.5,
        _SHORT_LRO,
        "Microsoft.Network/natGateways/{natGatewayName}",
        "natGatewayName",
        idle_cost="the NAT gateway, billed per hour",
    ),
    ResourceType(
        "azure-native:compute:VirtualMachine",
        3.0,
        "provisioning completes when the VM agent reports ready",
        "Microsoft.Compute/virtualMachines/{vmName}",
        "vmName",
        (
            "hardwareProfile.vmSize",
            "storageProfile.imageReference.offer",
            "storageProfile.imageReference.sku",
            "storageProfile.osDisk.vhd.uri",
            "location",
        ),
        idle_cost="the deallocated builder's OS disk (a managed disk, or the VHD of the classic builder)",
    ),
    ResourceType(
        CAPTURE_TYPE,
        35.0,
        "cloud-init setup (the setup script's own time; ~20 for the default: apt + reference data) + deprovision "
        "and power-off + deallocate (~2) + generalize (<1) + VHD export when asked (~10 for a 30 GiB disk, "
        "server-side copy)",
        key_properties=("os_disk_mode", "export_vhd", "image_version"),
        progress=(
            ("inspect, clean-up", "reading the builder VM, removing what interrupted runs left: seconds"),
            (
                "guest",
                "the setup script, then deprovision and power-off; the power state and the deadline: most of the "
                "capture (~20 min for the default Linux setup, longer for Windows and sysprep; guestTimeoutMinutes "
                "ends it)",
            ),
            ("proof, generalize", "the guest's deprovisioning proof, then Azure marks the VM generalized: < 1 min"),
            ("deallocate", "Azure releases the VM's compute: ~2 min"),
            ("export", "exportVhd: % of the disk copied, GiB/min and the time left: ~10 min for a 30 GiB disk"),
            ("capture", "classic unmanaged disk: Azure copies the OS disk into a VHD: ~5 min"),
        ),
    ),
    ResourceType(
        RETENTION_TYPE,
        0.1,
        "one blob listing per container and a delete per VHD no kept version names (capture/vhd_retention.py)",
        key_properties=("keep",),
        progress=(("prune", "deleting the VHDs no kept version names: seconds"),),
    ),
    ResourceType(
        CLEANUP_TYPE,
        0.05,
        "a state record only: no cloud call on create (its delete cleans what an interrupted capture left)",
        progress=(("clean-up", "when the builder VM goes: revoking its disk's SAS, removing partial VHDs: seconds"),),
    ),
    ResourceType(
        "pulumi:providers:azure",
        0.0,
        "the classic provider's configuration, for the base image lookup (components/base_image.py): no Azure call",
    ),
    ResourceType(
        "random:index/randomPassword:RandomPassword",
        0.05,
        "local: drawn by the pulumi-random provider, no cloud call",
        key_properties=("length",),
    ),
    ResourceType(
        "azure-native:compute:Gallery",
        0.5,
        _SHORT_LRO,
        "Microsoft.Compute/galleries/{galleryName}",
        "galleryName",
    ),
    ResourceType(
        "azure-native:compute:GalleryImage",
        0.5,
        _SHORT_LRO,
        "Microsoft.Compute/galleries/{galleryName}/images/{galleryImageName}",
        "galleryImageName",
        ("galleryImageName", "osType", "hyperVGeneration"),
    ),
    ResourceType(
        "azure-native:compute:GalleryImageVersion",
        25.0,
        'compute docs image-version.md: creation and replication "can take a while"; ~15-45 per replica region for a '
        "30 GiB OS disk",
        "Microsoft.Compute/galleries/{galleryName}/images/{galleryImageName}/versions/{galleryImageVersionName}",
        "galleryImageVersionName",
        ("galleryImageVersionName", "publishingProfile.targetRegions", "publishingProfile.excludeFromLatest"),
    ),
    ResourceType(
        "azure-native:keyvault:Vault",
        0.5,
        _SHORT_LRO,
        "Microsoft.KeyVault/vaults/{vaultName}",
        "vaultName",
        ("vaultName", "location"),
    ),
    ResourceType(
        "azure-native:batch:BatchAccount",
        1.0,
        "Batch management `BatchAccount_Create`, 202 + Location",
        "Microsoft.Batch/batchAccounts/{accountName}",
        "accountName",
        ("accountName", "poolAllocationMode", "location"),
    ),
    ResourceType(
        "azure-native:batch:Pool",
        0.2,
        "`Pool_Create` is synchronous; nodes allocate afterwards, in the background",
        "Microsoft.Batch/batchAccounts/{accountName}/pools/{poolName}",
        "poolName",
        ("vmSize", "deploymentConfiguration.virtualMachineConfiguration.nodeAgentSkuId", "scaleSettings"),
    ),
    ResourceType(
        DRAIN_TYPE,
        0.05,
        "a state record only: no cloud call on create (its delete drains the replaced pool, up to drainTimeout)",
        key_properties=("drain_timeout",),
        progress=(
            (
                "drain",
                "when its pool is replaced: the nodes left and the deadline; as long as the longest running task, "
                "at most drainTimeout",
            ),
            ("delete", "Batch deletes the emptied pool: ~1-5 min"),
        ),
    ),
)

_CANARY_TYPES = (
    ResourceType(
        CANARY_TYPE,
        CANARY_TYPICAL_MINUTES,
        "estimate: one node allocated (~3-5, Spot or dedicated), the image booted, its start task and the node agent "
        "idle (~3-5), the canary task (< 1), the pool deleted (~1-3); image.canary.timeout bounds it",
        key_properties=("image_version", "pool_body.properties.vmSize", "timeout"),
        progress=(
            ("node", "the canary pool's one node allocating, booting the image, running its start task: ~5-10 min"),
            ("task", "the canary command as a job's task on that node: seconds for the marker check"),
            ("delete", "the canary pool deleted once it passed (kept when it failed): ~1-3 min"),
        ),
    ),
    ResourceType(
        LATEST_TYPE,
        0.2,
        "one PATCH of publishingProfile.excludeFromLatest per version whose flag differs: short ARM writes",
        key_properties=("latest_version", "versions"),
    ),
)

CATALOG: Mapping[str, ResourceType] = {t.token: t for t in (*_TYPES, *_CANARY_TYPES)}

# Anything not in the table (the TLS key, a type added without an entry): local or unknown, nearly free.
DEFAULT_MINUTES = 0.05


def typical_minutes(token: str) -> float:
    entry = CATALOG.get(token)
    return entry.minutes if entry else DEFAULT_MINUTES


def progress(token: str) -> tuple[tuple[str, str], ...]:
    entry = CATALOG.get(token)
    return entry.progress if entry else ()


def key_properties(token: str) -> tuple[str, ...]:
    entry = CATALOG.get(token)
    return entry.key_properties if entry else ()


def idle_cost(token: str) -> str:
    entry = CATALOG.get(token)
    return entry.idle_cost if entry else ""


def arm_path(token: str) -> tuple[str, str] | None:
    """(ARM path template under the resource group, name input key), or None for a type without an ARM path."""
    entry = CATALOG.get(token)
    if entry is None or entry.arm_path is None or entry.name_key is None:
        return None
    return entry.arm_path, entry.name_key
