"""Pool sizes: fixed targets, the cap an autoscale formula puts on its targets, ISO 8601 durations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ._props import is_unknown, number, peek

# The same grammar as the program's (components/common/iso_duration.py `duration_minutes`, a test keeps them equal):
# whole numbers of days, hours, minutes and seconds, upper case, no time designator without a time part.
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_STATEMENT_SPLIT = re.compile(r"[;\n]")
_ASSIGN = re.compile(r"^\s*\$(?P<var>\w+)\s*=(?!=)\s*(?P<expr>.+?)\s*$", re.S)
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
TARGET_VARS = ("TargetDedicatedNodes", "TargetLowPriorityNodes")


def duration_minutes(value: object) -> float | None:
    """Minutes in an ISO 8601 duration such as PT15M or PT1H30M (the forms Batch accepts); None when it is not one."""
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None  # `$` alone accepts "PT5M\n"
    if not match or value in ("P", "PT") or str(value).endswith("T"):
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return days * 1440 + hours * 60 + minutes + seconds / 60


@dataclass(frozen=True)
class PoolSize:
    """How many nodes a pool may reach. `nodes` is None when the size cannot be told (unknown or uncapped)."""

    mode: str  # "fixed" | "autoscale" | "unknown"
    nodes: int | None
    detail: str
    known: bool = True  # False while a value it depends on is unknown during preview


def pool_size(props: Any) -> PoolSize:
    fixed = peek(props, "scaleSettings.fixedScale")
    formula = peek(props, "scaleSettings.autoScale.formula")
    if formula is not None:
        if is_unknown(formula):
            return PoolSize("autoscale", None, "autoscale formula unknown during preview", known=False)
        return _autoscale_size(str(formula))
    if is_unknown(fixed):
        return PoolSize("unknown", None, "scale settings unknown during preview", known=False)
    dedicated = peek(props, "scaleSettings.fixedScale.targetDedicatedNodes", 0)
    spot = peek(props, "scaleSettings.fixedScale.targetLowPriorityNodes", 0)
    if is_unknown(dedicated) or is_unknown(spot):
        return PoolSize("fixed", None, "target node counts unknown during preview", known=False)
    total = int((number(dedicated) or 0) + (number(spot) or 0))
    return PoolSize("fixed", total, f"{int(number(dedicated) or 0)} dedicated + {int(number(spot) or 0)} Spot")


def _autoscale_size(formula: str) -> PoolSize:
    caps = autoscale_caps(formula)
    missing = [v for v in TARGET_VARS if caps.get(v, 0) is None]
    if missing:
        return PoolSize("autoscale", None, f"autoscale formula sets ${missing[0]} without a numeric cap")
    total = sum(c or 0 for c in caps.values())
    return PoolSize(
        "autoscale",
        total,
        f"autoscale caps {caps.get(TARGET_VARS[0], 0)} dedicated + {caps.get(TARGET_VARS[1], 0)} Spot",
    )


def autoscale_caps(formula: str) -> dict[str, int | None]:
    """Cap of each target variable the formula assigns (None = no recognizable cap).

    The last assignment wins (formulas run top to bottom). A cap is a plain number, or a number argument of
    the outermost `min(...)`; numeric helper variables (`$cap = 10;`) are substituted first.
    """
    numbers: dict[str, float] = {}
    caps: dict[str, int | None] = {}
    for statement in _STATEMENT_SPLIT.split(formula):
        match = _ASSIGN.match(statement)
        if not match:
            continue
        var, expr = match.group("var"), _substitute(match.group("expr"), numbers)
        if _NUMBER.match(expr):
            numbers[var] = float(expr)
        if var in TARGET_VARS:
            caps[var] = _cap(expr)
    return caps


def _substitute(expr: str, numbers: dict[str, float]) -> str:
    return re.sub(r"\$(\w+)", lambda m: _fmt(numbers[m.group(1)]) if m.group(1) in numbers else m.group(0), expr)


def _fmt(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def _cap(expr: str) -> int | None:
    expr = expr.strip()
    if _NUMBER.match(expr):
        return int(float(expr))
    lowered = expr.lower()
    if lowered.startswith("max("):
        inner = _outer_args(expr[4:])
        lower_bounded = [a for a in inner if not _NUMBER.match(a.strip())]
        return _cap(lower_bounded[0]) if len(lower_bounded) == 1 else None
    if lowered.startswith("min("):
        bounds = [int(float(a)) for a in _outer_args(expr[4:]) if _NUMBER.match(a.strip())]
        return min(bounds) if bounds else None
    return None


def _outer_args(rest: str) -> list[str]:
    """Top-level arguments of a call whose opening parenthesis was already consumed."""
    args, depth, current = [], 0, ""
    for ch in rest:
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                args.append(current)
                return [a.strip() for a in args]
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(current)
            current = ""
            continue
        current += ch
    return []
