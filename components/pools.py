"""Batch pools on the custom image: one `Microsoft.Batch/batchAccounts/pools` per `pools` entry, each with its drain.

The image reference carries only the gallery image version id. Batch updates a pool that has nodes in place only for
applicationPackages, certificates, metadata, scaleSettings and startTask (API 2024-07-01 and later, "Update Batch
pool properties"); every other property (the image, vmSize, taskSlotsPerNode, networkConfiguration, identity, ...)
needs the pool at zero nodes. So a change of any of those replaces the pool (`POOL_REPLACE_ON_CHANGES`), for zero
downtime: the new pool (auto-named) is created first, and the stack output `poolName` moves to it. The engine never
deletes a pool itself (`retain_on_delete`): beside each pool a `PoolDrain` resource (depending
on it, replaced with it) is deleted at the end of the update, and its delete resizes the old pool to zero with
`taskcompletion`, waits for running tasks up to `pools[].drainTimeout`, then deletes the pool (components/pool_drain/).
`pulumi destroy` takes the same path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import batch

from components.pool_drain.resource import PoolDrain, PoolDrainArgs
from components.settings import PoolSettings, StartTask

# The `batch.Pool` inputs Batch updates in place while the pool has nodes (batch-pool-update-properties), and `tags`
# (the ARM resource's, not a pool property).
POOL_IN_PLACE = ("applicationPackages", "certificates", "metadata", "scaleSettings", "startTask", "tags")
# Every other input (pulumi-azure-native 3.29.0 `batch.Pool`): a change replaces the pool, new pool first, the old one
# drained. accountName, resourceGroupName and poolName are part of the pool's ARM id and replace it anyway.
POOL_REPLACE_ON_CHANGES = (
    "accountName",
    "applicationLicenses",
    "deploymentConfiguration",
    "displayName",
    "identity",
    "interNodeCommunication",
    "mountConfiguration",
    "networkConfiguration",
    "poolName",
    "resourceGroupName",
    "resourceTags",
    "targetNodeCommunicationMode",
    "taskSchedulingPolicy",
    "taskSlotsPerNode",
    "upgradePolicy",
    "userAccounts",
    "vmSize",
)
POOL_REPLACE_REASON = (
    "Batch changes it only on a pool with no nodes: the new pool is created first, the old one drained"
)


@dataclass
class BatchPoolsArgs:
    resource_group_name: pulumi.Input[str]
    account_name: pulumi.Input[str]
    # accountEndpoint: part of each drain's id, and how a drain record older than its pool's ARM id finds the account
    account_endpoint: pulumi.Input[str]
    image_version_ids: Mapping[str, pulumi.Input[str]]  # pool name → the gallery image version id it boots from
    pools: list[PoolSettings]
    security_type: str = "Standard"  # image.securityType: the gallery image definition's, which every pool matches


class BatchPools(pulumi.ComponentResource):
    """Outputs: `pools` (settings name -> the `batch.Pool`) and `drains` (settings name -> its `PoolDrain`)."""

    pools: dict[str, batch.Pool]
    drains: dict[str, PoolDrain]

    def __init__(self, name: str, args: BatchPoolsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("batch-custom-image:batch:BatchPools", name, None, opts)
        self.pools = {pool.name: self._pool(name, args, pool) for pool in args.pools}
        self.drains = {
            pool.name: PoolDrain(
                f"{name}-{pool.name}-drain",
                PoolDrainArgs(
                    pool_name=self.pools[pool.name].name,
                    account_endpoint=args.account_endpoint,
                    drain_timeout=pool.drain_timeout,
                    pool_resource_id=self.pools[pool.name].id,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=[self.pools[pool.name]]),
            )
            for pool in args.pools
        }
        self.register_outputs(
            {
                **{key: pool.id for key, pool in self.pools.items()},
                **{f"{key}-drain": drain.id for key, drain in self.drains.items()},
            }
        )

    def _pool(self, name: str, args: BatchPoolsArgs, pool: PoolSettings) -> batch.Pool:
        return batch.Pool(
            f"{name}-{pool.name}",
            resource_group_name=args.resource_group_name,
            account_name=args.account_name,
            vm_size=pool.vm_size,
            deployment_configuration=batch.DeploymentConfigurationArgs(
                virtual_machine_configuration=batch.VirtualMachineConfigurationArgs(
                    image_reference=batch.ImageReferenceArgs(id=args.image_version_ids[pool.name]),
                    node_agent_sku_id=pool.node_agent_sku_id,
                    security_profile=_security_profile(args.security_type),
                    container_configuration=_container_configuration(pool),
                )
            ),
            scale_settings=_scale_settings(pool),
            task_slots_per_node=pool.task_slots_per_node,
            start_task=_start_task(pool),
            target_node_communication_mode=batch.NodeCommunicationMode.SIMPLIFIED,
            network_configuration=_network_configuration(pool),
            identity=_identity(pool),
            opts=pulumi.ResourceOptions(
                parent=self,
                replace_on_changes=list(POOL_REPLACE_ON_CHANGES),
                delete_before_replace=False,
                retain_on_delete=True,  # its PoolDrain deletes it, after draining
            ),
        )


def _security_profile(security_type: str) -> batch.SecurityProfileArgs | None:
    """Trusted Launch nodes (Batch spells it trustedLaunch) with secure boot and vTPM on, matching a definition whose
    SecurityType feature is TrustedLaunch; for Standard nothing, as pools created before image.securityType."""
    if not trusted_launch(security_type):
        return None
    return batch.SecurityProfileArgs(
        security_type=batch.SecurityTypes.TRUSTED_LAUNCH,
        uefi_settings=batch.UefiSettingsArgs(secure_boot_enabled=True, v_tpm_enabled=True),
    )


def _scale_settings(pool: PoolSettings) -> batch.ScaleSettingsArgs:
    if pool.auto_scale is not None:
        return batch.ScaleSettingsArgs(
            auto_scale=batch.AutoScaleSettingsArgs(
                formula=pool.auto_scale.formula, evaluation_interval=pool.auto_scale.evaluation_interval
            )
        )
    return batch.ScaleSettingsArgs(
        fixed_scale=batch.FixedScaleSettingsArgs(
            target_dedicated_nodes=pool.dedicated,
            target_low_priority_nodes=pool.spot,  # Spot nodes (low-priority VMs are retired)
            resize_timeout=pool.resize_timeout,
        )
    )


def _start_task(pool: PoolSettings) -> batch.StartTaskArgs | None:
    task = pool.start_task
    if task is None:
        return None
    return batch.StartTaskArgs(
        command_line=task.command_line,
        wait_for_success=task.wait_for_success,
        max_task_retry_count=task.max_task_retry_count,
        user_identity=batch.UserIdentityArgs(
            auto_user=batch.AutoUserSpecificationArgs(
                scope=batch.AutoUserScope.POOL,
                elevation_level=elevation_level(task),
            )
        ),
    )


def _network_configuration(pool: PoolSettings) -> batch.NetworkConfigurationArgs | None:
    """Nodes in the pool's subnet, with Batch-managed public IPs or none (publicIPs None: outbound through the user's
    NAT gateway or firewall). No subnet: nothing, as pools created before pools[].subnetId (Batch's own network)."""
    if pool.subnet_id is None:
        return None
    return batch.NetworkConfigurationArgs(
        subnet_id=pool.subnet_id,
        public_ip_address_configuration=batch.PublicIPAddressConfigurationArgs(provision=provision_type(pool)),
    )


# The value choices a production pool and the canary pool (components/canary/pool_body.py) share.


def trusted_launch(security_type: str) -> bool:
    """The pool's nodes are Trusted Launch VMs (secure boot and vTPM on): image.securityType TrustedLaunch."""
    return security_type == "TrustedLaunch"


def provision_type(pool: PoolSettings) -> batch.IPAddressProvisioningType:
    """Batch-managed public IPs, or none (publicIPs None: outbound through the user's NAT gateway or firewall)."""
    if pool.public_ips == "None":
        return batch.IPAddressProvisioningType.NO_PUBLIC_IP_ADDRESSES
    return batch.IPAddressProvisioningType.BATCH_MANAGED


def elevation_level(task: StartTask) -> batch.ElevationLevel:
    """The start task runs as the pool's admin when startTask.elevated."""
    return batch.ElevationLevel.ADMIN if task.elevated else batch.ElevationLevel.NON_ADMIN


def _identity(pool: PoolSettings) -> batch.BatchPoolIdentityArgs | None:
    """The pool's user-assigned identities. The SDK takes a list of ids; the azure-native provider sends ARM's map
    `{<id>: {}}` (pulumi-azure-native#1833)."""
    if not pool.identities:
        return None
    return batch.BatchPoolIdentityArgs(
        type=batch.PoolIdentityType.USER_ASSIGNED, user_assigned_identities=list(pool.identities)
    )


def _container_configuration(pool: PoolSettings) -> batch.ContainerConfigurationArgs | None:
    """Docker-compatible containers, with the configured images pulled when each node joins the pool."""
    if not pool.container_images:
        return None
    return batch.ContainerConfigurationArgs(
        type=batch.ContainerType.DOCKER_COMPATIBLE, container_image_names=list(pool.container_images)
    )


def pool_output_extras(pool: PoolSettings) -> dict[str, object]:
    """What the `pools` stack output adds to {id, poolName, vmSize, nodeAgentSkuId} for `make smoke` to compare with
    the deployed pool: publicIPs, identities and containerImages always, subnetId when the pool has one."""
    extras: dict[str, object] = {
        "publicIPs": pool.public_ips,
        "identities": list(pool.identities),
        "containerImages": list(pool.container_images),
    }
    if pool.subnet_id is not None:
        extras["subnetId"] = pool.subnet_id
    return extras
