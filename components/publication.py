"""Publishing the image: how image.version gets into the gallery, which older versions stay, and the record of them.

This is the one place that decides it. `prepare_publication` runs before anything is registered: it reads back what
this stack has published (components/image_versions.py: a reference to the stack's own last outputs, not to another
stack), decides the versions the gallery keeps (raising for a version the stack can't have) and pins the builder's
base image (components/base_image.py: `latest` resolved once, so a new marketplace version is a content change).
`Publisher.publish` then registers what one of these ways of publishing needs, one method each:

- build (`_build`): the builder VM, the capture, and the VHD retention; the gallery takes the generalized VM
  (osDisk managed; an exported VHD is an extra artifact) or the captured VHD (osDisk unmanaged: the only image);
- retired (`_retired`): the builder is gone, image.version is declared again exactly as this stack published it;
- vhd (`_imported`): the gallery imports image.vhdUri from its storage account;
- stack (`_consumed`): a pool stack publishes nothing: its pools boot the versions another stack (the image stack)
  published, read through a StackReference before anything is registered (components/image_stack.py). No builder,
  capture or gallery; no record of its own (the record stays the image stack's), the stack output imageStack instead.

Each of the first three ends the same (`_in_gallery`): the gallery holds image.version first, then the older kept
versions as they were published (excludeFromLatest), and the record the next run reads back names them all. With the
canary on (components/canary_plan.py decides whether it runs), a new image.version is published excluded from
`latest` and GalleryLatest owns the flags; components/canary/gate.py then gates the publication on the canary. The
result is one value, `Publication`, which `__main__.py` wires into the Batch account, the pools and the stack outputs
(`Publication.outputs`: the same keys whichever way the image was published, but the record or the image stack).

Resource names and parents are those the program always used (no component of its own: a parent would change every
URN), so deployed stacks plan without a replacement (tests/plan/test_upgrade_exports.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi

from components.base_image import pinned_builder
from components.builder import BuilderVm, BuilderVmArgs, render_guest_setup
from components.canary_plan import POOL_STACK, CanaryPlan, canary_plan
from components.capture.resource import GeneralizedImageArgs, VhdRetention, VhdRetentionArgs, capture_builder
from components.capture.spec import makes_vhd
from components.gallery import GallerySource, GalleryVersion, ImageGallery, ImageGalleryArgs
from components.image_content import fingerprint, image_content
from components.image_stack import ConsumedImage, read_image_stack
from components.image_versions import (
    RECORD_OUTPUT,
    PublishedVersion,
    kept_versions,
    read_published_versions,
    record_output,
)
from components.settings import Builder, Settings
from components.storage import ImageStorage

LOOKUP_PROVIDER = "marketplace-lookup"  # the classic provider resource the base image lookup goes through


@dataclass(frozen=True)
class PublicationArgs:
    """What publishing takes from the resources composed before it."""

    resource_group_name: pulumi.Input[str]  # the builder's network and VM, and the gallery, go in this group
    location: str  # the stack's region (azure-native:location): the builder's and the gallery's
    subscription_id: pulumi.Input[str]  # the deployer's subscription: the builder's role assignment scope
    gallery_name: pulumi.Input[str]  # the gallery's name (components/naming.py stack_names)
    # The image storage account: the builder's container, the VHD container, and the deployer's blob access the
    # capture and the VHD retention depend on (so `pulumi destroy` removes them before that access).
    storage: ImageStorage


@dataclass(frozen=True)
class Publication:
    """What publishing image.version leaves: one value for the resources and stack outputs composed after it."""

    current: GalleryVersion  # image.version as the gallery holds it: its source, regions, content fingerprint
    versions: list[GalleryVersion]  # every version the gallery holds: `current` first, then the older kept ones
    vhd_uri: pulumi.Input[str] | None  # the image's VHD in a storage account, when there is one (output imageVhdUri)
    # the record of published versions (stack output publishedImageVersions); None for a pool stack (image stack's).
    # An Output once gated on the canary (components/canary/gate.py): registered only when it passed.
    record: pulumi.Input[dict[str, Any]] | None
    gallery_id: pulumi.Output[str]  # the gallery's ARM id: the scope of the Batch principal's image read access
    image_version_ids: Mapping[str, pulumi.Output[str]]  # the ARM id of every version the gallery holds, by version
    pool_versions: Mapping[str, str]  # the version each pool boots from, by pool name (pools[].imageVersion or current)
    image_stack: str | None = None  # a pool stack's image stack, <organization>/<project>/<stack> (output imageStack)
    # Whether the canary runs, and why (components/canary_plan.py); off for a pool stack.
    canary: CanaryPlan = POOL_STACK
    gallery: ImageGallery | None = None  # the gallery component (its versions): GalleryLatest comes after them

    @property
    def image_version_id(self) -> pulumi.Output[str]:
        """image.version's ARM id (stack output galleryImageVersionId)."""
        return self.image_version_ids[self.current.version]

    @property
    def pool_image_version_ids(self) -> dict[str, pulumi.Output[str]]:
        """The ARM id of the version each pool boots from, by pool name."""
        return {pool: self.image_version_ids[version] for pool, version in self.pool_versions.items()}

    @property
    def outputs(self) -> dict[str, Any]:
        """The stack outputs of the published image (README "Stack outputs"): imageVhdUri when there is a VHD,
        galleryImageVersionId, and the record (publishedImageVersions) or, for a pool stack, imageStack."""
        outputs: dict[str, Any] = {} if self.vhd_uri is None else {"imageVhdUri": self.vhd_uri}
        outputs["galleryImageVersionId"] = self.image_version_id
        if self.record is not None:
            outputs[RECORD_OUTPUT] = self.record
        if self.image_stack is not None:
            outputs["imageStack"] = self.image_stack
        return outputs


@dataclass(frozen=True)
class Publisher:
    """The publication decided before anything is registered; `publish` registers it."""

    settings: Settings
    builder: Builder  # image.builder with its base image version pinned (unchanged without a builder)
    published: Mapping[str, PublishedVersion]  # this stack's record, as its last update left it
    older: list[PublishedVersion]  # the versions kept beside image.version, newest first (computed once, here)
    # The builder's subnet, for the storage account's network rules (the guest writes its build-proof markers there):
    # the account is registered before the builder that needs its endpoint, so the subnet id is resolved later.
    builder_subnet_ids: list[pulumi.Input[str]] = field(default_factory=list)
    resolve_builder_subnet: Callable[[pulumi.Output[str]], None] | None = None
    consumed: ConsumedImage | None = None  # image.source stack: the image stack's versions the pools boot

    @property
    def canary(self) -> CanaryPlan:
        """Whether the canary runs for image.version, and why (components/canary_plan.py)."""
        return canary_plan(self.settings, self.published)

    @property
    def deployer_blob_access(self) -> bool:
        """The deployer needs data access to the image storage account: the capture reads the build proof and
        writes the VHD, the VHD retention deletes VHDs (only while the builder exists)."""
        return self.settings.has_builder

    def publish(self, args: PublicationArgs) -> Publication:
        """Register the way image.version is published, then the gallery with every kept version."""
        if self.consumed is not None:
            return self._consumed(self.consumed)
        if self.settings.has_builder:
            return self._build(args)
        if self.settings.builds_image:
            return self._retired(args)
        return self._imported(args)

    def _build(self, args: PublicationArgs) -> Publication:
        """The builder VM bakes the image, the capture generalizes it, the gallery takes the VM or the VHD."""
        image, builder, storage = self.settings.image, self.builder, args.storage
        setup_script = builder.setup_script_path.read_text()
        user_data = render_guest_setup(image.os_type, setup_script, image.version)
        content = image_content(setup_script, user_data, builder, image.os_type, image.security_type)
        vm = BuilderVm(
            "builder",
            BuilderVmArgs(
                resource_group_name=args.resource_group_name,
                location=args.location,
                builder=builder,
                image_version=image.version,
                user_data=user_data,
                blob_endpoint=storage.blob_endpoint,
                builder_container=storage.builder_container,
                security_type=image.security_type,
                os_type=image.os_type,
                storage_account_id=storage.account_id,
                storage_account_name=storage.account_name,
                subscription_id=args.subscription_id,
                storage_service_endpoint=self.resolve_builder_subnet is not None,
            ),
        )
        if self.resolve_builder_subnet is not None:
            self.resolve_builder_subnet(vm.subnet_id)
        captured = capture_builder(
            "capture",
            GeneralizedImageArgs(
                vm_id=vm.vm_id,
                vm_urn=vm.vm_urn,
                os_disk_mode=builder.os_disk,
                os_type=image.os_type,
                image_version=image.version,
                image_content=content,
                export_vhd=image.export_vhd,
                storage_account_id=storage.account_id,
                blob_endpoint=storage.blob_endpoint,
                vhd_container=storage.images_container,
                vhd_prefix=f"{image.name}-{image.version}",
                guest_timeout_minutes=builder.guest_timeout_minutes,
                # The VHD belongs to the published version (the record keeps its URI): it outlives the capture
                # when the builder is retired or the next version is built. `pulumi destroy` removes the account.
                retain_vhd_on_delete=True,
            ),
            data_access=storage.deployer_blob_access,
        )
        vhd_uri = captured.vhd_uri if makes_vhd(builder.os_disk, image.export_vhd) else None
        if builder.os_disk == "managed":  # the gallery takes the generalized VM; a VHD is an extra artifact
            source = GallerySource(virtual_machine_id=captured.vm_id)
        else:  # the classic capture's VHD is the only image there is
            source = GallerySource(vhd_uri=captured.vhd_uri, storage_account_id=storage.account_id)
        VhdRetention(  # deletes the VHDs no kept version names: past keepVersions, or an earlier build of this one
            "vhd-retention",
            VhdRetentionArgs(
                blob_endpoint=storage.blob_endpoint,
                vhd_container=storage.images_container,
                keep=[*([vhd_uri] if vhd_uri is not None else []), *(old.vhd_uri for old in self.older if old.vhd_uri)],
            ),
            pulumi.ResourceOptions(depends_on=[captured, *filter(None, [storage.deployer_blob_access])]),
        )
        current = GalleryVersion(image.version, source, self._target_regions(), fingerprint(content))
        return self._in_gallery(args, current, vhd_uri)

    def _retired(self, args: PublicationArgs) -> Publication:
        """The builder is retired: image.version as this stack published it (kept_versions refused any other)."""
        recorded = self.published[self.settings.image.version]
        return self._in_gallery(args, recorded.in_gallery(exclude_from_latest=False), recorded.vhd_uri)

    def _imported(self, args: PublicationArgs) -> Publication:
        """`source: vhd`: the gallery imports the VHD from its storage account."""
        image = self.settings.image
        source = GallerySource(vhd_uri=image.vhd_uri, storage_account_id=image.vhd_storage_account_id)
        return self._in_gallery(args, GalleryVersion(image.version, source, self._target_regions()), image.vhd_uri)

    def _consumed(self, consumed: ConsumedImage) -> Publication:
        """`source: stack`: nothing registered; the image stack's versions as its record holds them."""
        current = consumed.versions[consumed.current].in_gallery(exclude_from_latest=False)
        others = [v.in_gallery(exclude_from_latest=True) for k, v in consumed.versions.items() if k != consumed.current]
        return Publication(
            current=current,
            versions=[current, *others],
            vhd_uri=None,
            record=None,
            gallery_id=pulumi.Output.from_input(consumed.gallery_id),
            image_version_ids={v: pulumi.Output.from_input(i) for v, i in consumed.version_ids.items()},
            pool_versions=consumed.pool_versions,
            image_stack=consumed.stack,
        )

    @property
    def _canary_passed(self) -> bool:
        """image.version's record entry says `canary: passed`: its canary runs (the record is registered only once it
        passed, components/canary/gate.py) or passed in an earlier update."""
        recorded = self.published.get(self.settings.image.version)
        return self.canary.declared or (recorded is not None and recorded.canary_passed)

    def _target_regions(self) -> list[tuple[str, int]]:
        return [(replica.region, replica.count) for replica in self.settings.replicas]

    def _in_gallery(
        self, args: PublicationArgs, current: GalleryVersion, vhd_uri: pulumi.Input[str] | None
    ) -> Publication:
        """The gallery with `current` and the older kept versions as published, and the record naming them."""
        settings, canary = self.settings, self.canary
        if canary.declared:  # published excluded from latest: GalleryLatest lifts the flag once the canary passed
            current = replace(current, exclude_from_latest=True)
        versions = [current, *(old.in_gallery(exclude_from_latest=True) for old in self.older)]
        gallery = ImageGallery(
            "gallery",
            ImageGalleryArgs(
                resource_group_name=args.resource_group_name,
                location=args.location,
                gallery_name=args.gallery_name,
                image=settings.image,
                versions=versions,
                latest_owned=canary.owns_latest,
            ),
        )
        return Publication(
            current=current,
            versions=versions,
            vhd_uri=vhd_uri,
            record=record_output(settings, current, vhd_uri, self.published, self.older, self._canary_passed),
            gallery_id=gallery.gallery_id,
            image_version_ids=gallery.image_version_ids,
            pool_versions={pool.name: settings.pool_image_version(pool) for pool in settings.pools},
            canary=canary,
            gallery=gallery,
        )


async def prepare_publication(settings: Settings, subscription_id: pulumi.Input[str]) -> Publisher:
    """Decide the publication before any resource is registered. Raises RecordError for a record that can't be read
    back safely, SettingsError for a version the stack can't have, ValueError for a base image the marketplace
    doesn't have. Registers only the base image lookup's provider. A pool stack (image.source stack) reads the image
    stack's outputs instead (ImageStackError, SettingsError: nothing published, no replica in this region)."""
    if settings.consumes_image_stack:
        return Publisher(settings, settings.image.builder, {}, [], consumed=await read_image_stack(settings))
    published = await read_published_versions(settings)
    image = settings.image
    older = [published[v] for v in kept_versions(settings, published) if v != image.version]
    if not settings.has_builder:
        return Publisher(settings, image.builder, published, older)
    builder = await pinned_builder(LOOKUP_PROVIDER, image.builder, settings.location, subscription_id)
    if settings.storage.network_access is None:
        return Publisher(settings, builder, published, older)
    subnet_id: pulumi.Output[str]
    resolve: Callable[[pulumi.Output[str]], None]
    subnet_id, resolve = pulumi.deferred_output()
    return Publisher(settings, builder, published, older, [subnet_id], resolve)
