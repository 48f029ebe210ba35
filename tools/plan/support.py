"""The stack's support windows for the plan: what in it has an announced end of support (node agents, the marketplace
base of its images, builder images) and the nearest end date, read with the policy pack's own data and matching
(policies/batch_image_policies/_support.py, data/support_windows.json), so the plan and the policies
batch-pool-support-window / batch-pool-node-agent-end-of-life never disagree. The day judged is the support-window
policy's `asOf` option from the policy pack config, else today (UTC)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions

from tools.plan.offline import RegisteredResource
from tools.plan.policy_runner import PACK_PACKAGE, load_pack

POLICY = "batch-pool-support-window"


def _pack_support() -> Any:
    load_pack()  # puts the pack on sys.path, from policies/ only
    return importlib.import_module(f"{PACK_PACKAGE}._support")


def _policy_resources(records: Sequence[RegisteredResource]) -> list[PolicyResource]:
    """The records as stack policies see them (outputs, parents, dependencies), without the analyzer round trip."""
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    made = {
        r.urn: PolicyResource(r.typ, r.outputs or r.inputs, r.urn, r.name, options, None, None, [], {})
        for r in records
        if r.custom
    }
    for record in records:
        resource = made.get(record.urn)
        if resource is None:
            continue
        resource.parent = made.get(record.parent)
        resource.dependencies = [made[d] for d in record.dependencies if d in made]
        resource.property_dependencies = {
            k: [made[d] for d in v if d in made] for k, v in record.property_dependencies.items()
        }
    return list(made.values())


def support_windows(records: Sequence[RegisteredResource], policy_config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The plan's `supportWindows`: the day judged, each end date in the stack (soonest first), the nearest one,
    and announced retirements without a date yet."""
    support = _pack_support()
    entry = (policy_config or {}).get(POLICY)
    day = support.as_of(entry if isinstance(entry, Mapping) else {})
    endings = sorted(support.endings(_policy_resources(records)), key=lambda e: (e.end, e.resource.name, e.what))
    listed = [
        {
            "resourceName": e.resource.name,
            "what": e.what,
            "end": e.end.isoformat(),
            "ended": day > e.end,
            "source": e.source,
        }
        for e in endings
    ]
    pending = [
        {"what": f"Batch API versions before {v['before']}", "source": v["source"]}
        for v in support.windows()["batchApiVersions"]
        if not v.get("end")
    ]
    return {"asOf": day.isoformat(), "nearest": listed[0] if listed else None, "endings": listed, "pending": pending}


def render(windows: Mapping[str, Any], head: str) -> list[str]:
    lines = [
        "",
        f"{head}Support windows (as of {windows['asOf']}; policies/batch_image_policies/data/support_windows.json)",
        "",
    ]
    nearest = windows["nearest"]
    if nearest is None:
        lines.append("nearest end date: none (no node agent or base image of this stack has an announced end date)")
    else:
        verb = "ended" if nearest["ended"] else "ends"
        where = f"{nearest['resourceName']}: {nearest['what']} {verb}; {nearest['source']}"
        lines.append(f"nearest end date: {nearest['end']} ({where})")
        lines += [f"- {e['end']}: {e['resourceName']}: {e['what']}" for e in windows["endings"][1:]]
    lines += [f"announced, date pending: {p['what']} ({p['source']})" for p in windows["pending"]]
    return lines
