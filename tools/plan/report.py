"""The plan as a document and as text: `build_plan` (the JSON document `--json` writes, tools/plan/plan.schema.json)
and `render` (the text or markdown `make plan` prints). The work of the command; tools/plan/cli.py parses the flags.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi.runtime import rpc

from components.common.project import PROJECT_ROOT
from tools.errors import ExitCode
from tools.plan import canary as plan_canary
from tools.plan import catalog, deployed, support
from tools.plan import graph as plan_graph
from tools.plan.offline import ProgramRun, RegisteredResource
from tools.plan.policy_runner import PolicyReport, load_pack

SCHEMA_VERSION = 1

RETIRE_HINT = (
    "Once the image version is published, retire the builder: set image.builder.enabled to false and run "
    "`pulumi up` (the gallery versions, the exported VHD and the pools stay untouched; README, Day-2 operations)."
)

# --- building the plan ---------------------------------------------------------------------------------------------


def policy_guidance() -> dict[str, dict[str, str]]:
    """Each policy's `remediation_steps` and `url` (pulumi-policy fields the engine shows beside a violation)."""
    return {
        p.name: {k: v for k, v in (("remediation", p.remediation_steps), ("url", p.url)) if v}
        for p in load_pack().policies
    }


def build_plan(
    run: ProgramRun,
    report: PolicyReport,
    stack: str,
    policy_config: Path | None = None,
    against: deployed.Comparison | None = None,
    policy_options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The plan as one JSON-ready document (see tools/plan/plan.schema.json); `policy_options` is the loaded policy
    pack config (the support windows are judged on its batch-pool-support-window asOf)."""
    # Everything in URN order (run.resources is sorted by URN), policy results by URN then policy: the same stack
    # gives byte-identical text, markdown and JSON on every run.
    names = {r.urn: r.name for r in run.resources}
    path = plan_graph.critical_path(run.resources)
    guidance = policy_guidance()
    return {
        "schemaVersion": SCHEMA_VERSION,
        "stack": stack,
        "resources": [
            {
                "urn": r.urn,
                "type": r.typ,
                "name": r.name,
                "parent": names.get(r.parent, ""),
                "custom": r.custom,
                "dependencies": sorted({names.get(d, d) for d in r.dependencies}),
                "properties": key_properties(r),
            }
            for r in run.resources
        ],
        "graph": {
            "nodes": [r.urn for r in run.resources if r.custom],
            "edges": [list(edge) for edge in plan_graph.edges(run.resources)],
        },
        "criticalPath": {
            "estimatedMinutes": path.minutes,
            "steps": [{"urn": s.urn, "type": s.typ, "name": s.name, "minutes": s.minutes} for s in path.steps],
        },
        "policies": {
            level: [
                {
                    "policy": p.policy_name,
                    "resourceType": p.resource_type,
                    "resourceName": p.resource_name,
                    "urn": p.urn,
                    "message": p.detail,
                    **guidance.get(p.policy_name, {}),
                }
                for p in sorted(results, key=lambda p: (p.urn, p.policy_name, p.message))
            ]
            for level, results in (("mandatory", report.mandatory), ("advisory", report.advisory))
        },
        "billingAfterUp": [
            {"urn": r.urn, "type": r.typ, "name": r.name, "cost": catalog.idle_cost(r.typ)}
            for r in run.resources
            if catalog.idle_cost(r.typ)
        ],
        "policyPackConfig": _shown_path(policy_config) if policy_config else None,
        "supportWindows": support.support_windows(run.resources, policy_options),
        "canary": plan_canary.canary_summary(run),
        "outputs": _display(run.outputs),
        **({"against": _display(deployed.to_json(against))} if against else {}),
        "exitCode": int(ExitCode.MANDATORY_VIOLATION if report.mandatory else ExitCode.OK),
    }


def _shown_path(path: Path) -> str:
    """Relative to the project when inside it (the same text on every machine)."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def key_properties(resource: RegisteredResource) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in catalog.key_properties(resource.typ):
        value: Any = resource.inputs
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is not None:
            found[path] = _display(value)
    return found


def _display(value: Any) -> Any:
    """Secrets masked, unknowns spelled out, everything JSON-ready."""
    if isinstance(value, Mapping):
        if rpc.is_rpc_secret(value):
            return "[secret]"
        return {str(k): _display(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_display(v) for v in value]
    if value == rpc.UNKNOWN:
        return "(known after apply)"
    return value


# --- rendering -----------------------------------------------------------------------------------------------------


def render_graph(run: ProgramRun, plan: Mapping[str, Any], graph: str) -> str:
    """The dependency graph as Mermaid or DOT, critical-path resources highlighted ("" for none)."""
    highlight = [step["urn"] for step in plan["criticalPath"]["steps"]]
    if graph == "mermaid":
        return plan_graph.to_mermaid(run.resources, highlight)
    if graph == "dot":
        return plan_graph.to_dot(run.resources, highlight)
    return ""


def render(
    plan: Mapping[str, Any],
    graph: str,
    graph_text: str,
    markdown: bool,
    against: deployed.Comparison | None = None,
) -> str:
    resources = plan["resources"]
    custom = [r for r in resources if r["custom"]]
    head = "## " if markdown else ""
    lines = [
        f"{head}Offline plan for stack '{plan['stack']}': {len(custom)} resources "
        f"in {len(resources) - len(custom)} components (no cloud calls)",
        "",
    ]
    lines += _resource_table(custom, markdown)
    if against is not None:
        lines += ["", *deployed.render(against, markdown)]
    if graph_text:
        lines += ["", f"{head}Dependency graph ({graph})", "", f"```{graph}", graph_text, "```"]
    lines += ["", f"{head}Critical path of `pulumi up`: about {plan['criticalPath']['estimatedMinutes']:g} minutes", ""]
    for number, step in enumerate(plan["criticalPath"]["steps"], 1):
        lines.append(f"{number:>3}. {step['name']} ({step['type'].rsplit(':', 1)[-1]}): ~{step['minutes']:g} min")
    lines += _progress_lines(resources, head)
    lines += _cost_lines(plan, head)
    if "supportWindows" in plan:
        lines += support.render(plan["supportWindows"], head)
    lines += ["", f"{head}Policy results", ""]
    lines += [f"policy pack config: {plan.get('policyPackConfig') or 'none (the levels the pack declares)'}"]
    for level in ("mandatory", "advisory"):
        results = plan["policies"][level]
        lines.append(f"{level}: {len(results)}")
        for result in results:
            where = result["resourceName"] or "stack"
            lines.append(f"  - {result['policy']} [{where}]: {result['message']}")
            if result.get("remediation"):
                lines.append(f"    fix: {result['remediation']}" + (f" ({result['url']})" if result.get("url") else ""))
    verdict = (
        f"FAIL: {len(plan['policies']['mandatory'])} mandatory violation(s)"
        if plan["exitCode"]
        else "PASS: no mandatory violation"
    )
    lines += ["", f"{'**' if markdown else ''}{verdict}{'**' if markdown else ''}"]
    return "\n".join(lines)


def _cost_lines(plan: Mapping[str, Any], head: str) -> list[str]:
    """What keeps billing after `up` (the builder until it is retired), then the canary's cost per new version."""
    lines = ["", f"{head}What keeps billing after `up`, besides the image and the pools", ""]
    lines += [f"- {item['name']}: {item['cost']}" for item in plan["billingAfterUp"]] or ["nothing: no builder"]
    if plan["billingAfterUp"]:
        lines += [RETIRE_HINT]
    if "canary" in plan:
        lines += plan_canary.render(plan["canary"], head)
    return lines


def _progress_lines(resources: Sequence[Mapping[str, Any]], head: str) -> list[str]:
    """What `pulumi up` shows on the rows of the resources whose provider takes time, phase by phase."""
    shown = [r for r in resources if catalog.progress(r["type"])]
    if not shown:
        return []
    lines = [
        "",
        f"{head}What `pulumi up` shows while it waits",
        "",
        "Beside each of these resources: its phase and what it waits for, at each phase change and at least every "
        "30 s; then one line with the outcome and each phase's time (without an engine, on the provider's stderr).",
    ]
    for resource in shown:
        lines.append(f"- {resource['name']} ({resource['type'].rsplit(':', 1)[-1]}):")
        lines += [f"    {phase}: {what}" for phase, what in catalog.progress(resource["type"])]
    return lines


def _resource_table(resources: Sequence[Mapping[str, Any]], markdown: bool) -> list[str]:
    rows = [
        (
            r["type"].replace("azure-native:", ""),
            r["name"],
            r["parent"] or "-",
            ", ".join(f"{k.rsplit('.', 1)[-1]}={_short(v)}" for k, v in r["properties"].items()),
        )
        for r in resources
    ]
    header = ("type", "name", "parent", "properties")
    if markdown:
        return [
            "| " + " | ".join(header) + " |",
            "|---|---|---|---|",
            *("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows),
        ]
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(3)]
    return [
        "  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip()
        for row in [header, *rows]
    ]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."
