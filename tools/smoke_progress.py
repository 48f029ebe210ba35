"""Progress display while pools come up: a redrawn bar on a terminal, one line per change in logs (CI)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

BAR_WIDTH = 24


@dataclass(frozen=True)
class PoolSnapshot:
    pool_id: str
    allocation_state: str
    target_nodes: int
    node_states: Counter[str] = field(default_factory=Counter)
    ready: bool = False

    @property
    def usable_nodes(self) -> int:
        return self.node_states["idle"] + self.node_states["running"]

    def describe(self) -> str:
        states = ", ".join(f"{count} {state}" for state, count in sorted(self.node_states.items())) or "no nodes"
        marker = "ready" if self.ready else self.allocation_state
        return f"{self.pool_id}: {marker}, {self.usable_nodes}/{self.target_nodes} usable ({states})"


def render_bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def ready_fraction(snapshots: list[PoolSnapshot]) -> float:
    wanted = sum(max(s.target_nodes, 1) for s in snapshots)
    have = sum(max(s.target_nodes, 1) if s.ready else min(s.usable_nodes, s.target_nodes) for s in snapshots)
    return have / wanted if wanted else 0.0


def format_duration(seconds: float) -> str:
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class Progress:
    def __init__(self, stream: TextIO, interactive: bool) -> None:
        self._stream = stream
        self._interactive = interactive
        self._last_status = ""

    def update(self, snapshots: list[PoolSnapshot], elapsed: float, timeout: float) -> None:
        status = " | ".join(s.describe() for s in snapshots)
        clock = f"{format_duration(elapsed)}/{format_duration(timeout)}"
        if self._interactive:
            self._stream.write(f"\r\x1b[2K{render_bar(ready_fraction(snapshots))} {clock} {status}")
        elif status != self._last_status:
            self._stream.write(f"{render_bar(ready_fraction(snapshots))} {clock} {status}\n")
        self._last_status = status
        self._stream.flush()

    def finish(self) -> None:
        if self._interactive:
            self._stream.write("\n")
            self._stream.flush()
