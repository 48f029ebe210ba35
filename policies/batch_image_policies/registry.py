"""Every policy of the pack, in the order of the contract table (issue 4)."""

from __future__ import annotations

from pulumi_policy import Policy

from .batch_account import (
    batch_account_entra_auth_only,
    batch_account_keyvault_reference,
    batch_account_public_network_access,
    batch_account_user_subscription_mode,
)
from .builder_vm import (
    builder_vm_managed_os_disk,
    builder_vm_no_public_ip,
    builder_vm_no_secrets_in_custom_data,
    builder_vm_ssh_key_only,
)
from .extensions import builder_vm_no_extensions
from .keyvault import keyvault_soft_delete_purge_protection
from .keyvault_access import keyvault_batch_access_policy
from .node_agent import batch_pool_node_agent_sku
from .pool import (
    batch_pool_disk_encryption,
    batch_pool_gallery_image,
    batch_pool_max_nodes,
    batch_pool_node_agent_end_of_life,
    batch_pool_resize_timeout,
    batch_pool_simplified_communication,
)
from .region import gallery_replicas_cover_pools, image_resources_same_region
from .storage import (
    storage_account_https_only,
    storage_account_min_tls,
    storage_account_no_public_blob_access,
    storage_account_shared_key_disabled,
    storage_account_standard_gpv2,
)
from .vm_size import vm_size_allowed

ALL_POLICIES: list[Policy] = [
    batch_account_user_subscription_mode,
    batch_account_keyvault_reference,
    batch_account_entra_auth_only,
    batch_account_public_network_access,
    batch_pool_gallery_image,
    batch_pool_node_agent_sku,
    batch_pool_node_agent_end_of_life,  # the advisory (end-of-life) half of batch-pool-node-agent-sku
    batch_pool_simplified_communication,
    batch_pool_resize_timeout,
    batch_pool_max_nodes,
    batch_pool_disk_encryption,
    storage_account_standard_gpv2,
    storage_account_https_only,
    storage_account_min_tls,
    storage_account_no_public_blob_access,
    storage_account_shared_key_disabled,
    builder_vm_managed_os_disk,
    builder_vm_ssh_key_only,
    builder_vm_no_public_ip,
    builder_vm_no_extensions,
    builder_vm_no_secrets_in_custom_data,
    vm_size_allowed,
    keyvault_soft_delete_purge_protection,
    keyvault_batch_access_policy,
    image_resources_same_region,
    gallery_replicas_cover_pools,
]
