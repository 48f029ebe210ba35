"""Azure and Batch facts the settings check values against: regions, node agent SKUs, ARM id and image grammars.

Plain data and regular expressions (no pydantic, no Pulumi). The policy pack keeps its own copies of some of them on
purpose (it runs in its own virtualenv); tests/policies asserts they agree.
"""

from __future__ import annotations

import re

from components.common.os_type import OsType

# Node agent SKUs Batch supports for custom images, and the OS each one runs. The policy pack keeps its own copy on
# purpose (it runs in its own virtualenv); tests/policies asserts the two agree.
NODE_AGENT_SKUS: dict[str, OsType] = {
    "batch.node.ubuntu 24.04": "Linux",
    "batch.node.ubuntu 22.04": "Linux",
    "batch.node.el 9": "Linux",
    "batch.node.windows amd64": "Windows",
}
# Azure/Batch#200: the Ubuntu 22.04 node agent reaches end of life on 30 June 2027.
NODE_AGENT_END_OF_LIFE: dict[str, str] = {"batch.node.ubuntu 22.04": "2027-06-30"}

# Azure public-cloud regions (`az account list-locations --query "[].name"`), for catching typos before Azure does.
AZURE_REGIONS: frozenset[str] = frozenset(
    """
    australiacentral australiacentral2 australiaeast australiasoutheast austriaeast belgiumcentral brazilsouth
    brazilsoutheast canadacentral canadaeast centralindia centralus chilecentral denmarkeast eastasia eastus eastus2
    francecentral francesouth germanynorth germanywestcentral indonesiacentral israelcentral italynorth japaneast
    japanwest jioindiacentral jioindiawest koreacentral koreasouth malaysiawest mexicocentral newzealandnorth
    northcentralus northeurope norwayeast norwaywest polandcentral qatarcentral southafricanorth southafricawest
    southcentralus southeastasia southindia spaincentral swedencentral swedensouth switzerlandnorth switzerlandwest
    uaecentral uaenorth uksouth ukwest westcentralus westeurope westindia westus westus2 westus3
    """.split()
)

# Blob endpoints' host suffixes in the Azure clouds (public, China, US Government).
BLOB_HOST_SUFFIXES = (".blob.core.windows.net", ".blob.core.chinacloudapi.cn", ".blob.core.usgovcloudapi.net")

DEFAULT_DRAIN_TIMEOUT = "PT2H"
# image.canary.timeout: the canary pool gets it as its resizeTimeout, whose least value Batch takes is 5 minutes
# (Batch pool API: "The minimum value is 5 minutes"; less is a 400); at most a working day, since `pulumi up` waits.
CANARY_DEFAULT_TIMEOUT = "PT30M"
CANARY_MIN_TIMEOUT = "PT5M"
CANARY_MAX_TIMEOUT = "PT8H"
MAX_DRAIN_TIMEOUT_HOURS = 168  # `pulumi up` waits for a drain: a week is already far past any sensible wait

BATCH_SERVICE_PRINCIPAL_APP_ID = "ddbf3205-c6bd-46ae-8127-60eb93363864"  # "Microsoft Azure Batch", every tenant

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\Z")
# \Z, not $: `$` also matches before a trailing newline ("Standard_D4ds_v5\n" is no VM size)
VM_SIZE = re.compile(r"^(?i:standard)_[A-Za-z0-9_]+\Z")
STORAGE_ACCOUNT_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/([a-z0-9]{3,24})\Z",
    re.IGNORECASE,
)
_GUID_TEXT = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
# A subnet's ARM id; provider and type segments are case-insensitive (ARM ids are), names keep Azure's characters.
SUBNET_ID = re.compile(
    rf"^/subscriptions/{_GUID_TEXT}/resourceGroups/[-\w.()]{{1,90}}/providers/Microsoft\.Network/"
    r"virtualNetworks/[\w][-\w.]{0,63}/subnets/[\w][-\w.]{0,79}\Z",
    re.IGNORECASE,
)
SUBNET_ID_RULE = (
    "a subnet's ARM id /subscriptions/<subscription guid>/resourceGroups/<rg>/providers/Microsoft.Network/"
    "virtualNetworks/<vnet>/subnets/<subnet>"
)
USER_ASSIGNED_IDENTITY_ID = re.compile(
    rf"^/subscriptions/{_GUID_TEXT}/resourceGroups/[-\w.()]{{1,90}}/providers/Microsoft\.ManagedIdentity/"
    r"userAssignedIdentities/[A-Za-z0-9][-\w]{2,127}\Z",
    re.IGNORECASE,
)
IDENTITY_RULE = (
    "a user-assigned managed identity's ARM id /subscriptions/<subscription guid>/resourceGroups/<rg>/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/<name>"
)
# A container image reference as `docker pull` takes it (the distribution/reference grammar), with a tag or a sha256
# digest: Batch prefetches it when a node joins, so an untagged (latest) reference could differ from node to node.
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
CONTAINER_IMAGE = re.compile(
    rf"^(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?/)?{_PATH_PART}(?:/{_PATH_PART})*"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?\Z"
)


def is_container_image(value: str) -> bool:
    """A pullable reference (CONTAINER_IMAGE) that pins a tag or a digest; the name is at most 255 characters."""
    match = CONTAINER_IMAGE.match(value)
    if match is None or not (match.group("tag") or match.group("digest")):
        return False
    name_end = match.start("tag") - 1 if match.group("tag") else match.start("digest") - 1
    return name_end <= 255


CONTAINER_IMAGE_RULE = (
    "a docker image reference with a tag or a sha256 digest and a lowercase repository, no spaces, such as "
    "myregistry.azurecr.io/tools/render:2.1 or docker.io/library/ubuntu@sha256:<64 hex digits>"
)

# Marketplace publishers of Windows images: a Windows build starts from one of them, a Linux build from none of them.
# The policy pack keeps its own copy on purpose; tests/policies asserts the two agree.
WINDOWS_PUBLISHERS = frozenset({"microsoftwindowsserver", "microsoftwindowsdesktop", "microsoftsqlserver"})
# The Windows builder's defaults (image.osType Windows, source build): Windows Server 2022 Datacenter Azure Edition,
# Generation 2 (`2025-datacenter-azure-edition` is the 2025 choice), and the PowerShell setup script.
WINDOWS_BASE_IMAGE = {
    "publisher": "MicrosoftWindowsServer",
    "offer": "WindowsServer",
    "sku": "2022-datacenter-azure-edition",
}
WINDOWS_SETUP_SCRIPT = "image/setup.ps1"
# What each OS's builder runs the setup script with (cloud-init runs a shell script, the first logon PowerShell).
SETUP_SCRIPT_SUFFIXES: dict[OsType, tuple[str, ...]] = {"Linux": (".sh",), "Windows": (".ps1",)}
SETUP_SCRIPT_RUNNERS: dict[OsType, str] = {"Linux": "cloud-init", "Windows": "PowerShell at the builder's first logon"}

# image.architecture Arm64: the Linux builder's defaults. Canonical publishes Ubuntu 24.04 for Arm64 under the same
# offer as sku `server-arm64` (generation 2 only); an Arm64 (Cobalt 100, Dpsv6) builder size. Batch supports Arm64 pools
# since 2026-01-12 (Azure/Batch#185).
ARM64_BASE_IMAGE = {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server-arm64"}
ARM64_BUILDER_VM_SIZE = "Standard_D2ps_v6"
# Azure's VM size naming: the additive feature letter `p` after the vCPU count marks an Arm-based processor
# (https://learn.microsoft.com/azure/virtual-machines/vm-naming-conventions: "p = ARM Cpu"), e.g. Standard_D4ps_v6,
# Standard_E8pds_v6; every other size is x64.
ARM64_VM_SIZE = re.compile(r"^standard_[a-z]+\d+(?:-\d+)?[a-z]*p[a-z]*_v\d+\Z", re.IGNORECASE)
# Sizes that boot only from an NVMe OS disk controller: the Intel and AMD v6 general-purpose and memory families
# (Dsv6, Ddsv6, Dlsv6, Dasv6, Esv6, ...: https://learn.microsoft.com/azure/virtual-machines/nvme-overview;
# hashicorp/packer-plugin-azure#521). The image definition then declares DiskControllerTypes "SCSI, NVMe"; the Arm64
# v6 sizes take either controller, so declaring NVMe for them too does no harm. The policy pack judges each size on its
# own data (policies/batch_image_policies/data/vm_sizes.json).
NVME_VM_SIZE = re.compile(r"^standard_[a-z]+\d+(?:-\d+)?[a-z]*_v(?:[6-9]|\d\d)\Z", re.IGNORECASE)
NVME_DISK_CONTROLLERS = "SCSI, NVMe"
