"""Image storage: the Standard general-purpose v2 account the procedure keeps its VHDs in."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    # The deployer's principal type (User | ServicePrincipal): Azure refuses a role assignment whose type is wrong
    # (UnmatchedPrincipalType), and azure-native sends User when it is not said.
    deployer_principal_type: str = "User"
    # Account keys and account SAS; false once nothing needs them (see components/settings/models.py StorageSettings).
    allow_shared_key_access: bool = True
    # networkRuleSet: (defaultAction, ipRules), or None for an account every network reaches.
    network_access: tuple[str, list[str]] | None = None
    # Subnets let through the network rules (the builder's, for its build-proof markers; components/builder.py).
    builder_subnet_ids: list[pulumi.Input[str]] = field(default_factory=list)


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
            # On by default: the gallery's import of an exported VHD, the classic unmanaged builder disk and Batch
            # auto-storage in StorageKeys mode use it. The settings refuse false while one of the first two is used.
            allow_shared_key_access=args.allow_shared_key_access,
            network_rule_set=_network_rules(args.network_access, args.builder_subnet_ids),
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
            self.deployer_blob_access = blob_contributor(
                f"{name}-deployer-blob-access",
                account.id,
                args.deployer_object_id,
                args.deployer_principal_type,
                args.subscription_id,
                child,
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


def blob_contributor(
    resource_name: str,
    account_id: pulumi.Input[str],
    principal_id: pulumi.Input[str],
    principal_type: str,
    subscription_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> authorization.RoleAssignment:
    """Storage Blob Data Contributor on one storage account, for a principal of the type given."""
    grant = RoleGrant(principal_id, principal_type, subscription_id)
    return grant.built_in(resource_name, account_id, STORAGE_BLOB_DATA_CONTRIBUTOR, opts)


@dataclass(frozen=True)
class RoleGrant:
    """A principal (with its type: Azure refuses a role assignment whose type is wrong, UnmatchedPrincipalType) and
    the subscription whose built-in role definitions it is granted."""

    principal_id: pulumi.Input[str]
    principal_type: str
    subscription_id: pulumi.Input[str]

    def built_in(
        self, resource_name: str, scope: pulumi.Input[str], role: str, opts: pulumi.ResourceOptions
    ) -> authorization.RoleAssignment:
        """The built-in role `role` (its definition GUID) on `scope`."""
        return authorization.RoleAssignment(
            resource_name,
            scope=scope,
            principal_id=self.principal_id,
            principal_type=authorization.PrincipalType(self.principal_type),
            role_definition_id=pulumi.Output.concat(
                "/subscriptions/", self.subscription_id, f"/providers/Microsoft.Authorization/roleDefinitions/{role}"
            ),
            opts=opts,
        )


def _network_rules(
    access: tuple[str, list[str]] | None, subnet_ids: list[pulumi.Input[str]]
) -> storage.NetworkRuleSetArgs | None:
    """Deny by default, trusted Azure services (and the listed addresses and subnets) let through."""
    if access is None:
        return None
    default_action, ip_rules = access
    return storage.NetworkRuleSetArgs(
        default_action=storage.DefaultAction(default_action),
        bypass=storage.Bypass.AZURE_SERVICES,
        ip_rules=[storage.IPRuleArgs(i_p_address_or_range=rule, action=storage.Action.ALLOW) for rule in ip_rules],
        virtual_network_rules=[
            storage.VirtualNetworkRuleArgs(virtual_network_resource_id=subnet, action=storage.Action.ALLOW)
            for subnet in subnet_ids
        ]
        or None,
    )
