"""Parsing of the ARM resource ids the capture step works with (VM, managed disk, storage account)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID = re.compile(
    r"^/subscriptions/(?P<sub>[0-9a-fA-F-]{36})/resourceGroups/(?P<rg>[-\w._()]{1,90})"
    r"/providers/(?P<ns>Microsoft\.\w+)/(?P<type>\w+)/(?P<name>[^/]{1,80})$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ArmId:
    subscription_id: str
    resource_group: str
    namespace: str
    type: str
    name: str


def parse_arm_id(value: str, namespace: str, type_: str) -> ArmId | None:
    """The parts of `value` when it is the id of a `namespace/type_` resource, else None."""
    match = _ID.match(value) if isinstance(value, str) else None
    if not match:
        return None
    if match["ns"].lower() != namespace.lower() or match["type"].lower() != type_.lower():
        return None
    return ArmId(match["sub"], match["rg"], match["ns"], match["type"], match["name"])


def vm_id_parts(value: str) -> ArmId | None:
    return parse_arm_id(value, "Microsoft.Compute", "virtualMachines")


def disk_id_parts(value: str) -> ArmId | None:
    return parse_arm_id(value, "Microsoft.Compute", "disks")


def storage_account_id_parts(value: str) -> ArmId | None:
    return parse_arm_id(value, "Microsoft.Storage", "storageAccounts")


def same_id(a: str, b: str) -> bool:
    """ARM ids compare case-insensitively."""
    return a.strip().lower() == b.strip().lower()
