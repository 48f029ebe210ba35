"""Reading resource properties as the engine presents them (wire camelCase names, unknowns during preview).

The analyzer hands policies an unknown-checking proxy: reading a value that is unknown during preview
raises `UnknownValueError`, which the servicer turns into an advisory "can't run during preview". These
helpers let a policy *peek* instead (an unknown becomes `UNKNOWN`), so it can check whatever is known
and let the unknown part pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pulumi_policy.proxy import UnknownValueError


class _Unknown:
    """A value the engine does not know yet (preview)."""

    def __repr__(self) -> str:
        return "<unknown during preview>"


UNKNOWN: Final = _Unknown()


def is_unknown(value: object) -> bool:
    return value is UNKNOWN


def peek(props: Any, path: str, default: Any = None) -> Any:
    """Value at a dotted path (`a.b.0.c`); `default` when absent, `UNKNOWN` when unknown during preview."""
    current = props
    for part in path.split("."):
        try:
            current = _step(current, part)
        except UnknownValueError:
            return UNKNOWN
        except (KeyError, IndexError, TypeError, ValueError):
            return default
        if current is None:
            return default
    return current


def _step(container: Any, part: str) -> Any:
    if isinstance(container, Mapping):
        return container[part]
    if isinstance(container, Sequence) and not isinstance(container, str | bytes):
        return container[int(part)]
    raise TypeError(part)


def items(props: Any, path: str) -> list[Any]:
    """The list at `path` ([] when absent or not a list); unknown elements come back as `UNKNOWN`."""
    value = peek(props, path)
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        return []
    return [peek(value, str(i)) for i in range(len(value))]


def keys(props: Any, path: str) -> list[str]:
    """Keys present (and not null) in the object at `path`; [] when absent."""
    value = peek(props, path) if path else props
    if not isinstance(value, Mapping):
        return []
    return [k for k in value if peek(value, k) is not None]


def text(value: Any) -> str:
    """A value as it appears in a message."""
    if value is None:
        return "not set"
    if is_unknown(value):
        return "unknown during preview"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {text(peek(value, k))}" for k in sorted(value)) + "}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(text(peek(value, str(i))) for i in range(len(value))) + "]"
    return str(value)


def number(value: Any) -> float | None:
    """A numeric property (protobuf sends every number as a float); None when absent, unknown or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def normalize_region(region: str) -> str:
    """ "West Europe" and "westeurope" are the same Azure region."""
    return region.replace(" ", "").lower()
