"""The canary pool's ARM body: the first pool's node settings on the new version, one node, image.canary's size.

A pure function of the settings (no Pulumi resource): the canary provider PUTs it as
`Microsoft.Batch/batchAccounts/pools` (API 2024-07-01, the ARM `Pool` model of azure-mgmt-batch 19.0.0 /
BatchManagement.json `PoolProperties`), in ARM's camelCase, adding its own pool name and metadata. The value choices
(Trusted Launch, the public IP provisioning, the start task's elevation) are components/pools.py's, so the canary
boots its node the way the production pools will.

What it takes from the first pool: vmSize (unless image.canary.vmSize), nodeAgentSkuId, the image's security
profile, containerConfiguration, taskSlotsPerNode, startTask, networkConfiguration (subnetId and public IPs) and the
user-assigned identities (ARM's map `{<id>: {}}`, BatchManagement.json `BatchPoolIdentity`). Not autoScale: one fixed
node, Spot (targetLowPriorityNodes) unless image.canary.spot is false, resizeTimeout image.canary.timeout (at least
PT5M, Batch's least).
"""

from __future__ import annotations

from typing import Any

from components.canary.defaults import canary_vm_size
from components.pools import elevation_level, provision_type, trusted_launch
from components.settings import PoolSettings, Settings


def canary_pool_body(settings: Settings, image_version_id: str) -> dict[str, Any]:
    """{"identity"?: ..., "properties": {...}} for the canary pool booting `image_version_id`."""
    pool = settings.pools[0]
    canary = settings.image.canary
    vm_configuration: dict[str, Any] = {
        "imageReference": {"id": image_version_id},
        "nodeAgentSkuId": pool.node_agent_sku_id,
    }
    if trusted_launch(settings.image.security_type):
        vm_configuration["securityProfile"] = {
            "securityType": "trustedLaunch",
            "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
        }
    if pool.container_images:
        vm_configuration["containerConfiguration"] = {
            "type": "DockerCompatible",
            "containerImageNames": list(pool.container_images),
        }
    properties: dict[str, Any] = {
        "vmSize": canary_vm_size(settings),
        "deploymentConfiguration": {"virtualMachineConfiguration": vm_configuration},
        "scaleSettings": {
            "fixedScale": {
                "targetDedicatedNodes": 0 if canary.spot else 1,
                "targetLowPriorityNodes": 1 if canary.spot else 0,
                "resizeTimeout": canary.timeout,
            }
        },
        "taskSlotsPerNode": pool.task_slots_per_node,
        "targetNodeCommunicationMode": "Simplified",
        **_start_task(pool),
        **_network(pool),
    }
    body: dict[str, Any] = {"properties": properties}
    if pool.identities:
        body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {i: {} for i in pool.identities}}
    return body


def _start_task(pool: PoolSettings) -> dict[str, Any]:
    task = pool.start_task
    if task is None:
        return {}
    auto_user = {"scope": "Pool", "elevationLevel": elevation_level(task).value}
    return {
        "startTask": {
            "commandLine": task.command_line,
            "waitForSuccess": task.wait_for_success,
            "maxTaskRetryCount": task.max_task_retry_count,
            "userIdentity": {"autoUser": auto_user},
        }
    }


def _network(pool: PoolSettings) -> dict[str, Any]:
    if pool.subnet_id is None:
        return {}
    return {
        "networkConfiguration": {
            "subnetId": pool.subnet_id,
            "publicIPAddressConfiguration": {"provision": provision_type(pool).value},
        }
    }
