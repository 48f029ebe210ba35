"""The config keys, described once: each key's `Field(description=...)` in components/settings/models.py, its choices
and its default are the text of Pulumi.yaml's `config:` descriptions, generated here.

`python -m tools.config_docs` rewrites Pulumi.yaml's `config:` section (`make config-docs`); `--check` only says
whether it is current (tests/program/test_config_docs.py runs the check, and that every key has a row in the README's
table). Like Packer's docs generated from its config structs: a key added to the models shows up in both or fails.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from components.common.project import PROJECT_ROOT
from components.settings import Settings

PULUMI_YAML = PROJECT_ROOT / "Pulumi.yaml"
# What stays above the generated descriptions in Pulumi.yaml's `config:` section.
CONFIG_HEADER = """config:
  # Generated from components/settings/models.py (each key's description, choices and default) by
  # `make config-docs`; tests/program/test_config_docs.py fails when it is stale. Structured keys carry a description
  # and no `type`: every current Pulumi CLI accepts them that way. The program validates them before it registers any
  # resource.
"""
WIDTH = 120


@dataclass(frozen=True)
class ConfigKey:
    """One key as a user writes it: `image.builder.vmSize`, `pools[].drainTimeout`."""

    path: str
    field: FieldInfo


def _model_in(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (directly, optionally or in a list), and whether it is a list of them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = get_origin(annotation)
    if origin is list:
        model, _ = _model_in(get_args(annotation)[0])
        return model, model is not None
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            model, is_list = _model_in(arg)
            if model is not None:
                return model, is_list
    return None, False


def _choices(annotation: Any) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(arg) for arg in get_args(annotation)]
    if get_origin(annotation) in (Union, types.UnionType):
        return [choice for arg in get_args(annotation) for choice in _choices(arg)]
    return []


def _alias(name: str, info: FieldInfo) -> str:
    return info.alias or name


def config_keys(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[ConfigKey]:
    """Every key under `batch-custom-image:`, parents before their children (location is azure-native's)."""
    for name, info in model.model_fields.items():
        if model is Settings and name == "location":
            continue
        path = f"{prefix}{_alias(name, info)}"
        yield ConfigKey(path, info)
        nested, is_list = _model_in(info.annotation)
        if nested is not None:
            yield from config_keys(nested, f"{path}[]." if is_list else f"{path}.")


def _default(info: FieldInfo) -> str | None:
    value = info.default
    if value is PydanticUndefined or value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, BaseModel):  # a default object is worth spelling only where its keys have no defaults
        if all(not f.is_required() for f in type(value).model_fields.values()):
            return None
        return " ".join(str(v) for v in value.model_dump().values())
    return str(value)


def describe_key(name: str, info: FieldInfo) -> str:
    """`alias (choices; default D; description)`, then the nested keys in `{...}` (a list of them in `[{...}]`)."""
    notes = []
    choices = _choices(info.annotation)
    if choices:
        notes.append(" | ".join(choices))
    default = _default(info)
    if default is not None:
        notes.append(f"default {default}")
    if info.description:
        notes.append(info.description)
    text = _alias(name, info) + (f" ({'; '.join(notes)})" if notes else "")
    nested, is_list = _model_in(info.annotation)
    if nested is not None:
        inner = ", ".join(describe_key(n, i) for n, i in nested.model_fields.items())
        text += f" [{{{inner}}}]" if is_list else f" {{{inner}}}"
    return text


def render_config() -> str:
    """Pulumi.yaml's `config:` section: each top-level key's description, then its keys."""
    out = [CONFIG_HEADER]
    for name, info in Settings.model_fields.items():
        if name == "location":
            continue
        nested, is_list = _model_in(info.annotation)
        assert nested is not None, f"top-level key {name} is not a model"
        inner = ", ".join(describe_key(n, i) for n, i in nested.model_fields.items())
        text = f"{info.description} " + (f"[{{{inner}}}]" if is_list else inner)
        body = textwrap.fill(
            text,
            width=WIDTH,
            initial_indent=" " * 6,
            subsequent_indent=" " * 6,
            break_long_words=False,
            break_on_hyphens=False,
        )
        out.append(f"  {_alias(name, info)}:\n    description: >-\n{body}\n")
    return "".join(out)


def with_config(project_yaml: str) -> str:
    """Pulumi.yaml's text with its `config:` section (the file's last) generated anew."""
    head, found, _ = project_yaml.partition("\nconfig:\n")
    if not found:
        raise ValueError("Pulumi.yaml has no top-level `config:` section")
    return f"{head}\n{render_config()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.config_docs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if Pulumi.yaml's descriptions are stale")
    parser.add_argument("--file", type=Path, default=PULUMI_YAML, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    current = args.file.read_text()
    wanted = with_config(current)
    if current == wanted:
        return 0
    if args.check:
        print(f"{args.file}: the config descriptions are stale; run `make config-docs`", file=sys.stderr)
        return 1
    args.file.write_text(wanted)
    print(f"{args.file}: config descriptions regenerated from components/settings/models.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
