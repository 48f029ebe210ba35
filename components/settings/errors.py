"""How a bad configuration is reported: one `SettingsError` whose lines each name a key, the value and what is allowed.

Pydantic's errors are rendered here into those lines (`describe`); a cross-field rule raises `KeyedError` so the
line names the key the rule is about rather than the model that checked it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from pulumi import RunError

from components.common.project import NAMESPACE


class SettingsError(RunError, ValueError):
    """One message for the whole configuration: each line names a key, the value found and what is allowed.

    A `pulumi.RunError`: the Python language host prints a RunError's message alone, any other exception as "Program
    failed with an unhandled exception" with its traceback (pulumi/pulumi sdk/python/cmd/pulumi-language-python-exec).
    """

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid stack configuration ({len(problems)} problem(s)):\n{lines}")


class KeyedError(ValueError):
    """A cross-field problem: carries the key it is about, so the message can name it."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(allowed)


def unknown_key(key: str, allowed_keys: Collection[str]) -> str:
    """An unknown top-level key; `image.version` set without --path is one key with a dot in its name."""
    text = f"{NAMESPACE}:{key}: unknown key; allowed keys: {', '.join(allowed_keys)}"
    head = re.split(r"[.\[]", key, maxsplit=1)[0]
    if head != key and head in allowed_keys:
        text += (
            f" (a nested key is set with --path: `pulumi config rm '{key}'`, then "
            f"`pulumi config set --path '{key}' <value>`)"
        )
    return text


def describe(error: Any, raw: Mapping[str, Any]) -> str:
    loc = list(error["loc"])
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, KeyedError):
        loc = [*loc, *split_key(cause.key)]
        value: Any = cause.value
        allowed = cause.allowed
    else:
        value = error.get("input")
        allowed = allowed_text(error)
    key = key_name(loc)
    shown = "missing" if error["type"] == "missing" or value is None else repr(value)
    return f"{key} = {shown}: {allowed}"


def split_key(key: str) -> list[str | int]:
    parts: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+", key):
        parts.append(int(part) if part.isdigit() else part)
    return parts


def key_name(loc: list[Any]) -> str:
    if loc and loc[0] == "location":
        return "azure-native:location"
    text = f"{NAMESPACE}:"
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if index else "") + str(part)
    return text


def allowed_text(error: Any) -> str:
    kind = error["type"]
    message = str(error["msg"])
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind == "missing" and tuple(error["loc"]) == ("location",):
        return "required: the Azure region to deploy to, such as westeurope (pulumi config set azure-native:location)"
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see Pulumi.yaml for the keys)"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "allowed: a whole number"
    if kind == "bool_type":
        return "allowed: true or false"
    if kind == "string_pattern_mismatch":
        return f"allowed: a name matching {error.get('ctx', {}).get('pattern')} (Azure's characters and length)"
    return f"allowed: {message[0].lower()}{message[1:]}" if message else kind


def record_problem(key: str, value: Any, allowed: str) -> SettingsError:
    """A key valid on its own but not against what the stack has published (components/image_versions.py): the
    same one-line message, raised before any resource is registered."""
    return SettingsError([f"{key_name(split_key(key))} = {value!r}: {allowed}"])
