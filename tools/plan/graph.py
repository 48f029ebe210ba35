"""The plan's dependency graph: nodes, edges, Mermaid/DOT rendering and the critical path of `pulumi up`.

Edges point from a resource to the resources that wait for it (creation order), so the graph reads like the
deployment: builder VM → capture → gallery image version → pool.

Everything here is ordered by URN (node ids n0, n1, ... follow the sorted URNs; edges are sorted), never by the order
the program happened to register resources in, so the same stack renders the same graph on every run.

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
    """(dependency URN, dependent URN) between custom resources, deduplicated, sorted."""
    custom = {n.urn for n in nodes if n.custom}
    found = {
        (dependency, node.urn)
        for node in nodes
        if node.custom
        for dependency in node.dependencies
        if dependency in custom and dependency != node.urn
    }
    return sorted(found)


def _custom(nodes: Sequence[Node]) -> list[Node]:
    return sorted((n for n in nodes if n.custom), key=lambda n: n.urn)


def critical_path(nodes: Sequence[Node]) -> CriticalPath:
    """The longest chain of typical durations through the dependency graph (what bounds `pulumi up`)."""
    custom = _custom(nodes)
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


def _node_ids(nodes: Sequence[Node]) -> dict[str, str]:
    """n0, n1, ... in URN order."""
    return {n.urn: f"n{i}" for i, n in enumerate(_custom(nodes))}


def _short_type(typ: str) -> str:
    return typ.rsplit(":", 1)[-1]


def to_mermaid(nodes: Sequence[Node], highlight: Sequence[str] = ()) -> str:
    """A `flowchart LR` that pastes into a pull request; critical-path nodes are highlighted."""
    ids = _node_ids(nodes)
    lines = ["flowchart LR"]
    for node in _custom(nodes):
        label = f"{node.name}<br/><small>{_short_type(node.typ)}</small>"
        lines.append(f'  {ids[node.urn]}["{_mermaid_text(label)}"]')
    for source, target in edges(nodes):
        lines.append(f"  {ids[source]} --> {ids[target]}")
    critical = [ids[u] for u in highlight if u in ids]
    if critical:
        lines.append("  classDef critical stroke:#d33,stroke-width:3px")
        lines.append(f"  class {','.join(critical)} critical")
    return "\n".join(lines)


def to_dot(nodes: Sequence[Node], highlight: Sequence[str] = ()) -> str:
    ids = _node_ids(nodes)
    critical = set(highlight)
    lines = ["digraph plan {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    for node in _custom(nodes):
        style = ", color=red, penwidth=2" if node.urn in critical else ""
        label = f"{node.name}\\n{_short_type(node.typ)}"
        lines.append(f'  {ids[node.urn]} [label="{label}"{style}];')
    for source, target in edges(nodes):
        lines.append(f"  {ids[source]} -> {ids[target]};")
    lines.append("}")
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    return re.sub(r'["]', "'", text)
