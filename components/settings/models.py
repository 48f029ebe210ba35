"""The stack's settings as typed, validated models: one schema for the whole `batch-custom-image:` config.

Defaults live here (Pulumi.yaml only describes the keys). The cross-field rules span image, pools and storage
(`Settings._cross_checks`), which is why this is one schema rather than one per component.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from components.common.image_version import IMAGE_VERSION_RULE, is_image_version
from components.common.iso_duration import duration_minutes
from components.common.os_type import Architecture, OsType, is_windows
from components.common.project import PROJECT_ROOT
from components.settings.errors import KeyedError
from components.settings.facts import (
    ARM64_BASE_IMAGE,
    ARM64_BUILDER_VM_SIZE,
    ARM64_VM_SIZE,
    AZURE_REGIONS,
    BLOB_HOST_SUFFIXES,
    CANARY_DEFAULT_TIMEOUT,
    CANARY_MAX_TIMEOUT,
    CANARY_MIN_TIMEOUT,
    CONTAINER_IMAGE_RULE,
    DEFAULT_DRAIN_TIMEOUT,
    GUID,
    IDENTITY_RULE,
    MAX_DRAIN_TIMEOUT_HOURS,
    NODE_AGENT_SKUS,
    NVME_DISK_CONTROLLERS,
    NVME_VM_SIZE,
    SETUP_SCRIPT_RUNNERS,
    SETUP_SCRIPT_SUFFIXES,
    STORAGE_ACCOUNT_ID,
    SUBNET_ID,
    SUBNET_ID_RULE,
    USER_ASSIGNED_IDENTITY_ID,
    VM_SIZE,
    WINDOWS_BASE_IMAGE,
    WINDOWS_PUBLISHERS,
    WINDOWS_SETUP_SCRIPT,
    is_container_image,
)

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _check_region(value: str) -> str:
    region = value.strip().lower()
    if region not in AZURE_REGIONS:
        close = difflib.get_close_matches(region, sorted(AZURE_REGIONS), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ValueError(f"not an Azure region; {hint}allowed: an Azure region name such as westeurope or eastus2")
    return region


def _check_vm_size(value: str) -> str:
    if not VM_SIZE.match(value):
        raise ValueError("allowed: an Azure VM size name such as Standard_D4ds_v5")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BaseImage(_Model):
    """A Batch-supported marketplace image the builder VM starts from."""

    publisher: NonEmpty = Field(description="the marketplace publisher")
    offer: NonEmpty = Field(description="the offer")
    sku: NonEmpty = Field(description="the SKU")
    version: NonEmpty = Field(
        "latest", description="latest is resolved to the marketplace's current version at preview"
    )


class Builder(_Model):
    """The builder VM the image is built on (image.source build)."""

    # The gallery image version (taken from the stack's record of what it published) and the pools stay untouched.
    enabled: StrictBool = Field(
        True,
        description="false retires the builder once image.version is published: the builder VM, its network and the "
        "capture go",
    )
    os_disk: Literal["managed", "unmanaged"] = Field(
        "managed", alias="osDisk", description="unmanaged: the classic VHD-in-storage OS disk"
    )
    vm_size: str = Field("Standard_D2ds_v5", alias="vmSize", description="the builder VM's size")
    base_image: BaseImage = Field(
        BaseImage(publisher="Canonical", offer="ubuntu-24_04-lts", sku="server"),
        alias="baseImage",
        description="the marketplace image the builder starts from; on Windows MicrosoftWindowsServer WindowsServer "
        "2022-datacenter-azure-edition latest",
    )
    setup_script: NonEmpty = Field(
        "image/setup.sh",
        alias="setupScript",
        description="path from the project root; on Windows image/setup.ps1",
    )
    guest_timeout_minutes: StrictInt = Field(
        60,
        alias="guestTimeoutMinutes",
        ge=5,
        le=720,
        description="how long the guest may take to set up and generalize",
    )
    ssh_public_key: str | None = Field(None, alias="sshPublicKey", description="Linux only")
    # Azure refuses the VM unless the subscription registered the EncryptionAtHost feature of Microsoft.Compute; the
    # builder-vm-encryption-at-host advisory shows while it is off.
    encryption_at_host: StrictBool = Field(
        False,
        alias="encryptionAtHost",
        description="securityProfile.encryptionAtHost on the builder VM; needs the subscription's Microsoft.Compute "
        "EncryptionAtHost feature registered",
    )

    _vm_size = field_validator("vm_size")(_check_vm_size)

    @field_validator("setup_script")
    @classmethod
    def _script_exists(cls, value: str) -> str:
        try:  # a value that is no usable path (too long for the file system, a NUL byte) is a settings error too
            path = (PROJECT_ROOT / value).resolve()
            found = path.is_file()
        except (OSError, ValueError) as error:
            shown = value if len(value) <= 60 else value[:57] + "..."
            raise ValueError(
                f"not a usable path ({getattr(error, 'strerror', None) or error}: {shown!r}); allowed: a script "
                "path relative to the project root, such as image/setup.sh (the script itself goes in that file)"
            ) from None
        if not found:
            raise ValueError(f"no such file (looked for {path}); allowed: a script path relative to the project root")
        return value

    @field_validator("ssh_public_key")
    @classmethod
    def _ssh_key(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+", value):
            raise ValueError("allowed: an OpenSSH public key line (ssh-rsa / ssh-ed25519 / ecdsa-sha2-...)")
        return value

    @property
    def setup_script_path(self) -> Path:
        return (PROJECT_ROOT / self.setup_script).resolve()


class Replica(_Model):
    region: str = Field(description="an Azure region")
    count: StrictInt = Field(1, ge=1, le=100, description="replicas in that region")

    _region = field_validator("region")(_check_region)


class CanarySettings(_Model):
    """The canary (README "Rolling a pool to a new image"): a new image.version boots a one-node pool and runs a
    command there before any production pool, galleryImageVersionId or the gallery's `latest` moves to it."""

    enabled: StrictBool = Field(
        True, description="false publishes a new version straight to the pools and latest, as before the canary"
    )
    vm_size: str | None = Field(None, alias="vmSize", description="the canary node's size; default the first pool's")
    spot: StrictBool = Field(True, description="a Spot node (false: a dedicated one, billed at the full price)")
    command: NonEmpty | None = Field(
        None,
        description="the task that must exit 0 on the node; default the image marker check for image.version "
        "(components/canary/commands.py, the check make smoke runs)",
    )
    timeout: str = Field(
        CANARY_DEFAULT_TIMEOUT,
        description=f"ISO 8601, {CANARY_MIN_TIMEOUT} to {CANARY_MAX_TIMEOUT}: from the canary pool's creation until "
        "its task has ended; also the pool's resizeTimeout",
    )

    _vm_size = field_validator("vm_size")(lambda value: value if value is None else _check_vm_size(value))

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: str) -> str:
        minutes = duration_minutes(value)
        if not duration_minutes(CANARY_MIN_TIMEOUT) <= minutes <= duration_minutes(CANARY_MAX_TIMEOUT):
            raise ValueError(
                f"allowed: between {CANARY_MIN_TIMEOUT} (Batch's least resizeTimeout, which the canary pool gets) "
                f"and {CANARY_MAX_TIMEOUT} (`pulumi up` waits for the canary)"
            )
        return value


# image.fromStack: the image stack a pool stack consumes, as a StackReference names it.
_STACK_NAME = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]*/[A-Za-z0-9][-A-Za-z0-9_.]*/[A-Za-z0-9][-A-Za-z0-9_.]*\Z")


class ImageSettings(_Model):
    # name and version are required unless source is stack (a pool stack: the image stack's image, its current
    # version unless image.version pins another it has published), where they default to "" (not validated).
    name: str = Field(
        "",
        pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9])?$",
        description="the gallery image definition; required unless source is stack",
    )
    version: str = Field(
        "",
        description="MAJOR.MINOR.PATCH; a new version is a new build; required unless source is stack, where it "
        "pins one of the image stack's published versions",
    )
    os_type: OsType = Field("Linux", alias="osType", description="the guest OS; picks the builder's defaults")
    hyper_v_generation: Literal["V1", "V2"] = Field("V2", alias="hyperVGeneration", description="the VM generation")
    architecture: Architecture = Field(
        "x64",
        description="the CPU the image is built for: the definition's architecture, the builder's size and (through "
        "the pack's gate) the pools' sizes; Arm64 defaults the Linux builder to Ubuntu 24.04 server-arm64 on "
        "Standard_D2ps_v6",
    )
    disk_controller_types: Literal["SCSI", "SCSI, NVMe"] | None = Field(
        None,
        alias="diskControllerTypes",
        description="the definition's DiskControllerTypes feature; unset: the program declares SCSI, NVMe when a pool "
        "uses a size that boots only from NVMe, else sends none (SCSI)",
    )
    # A pool on a definition of another security type fails to create; Standard sends nothing, as before the setting.
    security_type: Literal["Standard", "TrustedLaunch"] = Field(
        "Standard",
        alias="securityType",
        description="the builder VM, the gallery image definition and every pool get it; TrustedLaunch needs "
        "hyperVGeneration V2",
    )
    source: Literal["build", "vhd", "stack"] = Field(
        "build",
        description="build on a builder VM, import vhdUri, or stack: a pool stack on the versions the image stack "
        "fromStack published, with no builder or gallery of its own",
    )
    from_stack: str | None = Field(
        None,
        alias="fromStack",
        description="the image stack <organization>/<project>/<stack>; required when source is stack",
    )
    vhd_uri: str | None = Field(None, alias="vhdUri", description="required when source is vhd")
    vhd_storage_account_id: str | None = Field(
        None, alias="vhdStorageAccountId", description="the ARM id of vhdUri's account; required when source is vhd"
    )
    builder: Builder = Field(Builder(), description="the builder VM")
    export_vhd: StrictBool = Field(False, alias="exportVhd", description="also export the generalized OS disk as a VHD")
    replicas: list[Replica] = Field(
        default_factory=list, description="gallery replicas; the Batch region is always added"
    )
    keep_versions: StrictInt = Field(
        3,
        alias="keepVersions",
        ge=1,
        le=50,
        description="published versions kept for rollback, this one included; never one a pool uses",
    )
    canary: CanarySettings = Field(
        CanarySettings(),
        description="a new version first boots a one-node pool and runs a command there; production pools and latest "
        "move only after it passes",
    )

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not is_image_version(value):
            raise ValueError(f"allowed: a gallery image version {IMAGE_VERSION_RULE}")
        return value

    @field_validator("vhd_uri")
    @classmethod
    def _vhd_uri(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme != "https":
            raise ValueError("allowed: an https:// blob URL")
        if not (parts.hostname or "").endswith(BLOB_HOST_SUFFIXES):
            raise ValueError("allowed: a blob URL on <account>.blob.core.windows.net (or another Azure cloud)")
        if parts.query:
            raise ValueError("must not carry a query string (a SAS is a secret: the gallery reads the blob itself)")
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 2 or not value.lower().endswith(".vhd"):
            raise ValueError("allowed: https://<account>.blob.core.windows.net/<container>/<name>.vhd")
        return value

    @field_validator("vhd_storage_account_id")
    @classmethod
    def _account_id(cls, value: str | None) -> str | None:
        if value is not None and not STORAGE_ACCOUNT_ID.match(value):
            raise ValueError(
                "allowed: a storage account ARM id "
                "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<name>"
            )
        return value

    @field_validator("from_stack")
    @classmethod
    def _from_stack(cls, value: str | None) -> str | None:
        if value is not None and not _STACK_NAME.match(value):
            raise ValueError("allowed: the image stack's full name <organization>/<project>/<stack>")
        return value

    @model_validator(mode="after")
    def _source_rules(self) -> ImageSettings:
        if self.source == "stack":
            self._stack_source_rules()
            self._check_architecture()
            return self
        self._own_image_rules()
        if self.source == "vhd":
            if not self.vhd_uri:
                raise KeyedError("vhdUri", None, "required when image.source is vhd")
            if not self.vhd_storage_account_id:
                raise KeyedError("vhdStorageAccountId", None, "required when image.source is vhd (the VHD's account)")
            account = STORAGE_ACCOUNT_ID.match(self.vhd_storage_account_id)
            host_account = (urlsplit(self.vhd_uri).hostname or "").split(".")[0]
            if account and account.group(1).lower() != host_account.lower():
                raise KeyedError(
                    "vhdStorageAccountId",
                    self.vhd_storage_account_id,
                    f"must name the account that holds vhdUri ('{host_account}')",
                )
        vhd_source = self.source == "vhd" or self.builder.os_disk == "unmanaged"
        if self.security_type == "TrustedLaunch" and vhd_source:
            # Azure (trusted-launch-portal): the definition feature TrustedLaunch is for a captured Trusted Launch VM,
            # managed disk or snapshot; a VHD source makes a TrustedLaunchSupported image, which this definition
            # (and the pools on it, set to Trusted Launch) would misdescribe.
            where = "image.source is vhd" if self.source == "vhd" else "image.builder.osDisk is unmanaged"
            raise KeyedError(
                "securityType",
                "TrustedLaunch",
                f"Standard while {where}: the gallery then takes a VHD, which Azure publishes only under the "
                "definition feature SecurityType=TrustedLaunchSupported, not TrustedLaunch (that is for a captured "
                "Trusted Launch VM); for Trusted Launch build the image with source build and builder.osDisk managed",
            )
        if self.security_type == "TrustedLaunch" and self.hyper_v_generation != "V2":
            raise KeyedError(
                "securityType",
                "TrustedLaunch",
                f"Standard while hyperVGeneration is {self.hyper_v_generation}; "
                "TrustedLaunch needs hyperVGeneration V2 (Trusted Launch runs Generation 2 VMs only)",
            )
        regions = [r.region for r in self.replicas]
        duplicates = sorted({r for r in regions if regions.count(r) > 1})
        if duplicates:
            raise KeyedError("replicas", duplicates, "each region at most once")
        if self.source == "build":
            _check_builder_os(self.builder, self.os_type)
        self._check_architecture()
        return self

    def _own_image_rules(self) -> None:
        """A stack that publishes its own image (source build or vhd) names it and takes it from no other stack."""
        if self.from_stack is not None:
            raise KeyedError("fromStack", self.from_stack, "set only when image.source is stack")
        for key, value in (("name", self.name), ("version", self.version)):
            if not value:
                raise KeyedError(key, None, f"required when image.source is {self.source}")

    def _stack_source_rules(self) -> None:
        """A pool stack (components/image_stack.py) builds, captures and publishes nothing: what only an image stack
        uses is refused rather than ignored."""
        if not self.from_stack:
            raise KeyedError("fromStack", None, "required when image.source is stack: <organization>/<project>/<stack>")
        set_here: dict[str, Any] = {
            "vhdUri": self.vhd_uri,
            "vhdStorageAccountId": self.vhd_storage_account_id,
            "replicas": self.replicas or None,
            "exportVhd": self.export_vhd or None,
            "canary": self.canary.model_dump(by_alias=True, exclude_unset=True)
            if "canary" in self.model_fields_set
            else None,
        }
        for key, value in set_here.items():
            if value is not None:
                raise KeyedError(
                    key,
                    value,
                    f"unset when image.source is stack: the image stack {self.from_stack} publishes the image (set "
                    "its replicas, VHD and builder there)",
                )

    def _check_architecture(self) -> None:
        """Arm64 images: Linux, generation 2, built on an Arm64 size; x64 images on an x64 size."""
        if self.architecture == "Arm64" and is_windows(self.os_type):
            raise KeyedError(
                "architecture", "Arm64", "x64 while osType is Windows (Batch's Windows node agent is amd64)"
            )
        if self.architecture == "Arm64" and self.hyper_v_generation != "V2":
            raise KeyedError(
                "architecture", "Arm64", f"x64 while hyperVGeneration is {self.hyper_v_generation} (Arm64 VMs are V2)"
            )
        if self.disk_controller_types == NVME_DISK_CONTROLLERS and self.hyper_v_generation != "V2":
            raise KeyedError(
                "diskControllerTypes",
                self.disk_controller_types,
                f"SCSI while hyperVGeneration is {self.hyper_v_generation} (NVMe boots generation 2 images only)",
            )
        canary_size = self.canary.vm_size
        if canary_size is not None and bool(ARM64_VM_SIZE.match(canary_size)) != (self.architecture == "Arm64"):
            raise KeyedError("canary.vmSize", canary_size, f"{_size_kind(self.architecture)}: image.architecture is "
                             f"{self.architecture} (the canary boots the image on it)")  # fmt: skip
        if self.source == "build" and bool(ARM64_VM_SIZE.match(self.builder.vm_size)) != (self.architecture == "Arm64"):
            raise KeyedError(
                "builder.vmSize",
                self.builder.vm_size,
                f"{_size_kind(self.architecture)}: image.architecture is {self.architecture} (or set "
                "image.architecture to the size's)",
            )

    @model_validator(mode="before")
    @classmethod
    def _os_defaults(cls, data: Any) -> Any:
        """A Windows builder gets the Windows defaults for what it leaves unset (base image, setup script); an Arm64
        Linux builder the Arm64 base image and builder size."""
        if isinstance(data, Mapping) and data.get("architecture") == "Arm64" and data.get("osType", "Linux") == "Linux":
            builder = data.get("builder", {})
            if isinstance(builder, Mapping):
                arm = {"baseImage": ARM64_BASE_IMAGE, "vmSize": ARM64_BUILDER_VM_SIZE}
                return {**data, "builder": {**arm, **builder}}
        if not isinstance(data, Mapping) or not is_windows(data.get("osType", "Linux")):
            return data
        builder = data.get("builder", {})
        if not isinstance(builder, Mapping):
            return data  # the type error is reported by the field itself
        defaults = {"baseImage": WINDOWS_BASE_IMAGE, "setupScript": WINDOWS_SETUP_SCRIPT}
        return {**data, "builder": {**defaults, **builder}}


def _size_kind(architecture: Architecture) -> str:
    if architecture == "Arm64":
        return "an Arm64 size (a `p` after the vCPU count, e.g. Standard_D2ps_v6)"
    return "an x64 size (no `p` after the vCPU count, e.g. Standard_D2ds_v5)"


def _check_builder_os(builder: Builder, os_type: OsType) -> None:
    """The builder's OS-specific keys agree with image.osType (checked on what the user wrote, before OS defaults)."""
    given = builder.model_fields_set
    if is_windows(os_type) and builder.ssh_public_key is not None:
        raise KeyedError(
            "builder.sshPublicKey",
            builder.ssh_public_key[:24] + "...",
            "unset when osType is Windows (the Windows builder has no SSH; its admin password is generated and secret)",
        )
    if "base_image" in given:
        windows_base = builder.base_image.publisher.lower() in WINDOWS_PUBLISHERS
        if windows_base != is_windows(os_type):
            kind = "a Windows publisher (MicrosoftWindowsServer)" if is_windows(os_type) else "a Linux publisher"
            raise KeyedError(
                "builder.baseImage.publisher", builder.base_image.publisher, f"{kind}: the image's osType is {os_type}"
            )
    if "setup_script" in given and not builder.setup_script.lower().endswith(SETUP_SCRIPT_SUFFIXES[os_type]):
        wanted = " or ".join(SETUP_SCRIPT_SUFFIXES[os_type])
        raise KeyedError(
            "builder.setupScript",
            builder.setup_script,
            f"a {wanted} script: the image's osType is {os_type} (run by {SETUP_SCRIPT_RUNNERS[os_type]})",
        )


class AutoScale(_Model):
    formula: NonEmpty = Field(description="the Batch autoscale formula")
    evaluation_interval: str = Field("PT15M", alias="evaluationInterval", description="ISO 8601, PT5M to PT168H")

    @field_validator("evaluation_interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        minutes = duration_minutes(value)
        if not 5 <= minutes <= 168 * 60:
            raise ValueError("allowed: between PT5M and PT168H (Batch's limits)")
        return value


class StartTask(_Model):
    command_line: NonEmpty = Field(alias="commandLine", description="what each node runs when it joins")
    wait_for_success: StrictBool = Field(True, alias="waitForSuccess", description="tasks wait for it to succeed")
    elevated: StrictBool = Field(False, description="runs as the pool's admin")
    max_task_retry_count: StrictInt = Field(0, alias="maxTaskRetryCount", ge=-1, le=100, description="-1: no limit")


class PoolSettings(_Model):
    # Batch pool ids allow 64 characters; the deployed id is this name plus a random suffix (create-before-delete).
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$", description="the pool id, before a random suffix")
    vm_size: str = Field(alias="vmSize", description="the nodes' VM size")
    node_agent_sku_id: str = Field(alias="nodeAgentSkuId", description="a Batch node agent of the image's OS")
    target_dedicated_nodes: StrictInt | None = Field(
        None, alias="targetDedicatedNodes", ge=0, le=10000, description="fixed size: dedicated nodes"
    )
    target_spot_nodes: StrictInt | None = Field(
        None, alias="targetSpotNodes", ge=0, le=10000, description="fixed size: Spot nodes"
    )
    auto_scale: AutoScale | None = Field(None, alias="autoScale", description="instead of the fixed targets")
    task_slots_per_node: StrictInt = Field(
        1, alias="taskSlotsPerNode", ge=1, le=256, description="tasks a node runs at once"
    )
    start_task: StartTask | None = Field(None, alias="startTask", description="run on each node as it joins")
    image_version: str | None = Field(
        None,
        alias="imageVersion",
        description="pin to an earlier published version (a rollback without a rebuild); default image.version",
    )
    # Outbound from nodes without public IP addresses goes through the user's NAT gateway or firewall.
    subnet_id: str | None = Field(
        None, alias="subnetId", description="a subnet's ARM id, same region and subscription as the Batch account"
    )
    public_ips: Literal["BatchManaged", "None"] = Field(
        "BatchManaged", alias="publicIPs", description="None needs subnetId"
    )
    identities: list[str] = Field(
        default_factory=list, max_length=20, description="user-assigned managed identity ids, on every node"
    )
    # The image must run Docker-compatible containers.
    container_images: list[str] = Field(
        default_factory=list,
        alias="containerImages",
        max_length=100,
        description="image references with a tag or digest, pulled onto every node as it joins",
    )
    drain_timeout: str = Field(
        DEFAULT_DRAIN_TIMEOUT,
        alias="drainTimeout",
        description="ISO 8601: how long a replaced pool lets running tasks finish before it is deleted",
    )

    _vm_size = field_validator("vm_size")(_check_vm_size)

    @field_validator("image_version")
    @classmethod
    def _image_version(cls, value: str | None) -> str | None:
        if value is not None and not is_image_version(value):
            raise ValueError(f"allowed: a published gallery image version {IMAGE_VERSION_RULE}")
        return value

    @field_validator("drain_timeout")
    @classmethod
    def _drain_timeout(cls, value: str) -> str:
        if duration_minutes(value) > MAX_DRAIN_TIMEOUT_HOURS * 60:
            raise ValueError(f"allowed: at most PT{MAX_DRAIN_TIMEOUT_HOURS}H (PT0S deletes a replaced pool at once)")
        return value

    @field_validator("subnet_id")
    @classmethod
    def _subnet(cls, value: str | None) -> str | None:
        if value is not None and not SUBNET_ID.match(value):
            raise ValueError(f"allowed: {SUBNET_ID_RULE}")
        return value

    @field_validator("node_agent_sku_id")
    @classmethod
    def _sku(cls, value: str) -> str:
        if value not in NODE_AGENT_SKUS:
            raise ValueError(f"allowed: one of {', '.join(sorted(NODE_AGENT_SKUS))}")
        return value

    @model_validator(mode="after")
    def _one_scale_mode(self) -> PoolSettings:
        fixed = self.target_dedicated_nodes is not None or self.target_spot_nodes is not None
        if fixed and self.auto_scale is not None:
            raise KeyedError(
                "autoScale",
                self.auto_scale.formula,
                "either fixed targets (targetDedicatedNodes/targetSpotNodes) or autoScale, not both",
            )
        if self.public_ips == "None" and self.subnet_id is None:
            raise KeyedError(
                "publicIPs",
                "None",
                "BatchManaged, or None together with subnetId (nodes without public IP addresses reach Batch and "
                "Storage only from a subnet of yours, through your NAT gateway or firewall)",
            )
        self._check_list("identities", self.identities, USER_ASSIGNED_IDENTITY_ID.match, IDENTITY_RULE, True)
        self._check_list("containerImages", self.container_images, is_container_image, CONTAINER_IMAGE_RULE, False)
        return self

    @staticmethod
    def _check_list(key: str, values: list[str], valid: Any, rule: str, ignore_case: bool) -> None:
        """Each entry valid, each at most once; the first problem names its index."""
        seen: set[str] = set()
        for index, value in enumerate(values):
            if not isinstance(value, str) or not valid(value):
                raise KeyedError(f"{key}[{index}]", value, f"allowed: {rule}")
            folded = value.lower() if ignore_case else value
            if folded in seen:
                raise KeyedError(f"{key}[{index}]", value, f"each entry at most once; allowed: {rule}")
            seen.add(folded)

    @property
    def dedicated(self) -> int:
        return self.target_dedicated_nodes or 0

    @property
    def spot(self) -> int:
        return self.target_spot_nodes or 0

    @property
    def resize_timeout(self) -> str:
        """At least 15 minutes per 1,000 target nodes (Batch guidance), never under Batch's default PT15M."""
        minutes = 15 * max(1, math.ceil((self.dedicated + self.spot) / 1000))
        return f"PT{minutes}M"


class NetworkAccess(_Model):
    """An IP filter on a data-plane endpoint: the Batch account's (networkProfile.accountAccess), the image storage
    account's (networkRuleSet) or the Batch vault's (networkAcls). `pulumi up` goes through ARM and is not affected;
    with Deny, trusted Azure services still get in (bypass AzureServices) and everything else needs an IP rule."""

    default_action: Literal["Allow", "Deny"] = Field(
        "Allow", alias="defaultAction", description="Deny: only ipRules get in"
    )
    ip_rules: list[str] = Field(
        default_factory=list,
        alias="ipRules",
        max_length=200,
        description="IPv4 addresses or CIDR ranges; only with Deny",
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> NetworkAccess:
        for index, value in enumerate(self.ip_rules):
            try:
                network = ipaddress.ip_network(value, strict=True)
            except ValueError:
                network = None
            if not isinstance(network, ipaddress.IPv4Network):
                raise KeyedError(
                    f"ipRules[{index}]",
                    value,
                    "allowed: an IPv4 address or CIDR range with no host bits set, such as 203.0.113.7 or "
                    "203.0.113.0/24",
                )
        if self.ip_rules and self.default_action == "Allow":
            raise KeyedError(
                "defaultAction", "Allow", "Deny when ipRules are listed (with Allow every address gets in anyway)"
            )
        return self


IpFilter = tuple[str, list[str]]
"""(defaultAction, ipRules) as the components take them. Where the resource has a bypass list (the storage account,
the Key Vault), trusted Azure services always pass: Batch reaches its vault and auto-storage that way."""


def ip_filter(access: NetworkAccess | None) -> IpFilter | None:
    return (access.default_action, list(access.ip_rules)) if access is not None else None


class BatchSettings(_Model):
    pool_allocation_mode: Literal["UserSubscription", "BatchService"] = Field(
        "UserSubscription", alias="poolAllocationMode", description="UserSubscription: pool VMs in your subscription"
    )
    service_principal_object_id: str = Field(
        "",
        alias="servicePrincipalObjectId",
        description='the "Microsoft Azure Batch" principal\'s object id in your tenant; empty: looked up by its app id',
    )
    # The role on the subscription is one per subscription.
    grant_subscription_role: StrictBool = Field(
        True, alias="grantSubscriptionRole", description="false when another stack already granted it"
    )
    public_network_access: Literal["Enabled", "Disabled"] = Field(
        "Enabled",
        alias="publicNetworkAccess",
        description="the account endpoint for jobs, tasks and make smoke; Disabled needs a private endpoint",
    )
    account_access: NetworkAccess | None = Field(
        None, alias="accountAccess", description="who may call the account endpoint"
    )
    # Batch reaches its vault as a trusted service.
    vault_network_access: NetworkAccess | None = Field(
        None,
        alias="vaultNetworkAccess",
        description="the Batch Key Vault's network ACLs; Deny with no ipRules also disables its public network access",
    )

    @field_validator("service_principal_object_id")
    @classmethod
    def _guid(cls, value: str) -> str:
        if value and not GUID.match(value):
            raise ValueError("allowed: empty (looked up by app id) or the principal's object id, a GUID")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> BatchSettings:
        if self.public_network_access == "Disabled" and self.account_access is not None:
            raise KeyedError(
                "accountAccess",
                self.account_access.model_dump(by_alias=True),
                "no accountAccess when publicNetworkAccess is Disabled (IP rules apply only to public access)",
            )
        return self


class DeployerSettings(_Model):
    """Who runs `pulumi up`: the principal type sent with the deployer's role assignment (storage blob access).

    Azure checks the type against the principal and fails with UnmatchedPrincipalType when they differ. Left unset,
    load_settings() detects it: ServicePrincipal when the azure-native provider signs in as an application
    (`azure-native:clientId` / `ARM_CLIENT_ID`, or a managed identity via `azure-native:useMsi` / `ARM_USE_MSI`),
    User otherwise (`az login` as a person). The signed-in caller is never a group, so Group is not offered.
    """

    principal_type: Literal["User", "ServicePrincipal"] | None = Field(
        None,
        alias="principalType",
        description="the type on the deployer's blob role assignment; default detected: ServicePrincipal when "
        "azure-native:clientId or ARM_CLIENT_ID (or azure-native:useMsi / ARM_USE_MSI) is set, User otherwise; set it "
        "when az login --service-principal is the only sign-in",
    )


class StorageSettings(_Model):
    # Off needs nothing to use keys: the builder on a managed disk (the gallery then takes the generalized VM), Batch
    # auto-storage with its identity.
    allow_shared_key_access: StrictBool = Field(
        True,
        alias="allowSharedKeyAccess",
        description="account keys and account SAS; false needs a managed builder OS disk and moves Batch auto-storage "
        "to the Batch account's managed identity",
    )
    network_access: NetworkAccess | None = Field(
        None,
        alias="networkAccess",
        description="Deny needs a managed builder OS disk and the address pulumi up runs from in ipRules (the capture "
        "step copies blobs from there)",
    )


class Settings(_Model):
    location: str = Field(description="azure-native:location, the region of every resource")
    image: ImageSettings = Field(description="The custom image.")
    batch: BatchSettings = Field(BatchSettings(), description="The Batch account.")
    pools: list[PoolSettings] = Field(min_length=1, description="The Batch pools, at least one.")
    storage: StorageSettings = Field(StorageSettings(), description="The image storage account.")
    deployer: DeployerSettings = Field(DeployerSettings(), description="Who runs pulumi up.")

    _location = field_validator("location")(_check_region)

    @model_validator(mode="before")
    @classmethod
    def _nvme_for_v6_pools(cls, data: Any) -> Any:
        """A pool on a size that boots only from NVMe (facts.NVME_VM_SIZE) needs an image definition declaring it:
        the program sets image.diskControllerTypes "SCSI, NVMe" unless the user set it (to SCSI: the gate refuses)."""
        if not isinstance(data, Mapping):
            return data
        image, pools = data.get("image"), data.get("pools")
        if not isinstance(image, Mapping) or "diskControllerTypes" in image or not isinstance(pools, list):
            return data
        if image.get("hyperVGeneration", "V2") != "V2":
            return data  # generation 1 boots from SCSI only; the gate names the sizes that cannot boot it
        sizes = [p.get("vmSize") for p in pools if isinstance(p, Mapping)]
        if any(isinstance(s, str) and NVME_VM_SIZE.match(s) for s in sizes):
            return {**data, "image": {**image, "diskControllerTypes": NVME_DISK_CONTROLLERS}}
        return data

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        names = [p.name.lower() for p in self.pools]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise KeyedError("pools", duplicates, "pool names must be unique (case-insensitive)")
        for index, pool in enumerate(self.pools):
            pool_os = NODE_AGENT_SKUS[pool.node_agent_sku_id]
            if pool_os != self.image.os_type:
                raise KeyedError(
                    f"pools[{index}].nodeAgentSkuId",
                    pool.node_agent_sku_id,
                    f"a {self.image.os_type} node agent SKU: the image's osType is {self.image.os_type}",
                )
        if not self.storage.allow_shared_key_access:
            self._check_no_shared_key_user()
        access = self.storage.network_access
        if access is not None and access.default_action == "Deny":
            self._check_no_platform_reader()
        return self

    def _check_no_platform_reader(self) -> None:
        """The platform reads the account for the classic builder's VHD disk: keep the account open for it. (The
        gallery takes a managed builder's generalized VM; an exported VHD is written, never read, by Azure.)"""
        if self.has_builder and self.image.builder.os_disk == "unmanaged":
            raise KeyedError(
                "storage.networkAccess.defaultAction",
                "Deny",
                "Allow while image.builder.osDisk is unmanaged (the builder's OS disk is a VHD in the account), which "
                "is not documented to pass the account's network rules; with a managed builder the gallery takes the "
                "generalized VM and the account can be closed",
            )

    def _check_no_shared_key_user(self) -> None:
        """What still reads the image storage account with its keys refuses `allowSharedKeyAccess: false`."""
        if self.has_builder and self.image.builder.os_disk == "unmanaged":
            raise KeyedError(
                "storage.allowSharedKeyAccess",
                False,
                "true while image.builder.osDisk is unmanaged (the builder's VHD disk lives in the account and the "
                "platform reaches it with the account key); use osDisk managed to turn shared key off",
            )

    @property
    def builds_image(self) -> bool:
        """The image is built by this stack (source: build), whether or not its builder is still there."""
        return self.image.source == "build"

    @property
    def consumes_image_stack(self) -> bool:
        """A pool stack: its pools use another stack's published image versions (image.source stack)."""
        return self.image.source == "stack"

    @property
    def has_builder(self) -> bool:
        """The builder VM, its network and the capture exist (source: build, builder not retired)."""
        return self.builds_image and self.image.builder.enabled

    def pool_image_version(self, pool: PoolSettings) -> str:
        return pool.image_version or self.image.version

    @property
    def user_subscription(self) -> bool:
        return self.batch.pool_allocation_mode == "UserSubscription"

    @property
    def replicas(self) -> list[Replica]:
        """Configured replicas, plus the Batch region (Batch needs a replica there): one per 300 target nodes."""
        replicas = list(self.image.replicas)
        if all(r.region != self.location for r in replicas):
            nodes = sum(p.dedicated + p.spot for p in self.pools)
            replicas.insert(0, Replica(region=self.location, count=max(1, math.ceil(nodes / 300))))
        return replicas
