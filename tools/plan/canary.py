"""The canary in the plan: whether it runs for this update and why (components/canary_plan.py decides, from the
settings and the record the run read back), and what it costs per build.

No price API is reachable offline, so the cost is in node-minutes and vCPU-minutes of the canary's size, Spot or
dedicated: typical (tools/plan/catalog.py CANARY_TYPICAL_MINUTES, an estimate) and at most (image.canary.timeout,
after which the canary ends). The vCPUs come from the size's name (Azure's naming convention, "the number of vCPUs"
after the family letters, https://learn.microsoft.com/azure/virtual-machines/vm-naming-conventions; a constrained
size such as Standard_E8-4ds_v5 runs the second number).
"""

from __future__ import annotations

import re
from typing import Any

from components.canary.defaults import canary_vm_size
from components.canary_plan import CanaryPlan, canary_plan
from components.common.iso_duration import duration_minutes
from components.image_versions import RECORD_OUTPUT, parse_record
from components.settings import settings_from_config
from tools.plan.catalog import CANARY_TYPICAL_MINUTES
from tools.plan.offline import ProgramRun

_VCPUS = re.compile(r"^standard_[a-z]+(\d+)(?:-(\d+))?", re.IGNORECASE)
KEPT_ON_FAILURE = (
    "a failed canary keeps its one-node pool for inspection, billing, until the next `pulumi up` (which retries it) "
    "or `pulumi destroy`"
)


def canary_summary(run: ProgramRun) -> dict[str, Any]:
    """{state, runs, reason} and, when an ImageCanary is declared, {vmSize, spot, vcpus, minutes{typical, atMost},
    nodeMinutes, vcpuMinutes, onFailure}."""
    settings = settings_from_config(run.config)
    record = run.stack_outputs.get(RECORD_OUTPUT)
    plan: CanaryPlan = canary_plan(settings, parse_record(record) if record is not None else {})
    summary: dict[str, Any] = {"state": plan.state, "runs": plan.state == "runs", "reason": plan.reason}
    if plan.state == "off" or settings.consumes_image_stack:
        return summary
    size = canary_vm_size(settings)
    vcpus = vm_size_vcpus(size)
    typical, at_most = CANARY_TYPICAL_MINUTES, duration_minutes(settings.image.canary.timeout)
    return {
        **summary,
        "vmSize": size,
        "spot": settings.image.canary.spot,
        "vcpus": vcpus,
        "nodeMinutes": {"typical": typical, "atMost": at_most},
        "vcpuMinutes": {"typical": typical * vcpus, "atMost": at_most * vcpus} if vcpus else None,
        "onFailure": KEPT_ON_FAILURE,
    }


def vm_size_vcpus(size: str) -> int | None:
    """The vCPUs a size's name says (None for a name outside the convention)."""
    match = _VCPUS.match(size)
    if match is None:
        return None
    return int(match.group(2) or match.group(1))


def render(summary: dict[str, Any], head: str) -> list[str]:
    lines = ["", f'{head}The canary (image.canary; README "Rolling a pool to a new image")', ""]
    verdict = "runs in this update" if summary["runs"] else "does not run in this update"
    lines.append(f"{verdict}: {summary['reason']}")
    if "vmSize" not in summary:
        return lines
    node = summary["nodeMinutes"]
    kind = "Spot" if summary["spot"] else "dedicated"
    cost = (
        f"cost per new image.version: one {kind} {summary['vmSize']} node, ~{node['typical']:g} node-minutes "
        f"typical, at most {node['atMost']:g} (image.canary.timeout)"
    )
    if summary["vcpuMinutes"]:
        vcpu = summary["vcpuMinutes"]
        cost += f"; {summary['vcpus']} vCPUs: ~{vcpu['typical']:g} vCPU-minutes, at most {vcpu['atMost']:g}"
    lines += [cost + " (no price offline: multiply by the size's price in your region)", summary["onFailure"]]
    return lines
