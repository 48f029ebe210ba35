"""Azure Compute Gallery: the gallery, the image definition and the image versions Batch pools boot from.

Since 31 March 2026 Batch accepts custom images only from a Compute Gallery, so every path ends here: a version's
source is the generalized VM (managed builder, with or without an exported VHD) or a VHD blob + its storage account
(classic unmanaged capture, or `source: vhd`). Batch needs a replica in its own region; settings.replicas guarantees
one. The gallery holds image.version and the earlier versions kept for rollback (components/image_versions.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import compute

from components.image_content import FINGERPRINT_TAG
from components.settings import ImageSettings

# The version resource's input path the canary's GalleryLatest owns (pulumi-azure-native compute.GalleryImageVersion
# `publishing_profile.exclude_from_latest`, wire names, as ignore_changes takes them).
EXCLUDE_FROM_LATEST = "publishingProfile.excludeFromLatest"


@dataclass
class GallerySource:
    """Exactly one of: a generalized VM's id, or a VHD blob URI with its storage account id."""

    virtual_machine_id: pulumi.Input[str] | None = None
    vhd_uri: pulumi.Input[str] | None = None
    storage_account_id: pulumi.Input[str] | None = None


@dataclass
class GalleryVersion:
    """One image version the gallery holds, with the inputs it is created with (and recorded with)."""

    version: str  # MAJOR.MINOR.PATCH
    source: GallerySource
    target_regions: list[tuple[str, int]]  # (region, replica count); Batch's region among them
    # components/image_content.py fingerprint of a built image, tagged on the version (None for `source: vhd`).
    content_fingerprint: str | None = None
    # True for every version but image.version: `latest` never resolves to a kept or pinned older version.
    exclude_from_latest: bool = False


@dataclass
class ImageGalleryArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    gallery_name: pulumi.Input[str]
    image: ImageSettings
    versions: list[GalleryVersion]  # image.version first, then the older versions kept (image_versions.py)
    # The canary is on: GalleryLatest (components/canary/resource.py) owns every version's excludeFromLatest, which
    # the version resources then ignore (their declared flag is the one they were created with).
    latest_owned: bool = False


class ImageGallery(pulumi.ComponentResource):
    gallery_id: pulumi.Output[str]  # the gallery's ARM id: the scope of the Batch principal's image read access
    gallery_name: pulumi.Output[str]
    image_definition_id: pulumi.Output[str]
    image_version_id: pulumi.Output[str]  # image.version's
    image_version_ids: dict[str, pulumi.Output[str]]  # every version the gallery holds, by version

    def __init__(self, name: str, args: ImageGalleryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("batch-custom-image:gallery:ImageGallery", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        image = args.image
        base = image.builder.base_image

        gallery = compute.Gallery(
            f"{name}-gallery",
            gallery_name=args.gallery_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            description="Custom images for Azure Batch pools",
            opts=child,
        )
        definition = compute.GalleryImage(
            f"{name}-definition",
            gallery_image_name=image.name,
            gallery_name=gallery.name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            os_type=compute.OperatingSystemTypes(image.os_type),
            os_state=compute.OperatingSystemStateTypes.GENERALIZED,  # Batch takes generalized images only
            hyper_v_generation=image.hyper_v_generation,
            # The definition's identity; for `source: vhd` the builder's base image names the lineage.
            identifier=compute.GalleryImageIdentifierArgs(publisher=base.publisher, offer=base.offer, sku=base.sku),
            # Sent only when not Azure's default x64, so definitions created before image.architecture stay as they are.
            architecture=image.architecture if image.architecture != "x64" else None,
            features=_features(image.security_type, image.disk_controller_types),
            opts=child,
        )
        self.image_version_ids = {
            kept.version: _image_version(f"{name}-version", kept, args, definition.name, gallery.name, child).id
            for kept in args.versions
        }
        self.gallery_id = gallery.id
        self.gallery_name = gallery.name
        self.image_definition_id = definition.id
        self.image_version_id = self.image_version_ids[args.image.version]
        self.register_outputs(
            {
                "gallery_id": self.gallery_id,
                "gallery_name": self.gallery_name,
                "image_definition_id": self.image_definition_id,
                "image_version_id": self.image_version_id,
                "image_version_ids": self.image_version_ids,
            }
        )


def _image_version(
    prefix: str,
    kept: GalleryVersion,
    args: ImageGalleryArgs,
    image_name: pulumi.Input[str],
    gallery_name: pulumi.Input[str],
    child: pulumi.ResourceOptions,
) -> compute.GalleryImageVersion:
    """One version resource per version (`<prefix>-<version>`), so that publishing a new one leaves the others be.
    image.version's takes over the resource stacks from before the record had (`<prefix>`, one version at a time)."""
    legacy = [pulumi.Alias(name=prefix)] if kept.version == args.image.version else []
    return compute.GalleryImageVersion(
        f"{prefix}-{kept.version}",
        gallery_image_version_name=kept.version,
        gallery_image_name=image_name,
        gallery_name=gallery_name,
        resource_group_name=args.resource_group_name,
        location=args.location,
        publishing_profile=compute.GalleryImageVersionPublishingProfileArgs(
            target_regions=[
                compute.TargetRegionArgs(
                    name=region,
                    regional_replica_count=count,
                    storage_account_type=compute.StorageAccountType.STANDARD_LRS,
                )
                for region, count in kept.target_regions
            ],
            # Left unset (false) on image.version, so publishing it sends what versions always had; true on a new
            # version while the canary is on (GalleryLatest lifts it once the canary passed).
            exclude_from_latest=True if kept.exclude_from_latest else None,
        ),
        storage_profile=_storage_profile(kept.source),
        tags={FINGERPRINT_TAG: kept.content_fingerprint} if kept.content_fingerprint else None,
        opts=pulumi.ResourceOptions.merge(
            child,
            pulumi.ResourceOptions(aliases=legacy, ignore_changes=[EXCLUDE_FROM_LATEST] if args.latest_owned else None),
        ),
    )


def _features(security_type: str, disk_controllers: str | None) -> list[compute.GalleryImageFeatureArgs] | None:
    """TrustedLaunch: the definition's SecurityType feature says its images boot only as Trusted Launch VMs, which
    pools must match (securityProfile). Standard: no feature, as definitions created before image.securityType.
    DiskControllerTypes (image.diskControllerTypes, "SCSI, NVMe" when a pool's size boots only from NVMe): the OS disk
    controllers the images support (feature name and value as https://learn.microsoft.com/azure/virtual-machines/nvme-overview
    shows them; the failure without it: hashicorp/packer-plugin-azure#521). None when neither applies."""
    features = []
    if security_type == "TrustedLaunch":
        features.append(compute.GalleryImageFeatureArgs(name="SecurityType", value="TrustedLaunch"))
    if disk_controllers is not None:
        features.append(compute.GalleryImageFeatureArgs(name="DiskControllerTypes", value=disk_controllers))
    return features or None


def _storage_profile(source: GallerySource) -> compute.GalleryImageVersionStorageProfileArgs:
    if source.virtual_machine_id is not None:
        return compute.GalleryImageVersionStorageProfileArgs(
            source=compute.GalleryArtifactVersionFullSourceArgs(virtual_machine_id=source.virtual_machine_id)
        )
    if source.vhd_uri is None or source.storage_account_id is None:
        raise ValueError("a gallery image version needs a VM id, or a VHD URI and its storage account id")
    return compute.GalleryImageVersionStorageProfileArgs(
        os_disk_image=compute.GalleryOSDiskImageArgs(
            host_caching=compute.HostCaching.READ_ONLY,
            source=compute.GalleryDiskImageSourceArgs(uri=source.vhd_uri, storage_account_id=source.storage_account_id),
        )
    )
