"""Image storage: the Standard general-purpose v2 account the procedure keeps its VHDs in."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, storage

# Built-in role "Storage Blob Data Contributor": the capture step copies and deletes VHD blobs with Entra ID.
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
BUILDER_DISKS_CONTAINER = "builder-disks"  # unmanaged builder OS disks (classic path)
IMAGES_CONTAINER = "images"  # exported VHDs; the classic capture writes under container `system`


@dataclass
class ImageStorageArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    account_name: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    # When set, this principal (the deployer) may read and write blobs: the capture step copies VHDs with Entra ID.
    deployer_object_id: pulumi.Input[str] | None = None


class ImageStorage(pulumi.ComponentResource):
    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    blob_endpoint: pulumi.Output[str]
    builder_container: pulumi.Output[str]
    images_container: pulumi.Output[str]
    # The deployer's blob rights (None without a deployer): the capture's VHD operations depend on it.
    deployer_blob_access: authorization.RoleAssignment | None

    def __init__(self, name: str, args: ImageStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("batch-custom-image:storage:ImageStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        account = storage.StorageAccount(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=storage.SkuName.STANDARD_LRS),
            enable_https_traffic_only=True,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            allow_blob_public_access=False,
            # Shared key stays on: Compute Gallery's VHD import and Batch auto-storage (storage keys) use it.
            allow_shared_key_access=True,
            opts=child,
        )
        containers = {
            key: storage.BlobContainer(
                f"{name}-{key}",
                container_name=key,
                account_name=account.name,
                resource_group_name=args.resource_group_name,
                public_access=storage.PublicAccess.NONE,
                opts=child,
            )
            for key in (BUILDER_DISKS_CONTAINER, IMAGES_CONTAINER)
        }
        self.deployer_blob_access = None
        if args.deployer_object_id is not None:
            self.deployer_blob_access = _blob_contributor(
                name, account, args.deployer_object_id, args.subscription_id, child
            )

        self.account_id = account.id
        self.account_name = account.name
        self.blob_endpoint = account.primary_endpoints.blob
        self.builder_container = containers[BUILDER_DISKS_CONTAINER].name
        self.images_container = containers[IMAGES_CONTAINER].name
        self.register_outputs(
            {
                "account_id": self.account_id,
                "account_name": self.account_name,
                "blob_endpoint": self.blob_endpoint,
            }
        )


def _blob_contributor(
    name: str,
    account: storage.StorageAccount,
    principal_id: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    child: pulumi.ResourceOptions,
) -> authorization.RoleAssignment:
    return authorization.RoleAssignment(
        f"{name}-deployer-blob-access",
        scope=account.id,
        principal_id=principal_id,
        role_definition_id=pulumi.Output.concat(
            "/subscriptions/",
            subscription_id,
            f"/providers/Microsoft.Authorization/roleDefinitions/{STORAGE_BLOB_DATA_CONTRIBUTOR}",
        ),
        opts=child,
    )
