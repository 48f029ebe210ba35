"""Support windows: the dates Batch stops supporting a node agent, a marketplace OS image or a Batch API version, from
the shipped, dated file data/support_windows.json (each entry names the announcement it comes from).

An end date is the last supported day: on or before it a pool on it is warned about (the date named); after it, it
is refused. The policies' option `asOf: YYYY-MM-DD` (default: today, UTC) plans ahead."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, NamedTuple

from pulumi_policy import PolicyResource

from ._batch import VM_CONFIG
from ._graph import of_type, pool_image_definitions
from ._policy import option
from ._props import is_unknown, peek
from ._sizes import DATA
from ._tokens import BATCH_POOL, VIRTUAL_MACHINE

WINDOWS_FILE: Final = DATA / "support_windows.json"
ENDING_TYPES: Final = (BATCH_POOL, VIRTUAL_MACHINE)
"""The types of the resources `endings` names: pools (their node agent, their image's base) and builder VMs."""
AS_OF_OPTION: Final = {
    "type": "string",
    "pattern": r"^(\d{4}-\d{2}-\d{2})?$",
    "description": "The day to judge support windows on (YYYY-MM-DD); empty: today (UTC).",
    "default": "",
}


@dataclass(frozen=True)
class Ending:
    """One thing in the stack whose support ends: the resource using it, what it is, the end date and its source."""

    resource: PolicyResource
    kind: str  # "Batch pool" | "builder VM"
    what: str  # e.g. nodeAgentSkuId "batch.node.ubuntu 22.04"
    end: dt.date
    source: str


@cache
def windows() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(WINDOWS_FILE.read_text(encoding="utf-8"))
    return data


def as_of(config: Mapping[str, Any]) -> dt.date:
    """The `asOf` option as a date (today, UTC, when unset); a malformed value is refused by the schema first."""
    value = option(config, "asOf", "")
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return dt.datetime.now(dt.UTC).date()


def node_agent_ends() -> dict[str, str]:
    return {e["sku"]: e["end"] for e in windows()["nodeAgents"] if e.get("end")}


class _Base(NamedTuple):
    what: str  # e.g. "Windows Server 2016 (MicrosoftWindowsServer/WindowsServer/2016-Datacenter)"
    window: Mapping[str, Any]


def _base_image(props: Any, prefix: str) -> _Base | None:
    """The marketplace image named at `prefix` (its publisher, offer and sku) when its support has an end date."""
    named = [peek(props, f"{prefix}.{k}") for k in ("publisher", "offer", "sku")]
    if not all(isinstance(v, str) and not is_unknown(v) for v in named):
        return None
    publisher, offer, sku = (str(v) for v in named)
    for entry in windows()["marketplaceImages"]:
        if (
            entry.get("end")
            and entry["publisher"].lower() == publisher.lower()
            and entry["offer"].lower() == offer.lower()
            and sku.lower().startswith(entry["skuPrefix"].lower())
        ):
            return _Base(f"{entry['name']} ({publisher}/{offer}/{sku})", entry)
    return None


def endings(resources: Sequence[PolicyResource]) -> Iterator[Ending]:
    """Everything in the stack with a support end date: pools' node agents, pools' images built from a retiring
    marketplace image (the gallery definition's identifier names the base), builder VMs' marketplace images."""
    agents = {e["sku"]: e for e in windows()["nodeAgents"] if e.get("end")}
    for pool in of_type(resources, BATCH_POOL):
        sku = peek(pool.props, f"{VM_CONFIG}.nodeAgentSkuId")
        if isinstance(sku, str) and sku in agents:
            yield _ending(pool, "Batch pool", f'nodeAgentSkuId "{sku}"', agents[sku])
        for definition in pool_image_definitions(pool, resources):
            if base := _base_image(definition.props, "identifier"):
                yield _ending(pool, "Batch pool", f'image "{definition.name}" built from {base.what}', base.window)
    for vm in of_type(resources, VIRTUAL_MACHINE):
        if base := _base_image(vm.props, "storageProfile.imageReference"):
            yield _ending(vm, "builder VM", f"storageProfile.imageReference {base.what}", base.window)


def _ending(resource: PolicyResource, kind: str, what: str, entry: Mapping[str, Any]) -> Ending:
    return Ending(resource, kind, what, dt.date.fromisoformat(str(entry["end"])), entry["source"])
