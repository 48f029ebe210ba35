"""Policy options: read with their defaults, because only the Pulumi engine applies schema defaults."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def option(config: Mapping[str, Any], key: str, default: Any) -> Any:
    value = config.get(key)
    return default if value is None else value


def int_option(config: Mapping[str, Any], key: str, default: int) -> int:
    """Numbers arrive as floats through protobuf; a bad value falls back to the documented default."""
    value = option(config, key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return int(value)


def str_list_option(config: Mapping[str, Any], key: str, default: Sequence[str]) -> list[str]:
    value = option(config, key, default)
    if isinstance(value, str) or not isinstance(value, Sequence):
        return list(default)
    return [str(v) for v in value]


def bool_option(config: Mapping[str, Any], key: str, default: bool) -> bool:
    value = option(config, key, default)
    return value if isinstance(value, bool) else default
