"""batch-custom-image: an Azure Batch pool whose nodes boot from your own VM image.

This file only composes: validated settings → image storage → the published image (builder VM, capture, gallery image
versions: components/publication.py) → Batch account → pools, each wired to the next through outputs. Each concern
lives in its own module in components/. `main` is asynchronous (pulumi.run) because the publication is decided before
anything is registered: it reads what this stack published (the stack reads its own last outputs) and the base image
version `latest` stands for.
"""

import pulumi
from pulumi_azure_native import authorization, resources

from components.batch_account import BatchAccount, BatchAccountArgs
from components.canary.gate import CanaryArgs, gate_publication
from components.invokes import service_principal_object_id
from components.naming import stack_names
from components.pools import BatchPools, BatchPoolsArgs, pool_output_extras
from components.publication import PublicationArgs, prepare_publication
from components.settings import BATCH_SERVICE_PRINCIPAL_APP_ID, Settings, ip_filter, load_settings
from components.storage import ImageStorage, ImageStorageArgs, RoleGrant


async def main() -> None:
    settings: Settings = load_settings()  # raises before any resource is registered
    client = authorization.get_client_config_output()
    deployer = RoleGrant(client.object_id, settings.deployer.principal_type or "User", client.subscription_id)
    # raises for a record it can't read back, a version the stack can't have, a base image the marketplace lacks
    publisher = await prepare_publication(settings, client.subscription_id)
    names = stack_names(client.subscription_id)

    group = resources.ResourceGroup("rg", location=settings.location)
    storage = ImageStorage(
        "image-storage",
        ImageStorageArgs(
            resource_group_name=group.name,
            location=settings.location,
            account_name=names["storage"],
            subscription_id=client.subscription_id,
            deployer_object_id=client.object_id if publisher.deployer_blob_access else None,
            deployer_principal_type=deployer.principal_type,
            allow_shared_key_access=settings.storage.allow_shared_key_access,
            network_access=ip_filter(settings.storage.network_access),
            builder_subnet_ids=publisher.builder_subnet_ids,
        ),
    )
    publication = publisher.publish(
        PublicationArgs(
            resource_group_name=group.name,
            location=settings.location,
            subscription_id=client.subscription_id,
            gallery_name=names["gallery"],
            storage=storage,
        )
    )

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
            gallery_id=publication.gallery_id,
        ),
    )

    # the canary (components/canary/gate.py): the pools on image.version, its id and the record wait for it to pass
    publication = gate_publication(publication, CanaryArgs(settings, account, deployer))

    pools = BatchPools(
        "pools",
        BatchPoolsArgs(
            resource_group_name=group.name,
            account_name=account.account_name,
            account_endpoint=account.account_endpoint,
            image_version_ids=publication.pool_image_version_ids,
            pools=settings.pools,
            security_type=settings.image.security_type,
        ),
    )

    pulumi.export("resourceGroupName", group.name)
    pulumi.export("location", settings.location)
    pulumi.export("storageAccountName", storage.account_name)
    for name, value in publication.outputs.items():  # the VHD, the version id, the record (or the image stack)
        pulumi.export(name, value)
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
                "imageVersion": publication.pool_versions[spec.name],
                **pool_output_extras(spec),
            }
            for spec in settings.pools
        },
    )


pulumi.run(main)
