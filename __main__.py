"""batch-custom-image: an Azure Batch pool whose nodes boot from your own VM image.

This file only composes: validated settings → image storage → builder VM → capture → gallery image version →
Batch account → pools, each wired to the next through outputs. Each concern lives in its own module in components/.
"""

import pulumi
import pulumi_azuread as azuread
from pulumi_azure_native import authorization, resources

from components.batch_account import BatchAccount, BatchAccountArgs
from components.builder import BuilderVm, BuilderVmArgs
from components.capture.resource import GeneralizedImageArgs, capture_builder
from components.capture.spec import makes_vhd
from components.cloud_init import render_user_data
from components.gallery import GallerySource, ImageGallery, ImageGalleryArgs
from components.image_content import fingerprint, image_content
from components.naming import stack_names
from components.pools import BatchPools, BatchPoolsArgs
from components.settings import BATCH_SERVICE_PRINCIPAL_APP_ID, Settings, ip_filter, load_settings
from components.storage import ImageStorage, ImageStorageArgs

settings: Settings = load_settings()  # raises before any resource is registered
image = settings.image
client = authorization.get_client_config_output()
names = stack_names(client.subscription_id)

group = resources.ResourceGroup("rg", location=settings.location)

storage = ImageStorage(
    "image-storage",
    ImageStorageArgs(
        resource_group_name=group.name,
        location=settings.location,
        account_name=names["storage"],
        subscription_id=client.subscription_id,
        deployer_object_id=client.object_id if settings.builds_image else None,
        deployer_principal_type=settings.deployer.principal_type or "User",
        allow_shared_key_access=settings.storage.allow_shared_key_access,
        network_access=ip_filter(settings.storage.network_access),
    ),
)

image_vhd_uri: pulumi.Input[str] | None = None
content: dict[str, str] | None = None
if settings.builds_image:
    setup_script = image.builder.setup_script_path.read_text()
    user_data = render_user_data(setup_script, image.version)
    content = image_content(setup_script, user_data, image.builder, image.os_type, image.security_type)
    builder = BuilderVm(
        "builder",
        BuilderVmArgs(
            resource_group_name=group.name,
            location=settings.location,
            builder=image.builder,
            image_version=image.version,
            user_data=user_data,
            blob_endpoint=storage.blob_endpoint,
            builder_container=storage.builder_container,
            security_type=image.security_type,
        ),
    )
    captured = capture_builder(
        "capture",
        GeneralizedImageArgs(
            vm_id=builder.vm_id,
            vm_urn=builder.vm_urn,
            os_disk_mode=image.builder.os_disk,
            os_type=image.os_type,
            image_version=image.version,
            image_content=content,
            export_vhd=image.export_vhd,
            storage_account_id=storage.account_id,
            blob_endpoint=storage.blob_endpoint,
            vhd_container=storage.images_container,
            vhd_prefix=f"{image.name}-{image.version}",
            guest_timeout_minutes=image.builder.guest_timeout_minutes,
        ),
        data_access=storage.deployer_blob_access,
    )
    if makes_vhd(image.builder.os_disk, image.export_vhd):
        image_vhd_uri = captured.vhd_uri
        source = GallerySource(vhd_uri=captured.vhd_uri, storage_account_id=storage.account_id)
    else:
        source = GallerySource(virtual_machine_id=captured.vm_id)
else:
    image_vhd_uri = image.vhd_uri
    source = GallerySource(vhd_uri=image.vhd_uri, storage_account_id=image.vhd_storage_account_id)

gallery = ImageGallery(
    "gallery",
    ImageGalleryArgs(
        resource_group_name=group.name,
        location=settings.location,
        gallery_name=names["gallery"],
        image=image,
        source=source,
        replicas=settings.replicas,
        content_fingerprint=fingerprint(content) if content else None,
    ),
)

batch_principal: pulumi.Input[str] = settings.batch.service_principal_object_id
if settings.user_subscription and not batch_principal:
    batch_principal = azuread.get_service_principal_output(client_id=BATCH_SERVICE_PRINCIPAL_APP_ID).object_id

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
    ),
)

pools = BatchPools(
    "pools",
    BatchPoolsArgs(
        resource_group_name=group.name,
        account_name=account.account_name,
        account_endpoint=account.account_endpoint,
        image_version_id=gallery.image_version_id,
        pools=settings.pools,
        security_type=image.security_type,
    ),
)

pulumi.export("resourceGroupName", group.name)
pulumi.export("location", settings.location)
pulumi.export("storageAccountName", storage.account_name)
if image_vhd_uri is not None:
    pulumi.export("imageVhdUri", image_vhd_uri)
pulumi.export("galleryImageVersionId", gallery.image_version_id)
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
        }
        for spec in settings.pools
    },
)
