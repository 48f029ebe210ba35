"""VM size facts for the compatibility gate: what the Compute Resource SKUs API says each size supports (hypervisor
generations, CPU architecture, Trusted Launch, OS disk controllers), from the shipped, dated file data/vm_sizes.json
(its `asOf` and `source` say when and where from; each family names the page it was transcribed from).

A size the file does not list is unknown here: the gate does not judge it, and batch-pool-vm-size-unchecked says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

DATA: Final = Path(__file__).parent / "data"
SIZES_FILE: Final = DATA / "vm_sizes.json"


@dataclass(frozen=True)
class SizeFacts:
    name: str
    family: str
    generations: frozenset[str]  # HyperVGenerations: V1, V2
    architecture: str  # CpuArchitectureType: x64 | Arm64
    trusted_launch: bool  # not TrustedLaunchDisabled
    disk_controllers: frozenset[str]  # DiskControllerTypes: SCSI, NVMe
    source: str

    @property
    def nvme_only(self) -> bool:
        return self.disk_controllers == {"NVMe"}


def _split(value: Any, default: str) -> frozenset[str]:
    return frozenset(v.strip() for v in str(value or default).split(",") if v.strip())


@cache
def size_table() -> dict[str, SizeFacts]:
    """Lowercased size name -> its facts."""
    data = json.loads(SIZES_FILE.read_text(encoding="utf-8"))
    table: dict[str, SizeFacts] = {}
    for family in data["families"]:
        caps = family["capabilities"]
        for name in family["sizes"]:
            table[name.lower()] = SizeFacts(
                name=name,
                family=family["family"],
                generations=_split(caps.get("HyperVGenerations"), "V1"),
                architecture=str(caps.get("CpuArchitectureType") or "x64"),
                trusted_launch=str(caps.get("TrustedLaunchDisabled", "False")).lower() != "true",
                disk_controllers=_split(caps.get("DiskControllerTypes"), "SCSI"),
                source=family["source"],
            )
    return table


def size_facts(size: str) -> SizeFacts | None:
    return size_table().get(size.lower())


def sizes_as_of() -> str:
    return str(json.loads(SIZES_FILE.read_text(encoding="utf-8"))["asOf"])
