"""What `make smoke` can see of a pool's networking, identities and container images, compared with the stack's
`pools` output (its `subnetId`, `publicIPs`, `identities` and `containerImages`, the values the pool was configured
with). Only pools whose output carries them are checked: outputs of a program before these keys have nothing to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure.batch.models import BatchPool

from tools.smoke.errors import ExitCode, SmokeError

# The data plane spells IPAddressProvisioningType in lower case; absent means Batch's default, BatchManaged.
_PROVISIONING = {"batchmanaged": "BatchManaged", "nopublicipaddresses": "None", "usermanaged": "UserManaged"}


@dataclass(frozen=True)
class PoolConfig:
    """The configured values (from the stack output), as the program's settings name them."""

    subnet_id: str | None
    public_ips: str  # BatchManaged | None
    identities: tuple[str, ...]
    container_images: tuple[str, ...]


def config_from_output(name: str, entry: dict[str, Any]) -> PoolConfig | None:
    """The entry's PoolConfig, or None when the output predates these keys (no `publicIPs`)."""
    if "publicIPs" not in entry:
        return None
    lists = {}
    for key in ("identities", "containerImages"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SmokeError(ExitCode.BAD_INPUT, f"stack output pools.{name}.{key} must be a list of strings")
        lists[key] = tuple(value)
    subnet = entry.get("subnetId")
    return PoolConfig(
        subnet_id=subnet if isinstance(subnet, str) and subnet else None,
        public_ips=str(entry["publicIPs"]),
        identities=lists["identities"],
        container_images=lists["containerImages"],
    )


def _text(value: Any) -> str:
    return str(getattr(value, "value", value))


def mismatches(expected: PoolConfig, pool: BatchPool) -> list[str]:
    """Each difference between the configured values and the pool Batch reports, as `what: configured X, pool Y`."""
    found: list[str] = []
    network = pool.network_configuration
    subnet = network.subnet_id if network else None
    if (subnet or "").lower() != (expected.subnet_id or "").lower():
        found.append(f"subnet: configured {expected.subnet_id or 'none'}, pool {subnet or 'none'}")
    actual_ips = _public_ips(pool)
    if actual_ips != expected.public_ips:
        found.append(f"public IPs: configured {expected.public_ips}, pool {actual_ips}")
    identities = _identities(pool)
    if identities != sorted(i.lower() for i in expected.identities):
        found.append(f"identities: configured {list(expected.identities)}, pool {identities}")
    images = _container_images(pool)
    missing = [i for i in expected.container_images if i not in images]
    if missing:
        found.append(f"container images: configured {list(expected.container_images)}, pool {images}")
    return found


def _public_ips(pool: BatchPool) -> str:
    """The pool's public IP provisioning as the settings name it (BatchManaged when Batch reports none)."""
    network = pool.network_configuration
    public = network.public_ip_address_configuration if network else None
    provision = _text(public.ip_address_provisioning_type) if public and public.ip_address_provisioning_type else ""
    return _PROVISIONING.get(provision.lower(), provision) if provision else "BatchManaged"


def _identities(pool: BatchPool) -> list[str]:
    """The pool's user-assigned identities' resource ids, lower case and sorted."""
    identities = pool.identity.user_assigned_identities if pool.identity else None
    return sorted(i.resource_id.lower() for i in identities or [])


def _container_images(pool: BatchPool) -> list[str]:
    """The container images the pool prefetches."""
    vm = pool.virtual_machine_configuration
    containers = vm.container_configuration if vm else None
    return list(containers.container_image_names or []) if containers else []
