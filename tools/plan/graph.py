"""The plan's dependency graph: nodes, edges, Mermaid/DOT rendering and the critical path of `pulumi up`.

Edges point from a resource to the resources that wait for it (creation order), so the graph reads like the
deployment: builder VM → capture → gallery image version → pool.

Durations are the typical minutes of each resource type, with their sources, in tools/plan/catalog.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tools.plan.catalog import typical_minutes
from tools.plan.policy_runner import ResourceRecord as Node  # the records tools/plan/offline.py produces


@dataclass(frozen=True)
class Step:
    urn: str
    typ: str
    name: str
    minutes: float


@dataclass(frozen=True)
class CriticalPath:
    steps: list[Step]

    @property
    def minutes(self) -> float:
        return round(sum(s.minutes for s in self.steps), 2)


def edges(nodes: Sequence[Node]) -> list[tuple[str, str]]:
    """(dependency URN, dependent URN) between custom resources, deduplicated, in a stable order."""
    custom = {n.urn for n in nodes if n.custom}
    found: list[tuple[str, str]] = []
    for node in nodes:
        if not node.custom:
            continue
        for dependency in dict.fromkeys(node.dependencies):
            if dependency in custom and dependency != node.urn:
                found.append((dependency, node.urn))
    return found


def critical_path(nodes: Sequence[Node]) -> CriticalPath:
    """The longest chain of typical durations through the dependency graph (what bounds `pulumi up`)."""
    custom = [n for n in nodes if n.custom]
    by_urn = {n.urn: n for n in custom}
    incoming: dict[str, list[str]] = {n.urn: [] for n in custom}
    for source, target in edges(nodes):
        incoming[target].append(source)
    finish: dict[str, float] = {}
    best_previous: dict[str, str | None] = {}
    for urn in _topological(custom, incoming):
        start, previous = 0.0, None
        for source in incoming[urn]:
            if finish[source] > start:
                start, previous = finish[source], source
        finish[urn] = start + typical_minutes(by_urn[urn].typ)
        best_previous[urn] = previous
    if not finish:
        return CriticalPath([])
    cursor: str | None = max(finish, key=lambda u: (finish[u], u))
    chain: list[Step] = []
    while cursor is not None:
        node = by_urn[cursor]
        chain.append(Step(node.urn, node.typ, node.name, typical_minutes(node.typ)))
        cursor = best_previous[cursor]
    return CriticalPath(list(reversed(chain)))


def _topological(nodes: Sequence[Node], incoming: Mapping[str, list[str]]) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(urn: str) -> None:
        if state.get(urn) == 2:
            return
        if state.get(urn) == 1:
            raise ValueError(f"dependency cycle through {urn}")
        state[urn] = 1
        for source in incoming[urn]:
            visit(source)
        state[urn] = 2
        order.append(urn)

    for node in nodes:
        visit(node.urn)
    return order


def _node_id(urn: str, ids: dict[str, str]) -> str:
    if urn not in ids:
        ids[urn] = f"n{len(ids)}"
    return ids[urn]


def _short_type(typ: str) -> str:
    return typ.rsplit(":", 1)[-1]


def to_mermaid(nodes: Sequence[Node], highlight: Sequence[str] = ()) -> str:
    """A `flowchart LR` that pastes into a pull request; critical-path nodes are highlighted."""
    ids: dict[str, str] = {}
    lines = ["flowchart LR"]
    for node in (n for n in nodes if n.custom):
        label = f"{node.name}<br/><small>{_short_type(node.typ)}</small>"
        lines.append(f'  {_node_id(node.urn, ids)}["{_mermaid_text(label)}"]')
    for source, target in edges(nodes):
        lines.append(f"  {_node_id(source, ids)} --> {_node_id(target, ids)}")
    critical = [ids[u] for u in highlight if u in ids]
    if critical:
        lines.append("  classDef critical stroke:#d33,stroke-width:3px")
        lines.append(f"  class {','.join(critical)} critical")
    return "\n".join(lines)


def to_dot(nodes: Sequence[Node], highlight: Sequence[str] = ()) -> str:
    ids: dict[str, str] = {}
    critical = set(highlight)
    lines = ["digraph plan {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    for node in (n for n in nodes if n.custom):
        style = ", color=red, penwidth=2" if node.urn in critical else ""
        label = f"{node.name}\\n{_short_type(node.typ)}"
        lines.append(f'  {_node_id(node.urn, ids)} [label="{label}"{style}];')
    for source, target in edges(nodes):
        lines.append(f"  {_node_id(source, ids)} -> {_node_id(target, ids)};")
    lines.append("}")
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    return re.sub(r'["]', "'", text)
