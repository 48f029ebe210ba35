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
from typing import Any, Final

from pulumi_policy import PolicyResource

from ._batch import VM_CONFIG
from ._graph import of_type, pool_image_definitions
from ._policy import option
from ._props import is_unknown, peek
from ._sizes import DATA
from ._tokens import BATCH_POOL, VIRTUAL_MACHINE

WINDOWS_FILE: Final = DATA / "support_windows.json"
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


def _image_end(publisher: Any, offer: Any, sku: Any) -> Mapping[str, Any] | None:
    if not all(isinstance(v, str) and not is_unknown(v) for v in (publisher, offer, sku)):
        return None
    for entry in windows()["marketplaceImages"]:
        if (
            entry.get("end")
            and entry["publisher"].lower() == publisher.lower()
            and entry["offer"].lower() == offer.lower()
            and sku.lower().startswith(entry["skuPrefix"].lower())
        ):
            return entry
    return None


def endings(resources: Sequence[PolicyResource]) -> Iterator[Ending]:
    """Everything in the stack with a support end date: pools' node agents, pools' images built from a retiring
    marketplace image (the gallery definition's identifier names the base), builder VMs' marketplace images."""
    agents = {e["sku"]: e for e in windows()["nodeAgents"] if e.get("end")}
    for pool in of_type(resources, BATCH_POOL):
        sku = peek(pool.props, f"{VM_CONFIG}.nodeAgentSkuId")
        if isinstance(sku, str) and sku in agents:
            entry = agents[sku]
            yield Ending(pool, "Batch pool", f'nodeAgentSkuId "{sku}"', _date(entry), entry["source"])
        for definition in pool_image_definitions(pool, resources):
            ident = [peek(definition.props, f"identifier.{k}") for k in ("publisher", "offer", "sku")]
            image = _image_end(*ident)
            if image is not None:
                what = f'image "{definition.name}" built from {image["name"]} ({ident[0]}/{ident[1]}/{ident[2]})'
                yield Ending(pool, "Batch pool", what, _date(image), image["source"])
    for vm in of_type(resources, VIRTUAL_MACHINE):
        ref = [peek(vm.props, f"storageProfile.imageReference.{k}") for k in ("publisher", "offer", "sku")]
        image = _image_end(*ref)
        if image is not None:
            what = f"storageProfile.imageReference {image['name']} ({ref[0]}/{ref[1]}/{ref[2]})"
            yield Ending(vm, "builder VM", what, _date(image), image["source"])


def _date(entry: Mapping[str, Any]) -> dt.date:
    return dt.date.fromisoformat(str(entry["end"]))
