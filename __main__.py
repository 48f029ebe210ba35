"""batch-custom-image: an Azure Batch pool whose nodes boot from your own VM image.

This file only composes: validated settings → image storage → builder VM → capture → gallery image versions →
Batch account → pools, each wired to the next through outputs. Each concern lives in its own module in components/.
`main` is asynchronous (pulumi.run) because two facts are read before anything is registered: what this stack has
published (components/image_versions.py) and the base image version `latest` stands for (components/base_image.py).
"""

from collections.abc import Callable

import pulumi
from pulumi_azure_native import authorization, resources

from components.base_image import pinned_builder
from components.batch_account import BatchAccount, BatchAccountArgs
from components.builder import BuilderVm, BuilderVmArgs, render_guest_setup
from components.capture.resource import GeneralizedImageArgs, VhdRetention, capture_builder
from components.capture.spec import makes_vhd
from components.gallery import GallerySource, GalleryVersion, ImageGallery, ImageGalleryArgs
from components.image_content import fingerprint, image_content
from components.image_stack import ConsumedImage, read_image_stack
from components.image_versions import RECORD_OUTPUT, kept_versions, read_published_versions, record_output
from components.invokes import service_principal_object_id
from components.naming import stack_names
from components.pools import BatchPools, BatchPoolsArgs, pool_output_extras
from components.settings import BATCH_SERVICE_PRINCIPAL_APP_ID, Settings, ip_filter, load_settings
from components.storage import ImageStorage, ImageStorageArgs


async def main() -> None:
    settings: Settings = load_settings()  # raises before any resource is registered
    image = settings.image
    # A pool stack (image.source stack) reads another stack's published versions and publishes none of its own.
    consumed: ConsumedImage | None = None
    published, kept = {}, []
    if settings.consumes_image_stack:
        consumed = await read_image_stack(settings)  # RunError: nothing published, or no replica in this region
    else:
        published = await read_published_versions(settings)  # RunError for a record it can't read back safely
        kept = kept_versions(settings, published)  # raises for a version the stack can't have, before any resource
    client = authorization.get_client_config_output()
    names = stack_names(client.subscription_id)
    # `latest` resolved before any resource: a base image the marketplace doesn't have fails here
    builder_settings = image.builder
    if settings.has_builder:
        builder_settings = await pinned_builder(
            "marketplace-lookup", image.builder, settings.location, client.subscription_id
        )

    group = resources.ResourceGroup("rg", location=settings.location)

    # The builder's subnet, let through the storage network rules for the guest's build-proof markers: the account is
    # registered before the builder (which needs its endpoint), so the subnet id is resolved once the builder exists.
    restricted_storage = settings.has_builder and settings.storage.network_access is not None
    builder_subnet_id: pulumi.Output[str] | None = None
    resolve_builder_subnet: Callable[[pulumi.Output[str]], None] | None = None
    if restricted_storage:
        builder_subnet_id, resolve_builder_subnet = pulumi.deferred_output()
    storage = ImageStorage(
        "image-storage",
        ImageStorageArgs(
            resource_group_name=group.name,
            location=settings.location,
            account_name=names["storage"],
            subscription_id=client.subscription_id,
            deployer_object_id=client.object_id if settings.has_builder else None,
            deployer_principal_type=settings.deployer.principal_type or "User",
            allow_shared_key_access=settings.storage.allow_shared_key_access,
            network_access=ip_filter(settings.storage.network_access),
            builder_subnet_ids=[builder_subnet_id] if builder_subnet_id is not None else [],
        ),
    )

    target_regions = [(replica.region, replica.count) for replica in settings.replicas]
    vhd_uri: pulumi.Input[str] | None  # the VHD in the storage account, when there is one (stack output imageVhdUri)
    if settings.has_builder:
        setup_script = builder_settings.setup_script_path.read_text()
        user_data = render_guest_setup(image.os_type, setup_script, image.version)
        content = image_content(setup_script, user_data, builder_settings, image.os_type, image.security_type)
        builder = BuilderVm(
            "builder",
            BuilderVmArgs(
                resource_group_name=group.name,
                location=settings.location,
                builder=builder_settings,
                image_version=image.version,
                user_data=user_data,
                blob_endpoint=storage.blob_endpoint,
                builder_container=storage.builder_container,
                security_type=image.security_type,
                os_type=image.os_type,
                storage_account_id=storage.account_id,
                storage_account_name=storage.account_name,
                subscription_id=client.subscription_id,
                storage_service_endpoint=restricted_storage,
            ),
        )
        if resolve_builder_subnet is not None:
            resolve_builder_subnet(builder.subnet_id)
        captured = capture_builder(
            "capture",
            GeneralizedImageArgs(
                vm_id=builder.vm_id,
                vm_urn=builder.vm_urn,
                os_disk_mode=builder_settings.os_disk,
                os_type=image.os_type,
                image_version=image.version,
                image_content=content,
                export_vhd=image.export_vhd,
                storage_account_id=storage.account_id,
                blob_endpoint=storage.blob_endpoint,
                vhd_container=storage.images_container,
                vhd_prefix=f"{image.name}-{image.version}",
                guest_timeout_minutes=builder_settings.guest_timeout_minutes,
                # The VHD belongs to the published version (the record keeps its URI): it outlives the capture
                # when the builder is retired or the next version is built. `pulumi destroy` removes the account.
                retain_vhd_on_delete=True,
            ),
            data_access=storage.deployer_blob_access,
        )
        vhd_uri = captured.vhd_uri if makes_vhd(builder_settings.os_disk, image.export_vhd) else None
        if builder_settings.os_disk == "managed":  # the gallery takes the generalized VM; a VHD is an extra artifact
            source = GallerySource(virtual_machine_id=captured.vm_id)
        else:  # the classic capture's VHD is the only image there is
            source = GallerySource(vhd_uri=captured.vhd_uri, storage_account_id=storage.account_id)
        current = GalleryVersion(image.version, source, target_regions, fingerprint(content))
        older_vhds = [uri for v in kept if v != image.version and (uri := published[v].vhd_uri)]
        VhdRetention(  # deletes the VHDs no kept version names: past keepVersions, or an earlier build of this one
            "vhd-retention",
            storage.blob_endpoint,
            storage.images_container,
            [*([vhd_uri] if vhd_uri is not None else []), *older_vhds],
            pulumi.ResourceOptions(depends_on=[captured, *filter(None, [storage.deployer_blob_access])]),
        )
    elif settings.builds_image:  # the builder is retired: the version as this stack published it
        current = published[image.version].in_gallery(exclude_from_latest=False)
        vhd_uri = published[image.version].vhd_uri
    elif consumed is None:
        vhd_uri = image.vhd_uri
        source = GallerySource(vhd_uri=image.vhd_uri, storage_account_id=image.vhd_storage_account_id)
        current = GalleryVersion(image.version, source, target_regions)

    if consumed is None:
        versions = [current] + [published[v].in_gallery(exclude_from_latest=True) for v in kept if v != image.version]
        gallery = ImageGallery(
            "gallery",
            ImageGalleryArgs(
                resource_group_name=group.name,
                location=settings.location,
                gallery_name=names["gallery"],
                image=image,
                versions=versions,
            ),
        )
        gallery_id: pulumi.Input[str] = gallery.gallery_id
        pool_versions = {spec.name: settings.pool_image_version(spec) for spec in settings.pools}
        version_ids: dict[str, pulumi.Input[str]] = dict(gallery.image_version_ids)
        version_id: pulumi.Input[str] = gallery.image_version_id
    else:
        vhd_uri = None
        gallery_id, pool_versions = consumed.gallery_id, consumed.pool_versions
        version_ids = dict(consumed.version_ids)
        version_id = consumed.version_ids[consumed.current]

    batch_principal: pulumi.Input[str] = settings.batch.service_principal_object_id
    if settings.user_subscription and not batch_principal:
        batch_principal = service_principal_object_id(BATCH_SERVICE_PRINCIPAL_APP_ID)

    account = BatchAccount(
        "batch",
        BatchAccountArgs(
            resource_group_name=group.name,
            location=settings.location,
            account_name=names["batch"],
            vault_name=names["vault"],
            user_subscription=settings.user_subscription,
            grant_subscription_role=settings.batch.grant_subscription_role,
            subscription_id=client.subscription_id,
            tenant_id=client.tenant_id,
            batch_principal_object_id=batch_principal,
            auto_storage_account_id=storage.account_id,
            auto_storage_keys=settings.storage.allow_shared_key_access,
            public_network_access=settings.batch.public_network_access,
            account_access=ip_filter(settings.batch.account_access),
            vault_access=ip_filter(settings.batch.vault_network_access),
            gallery_id=gallery_id,
        ),
    )

    pools = BatchPools(
        "pools",
        BatchPoolsArgs(
            resource_group_name=group.name,
            account_name=account.account_name,
            account_endpoint=account.account_endpoint,
            image_version_ids={spec.name: version_ids[pool_versions[spec.name]] for spec in settings.pools},
            pools=settings.pools,
            security_type=image.security_type,
        ),
    )

    pulumi.export("resourceGroupName", group.name)
    pulumi.export("location", settings.location)
    pulumi.export("storageAccountName", storage.account_name)
    if vhd_uri is not None:
        pulumi.export("imageVhdUri", vhd_uri)
    pulumi.export("galleryImageVersionId", version_id)
    if consumed is None:
        pulumi.export(RECORD_OUTPUT, record_output(settings, current, vhd_uri, published, kept))
    else:  # the image stack's current version; the record stays the image stack's
        pulumi.export("imageStack", consumed.stack)
    pulumi.export("batchAccountName", account.account_name)
    pulumi.export("batchAccountEndpoint", account.account_endpoint)
    pulumi.export(
        "pools",
        {
            spec.name: {
                "id": pools.pools[spec.name].id,
                "poolName": pools.pools[spec.name].name,
                "vmSize": spec.vm_size,
                "nodeAgentSkuId": spec.node_agent_sku_id,
                "imageVersion": pool_versions[spec.name],
                **pool_output_extras(spec),
            }
            for spec in settings.pools
        },
    )


pulumi.run(main)
