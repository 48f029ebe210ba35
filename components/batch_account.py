"""The Batch account, and in user-subscription mode the Key Vault and permissions Batch needs.

UserSubscription mode (the default): Batch creates pool VMs in this subscription, so the "Microsoft Azure Batch"
service principal needs a role on the subscription and a Key Vault (access-policy mode, same region) where it keeps
secrets; the account references that vault and accepts Entra ID authentication only. It also gets Compute Gallery
Image Reader on the image gallery (`gallery_id`), so pool creation does not rest on the orchestration role covering
gallery reads, which no Microsoft page states. BatchService mode: no vault, no role.

Network: `publicNetworkAccess` Enabled (default) or Disabled, and `accountAccess` {defaultAction, ipRules} filtering
who may call the account endpoint (the data plane: jobs, tasks, `make smoke`). Pools are created through ARM, so
`pulumi up` works with the endpoint closed.

Auto-storage: with shared key on the image storage account (the default) Batch manages it with the account keys
(StorageKeys). With shared key off it authenticates with the account's system-assigned identity
(BatchAccountManagedIdentity), which gets Storage Blob Data Contributor on the storage account. Nodes that read
auto-storage themselves (application packages, resource files from `autoStorageContainerName`) would also need a
user-assigned identity on the pool, named in `nodeIdentityReference`; this program uses neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pulumi
from pulumi_azure_native import authorization, batch, keyvault

from components.storage import RoleGrant, blob_contributor

# Built-in "Azure Batch Service Orchestration Role": the least-privilege role for the Batch service principal
# (Contributor, b24988ac-6180-42a0-ab88-20f7382dd24c, also works and is what older docs show).
BATCH_ORCHESTRATION_ROLE = "a35466a1-cfd6-450a-b35e-683fcdf30363"
# Built-in "Compute Gallery Image Reader" (galleries/images/read, galleries/images/versions/read), from Azure's
# built-in roles list: the Batch principal's read access to the gallery its pools boot from, given explicitly because
# no Microsoft page says the orchestration role covers it.
COMPUTE_GALLERY_IMAGE_READER_ROLE = "cf7c76d2-98a3-4358-a134-615aa78bf44d"
BATCH_SECRET_PERMISSIONS = ["get", "list", "set", "delete", "recover"]


@dataclass
class BatchAccountArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    account_name: pulumi.Input[str]
    vault_name: pulumi.Input[str]
    user_subscription: bool
    grant_subscription_role: bool
    subscription_id: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    batch_principal_object_id: pulumi.Input[str]
    auto_storage_account_id: pulumi.Input[str]
    # False when the storage account takes no shared key: auto-storage then authenticates with an identity.
    auto_storage_keys: bool = True
    public_network_access: str = "Enabled"
    # networkProfile.accountAccess: (defaultAction, ipRules), or None to leave the endpoint unfiltered.
    account_access: tuple[str, list[str]] | None = None
    # The vault's networkAcls: (defaultAction, ipRules), or None for a vault every network reaches.
    vault_access: tuple[str, list[str]] | None = None
    # The Compute Gallery the pools boot from: in UserSubscription mode the Batch principal gets Compute Gallery Image
    # Reader on it (before the account, hence before any pool). None: no gallery role (an image shared from elsewhere).
    gallery_id: pulumi.Input[str] | None = None


class BatchAccount(pulumi.ComponentResource):
    account_id: pulumi.Output[str]  # its ARM id: the scope of the deployer's data-plane role, the canary's account
    account_name: pulumi.Output[str]
    account_endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: BatchAccountArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("batch-custom-image:batch:BatchAccount", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        vault_reference = None
        depends_on: list[pulumi.Resource] = []
        if args.user_subscription:
            vault = _batch_vault(name, args, child)
            vault_reference = batch.KeyVaultReferenceArgs(id=vault.id, url=vault.properties.vault_uri)
            depends_on.append(vault)
            if args.grant_subscription_role:
                depends_on.append(_subscription_role(name, args, child))
            if args.gallery_id is not None:
                depends_on.append(_gallery_reader_role(name, args.gallery_id, args, child))

        auto_storage = batch.AutoStorageBasePropertiesArgs(storage_account_id=args.auto_storage_account_id)
        if not args.auto_storage_keys:
            auto_storage = batch.AutoStorageBasePropertiesArgs(
                storage_account_id=args.auto_storage_account_id,
                authentication_mode=batch.AutoStorageAuthenticationMode.BATCH_ACCOUNT_MANAGED_IDENTITY,
            )
        network_profile = None
        if args.account_access is not None:
            default_action, ip_rules = args.account_access
            network_profile = batch.NetworkProfileArgs(
                account_access=batch.EndpointAccessProfileArgs(
                    default_action=batch.EndpointAccessDefaultAction(default_action),
                    ip_rules=[batch.IPRuleArgs(action=batch.IPRuleAction.ALLOW, value=rule) for rule in ip_rules],
                )
            )

        account = batch.BatchAccount(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            pool_allocation_mode=(
                batch.PoolAllocationMode.USER_SUBSCRIPTION
                if args.user_subscription
                else batch.PoolAllocationMode.BATCH_SERVICE
            ),
            key_vault_reference=vault_reference,
            allowed_authentication_modes=[batch.AuthenticationMode.AAD],
            identity=batch.BatchAccountIdentityArgs(type=batch.ResourceIdentityType.SYSTEM_ASSIGNED),
            auto_storage=auto_storage,
            public_network_access=batch.PublicNetworkAccessType(args.public_network_access),
            network_profile=network_profile,
            # After the vault and the roles: Batch checks them when the account (and then each pool) is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )
        if not args.auto_storage_keys:
            # The account's own (system-assigned) identity exists once the account does; Batch uses it for
            # auto-storage only when it touches the account (application packages, output sync), never at creation.
            blob_contributor(
                f"{name}-storage-access",
                args.auto_storage_account_id,
                cast(pulumi.Output[str], account.identity.apply(lambda identity: identity and identity.principal_id)),
                "ServicePrincipal",  # a managed identity is a service principal
                args.subscription_id,
                pulumi.ResourceOptions(parent=self, depends_on=[account]),
            )
        self.account_id = account.id
        self.account_name = account.name
        self.account_endpoint = account.account_endpoint
        self.register_outputs({"account_name": self.account_name, "account_endpoint": self.account_endpoint})


def _batch_vault(name: str, args: BatchAccountArgs, child: pulumi.ResourceOptions) -> keyvault.Vault:
    """Access-policy mode (Batch does not use vault RBAC), same region, soft delete + purge protection."""
    return keyvault.Vault(
        f"{name}-vault",
        vault_name=args.vault_name,
        resource_group_name=args.resource_group_name,
        location=args.location,
        properties=keyvault.VaultPropertiesArgs(
            tenant_id=args.tenant_id,
            sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD),
            enable_rbac_authorization=False,  # Key Vault API 2026-02-01+ defaults to RBAC: say it explicitly
            enable_soft_delete=True,
            soft_delete_retention_in_days=90,
            enable_purge_protection=True,
            enabled_for_deployment=True,
            enabled_for_template_deployment=True,
            access_policies=[
                keyvault.AccessPolicyEntryArgs(
                    tenant_id=args.tenant_id,
                    object_id=args.batch_principal_object_id,
                    permissions=keyvault.PermissionsArgs(secrets=BATCH_SECRET_PERMISSIONS),
                )
            ],
            network_acls=_vault_network_acls(args.vault_access),
            public_network_access=_vault_public_network_access(args.vault_access),
        ),
        opts=child,
    )


def _subscription_role(
    name: str, args: BatchAccountArgs, child: pulumi.ResourceOptions
) -> authorization.RoleAssignment:
    scope = pulumi.Output.concat("/subscriptions/", args.subscription_id)
    return _batch_principal_role(f"{name}-batch-service-role", scope, BATCH_ORCHESTRATION_ROLE, args, child)


def _gallery_reader_role(
    name: str, gallery_id: pulumi.Input[str], args: BatchAccountArgs, child: pulumi.ResourceOptions
) -> authorization.RoleAssignment:
    """Compute Gallery Image Reader for the Batch principal, scoped to the gallery (not its images: new definitions
    and versions are covered as they appear)."""
    return _batch_principal_role(
        f"{name}-gallery-image-reader", gallery_id, COMPUTE_GALLERY_IMAGE_READER_ROLE, args, child
    )


def _batch_principal_role(
    resource_name: str,
    scope: pulumi.Input[str],
    role: str,
    args: BatchAccountArgs,
    child: pulumi.ResourceOptions,
) -> authorization.RoleAssignment:
    """A built-in role (`role`: its definition GUID) for the "Microsoft Azure Batch" principal on `scope`."""
    grant = RoleGrant(args.batch_principal_object_id, "ServicePrincipal", args.subscription_id)
    return grant.built_in(resource_name, scope, role, child)


def _vault_network_acls(access: tuple[str, list[str]] | None) -> keyvault.NetworkRuleSetArgs | None:
    """Deny by default; Batch reaches the vault as a trusted service (bypass AzureServices)."""
    if access is None:
        return None
    default_action, ip_rules = access
    return keyvault.NetworkRuleSetArgs(
        default_action=default_action,
        bypass=keyvault.NetworkRuleBypassOptions.AZURE_SERVICES,
        ip_rules=[keyvault.IPRuleArgs(value=rule) for rule in ip_rules],
    )


def _vault_public_network_access(access: tuple[str, list[str]] | None) -> str | None:
    """ "Disabled" when the ACLs let no address in (Deny, no IP rule): the same access (Batch still gets in as a trusted
    service, private endpoints too), now also without a public endpoint (CKV_AZURE_189). Azure's default (enabled)
    otherwise, since with publicNetworkAccess disabled the vault ignores its IP rules (Key Vault API
    `publicNetworkAccess`: "all traffic except private endpoint traffic and that that originates from trusted services
    will be blocked. This will override the set firewall rules")."""
    if access is None:
        return None
    default_action, ip_rules = access
    return "Disabled" if default_action == "Deny" and not ip_rules else None
