"""Each config key is described once, in the settings models: Pulumi.yaml's descriptions are generated from them, and
the README's table of keys has a row for every key and none for a key that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import Field

from components.settings import Settings
from components.settings.models import PoolSettings
from tools import config_docs
from tools.config_docs import ConfigKey, config_keys

ROOT = Path(__file__).resolve().parents[2]
README_TABLE_HEAD = "| key | what it sets |"


def readme_rows(readme: str) -> list[tuple[list[str], str]]:
    """The README's table of keys: each row's key names (the backticked names in its first cell) and its text."""
    lines = readme.split(README_TABLE_HEAD, 1)[1].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        first, rest = line.strip("|").split("|", 1)
        rows.append((re.findall(r"`([^`]+)`", first), rest))
    return rows


def _ancestors(path: str) -> list[tuple[str, str]]:
    """(row key, the rest of the path) for each ancestor a row may document the key under: `image.builder.*`."""
    parts = path.replace("[]", "").split(".")
    found = []
    for end in range(len(parts) - 1, 0, -1):
        head = path.split(".")[:end]
        joined = ".".join(head)
        rest = parts[end:]
        bare = joined.removesuffix("[]")
        found += [(name, rest[0]) for name in (joined, bare, f"{bare}.*", f"{bare}[]")]
    return found


def undocumented(keys: list[ConfigKey], rows: list[tuple[list[str], str]]) -> list[str]:
    """Keys with no row of their own, nor a row of an ancestor whose text names them."""
    missing = []
    for key in keys:
        bare = key.path.replace("[]", "")
        own = any(key.path in names or bare in names or f"{key.path}[]" in names for names, _ in rows)
        under = any(
            ancestor in names and re.search(rf"\b{re.escape(leaf)}\b", text)
            for ancestor, leaf in _ancestors(key.path)
            for names, text in rows
        )
        # a parent (image, image.builder) is documented by its keys' rows
        parent = any(
            name.startswith((f"{key.path}.", f"{bare}.", f"{key.path}[]")) for names, _ in rows for name in names
        )
        if not (own or under or parent):
            missing.append(key.path)
    return missing


def unknown_rows(keys: list[ConfigKey], rows: list[tuple[list[str], str]]) -> list[str]:
    """Row keys that name no config key (a renamed or removed key still documented)."""
    known = {k.path for k in keys} | {k.path.replace("[]", "") for k in keys} | {"azure-native:location"}
    known |= {f"{k.path}.*" for k in keys} | {f"{k.path}[]" for k in keys}
    return [name for names, _ in rows for name in names if name not in known]


def test_every_key_is_described_in_the_models() -> None:
    keys = list(config_keys())
    assert len(keys) > 50
    assert [k.path for k in keys if not k.field.description] == []


def test_pulumi_yaml_descriptions_are_the_models_descriptions(tmp_path: Path) -> None:
    current = (ROOT / "Pulumi.yaml").read_text()
    assert config_docs.with_config(current) == current, "Pulumi.yaml is stale: run `make config-docs`"
    assert config_docs.main(["--check"]) == 0


def test_pulumi_yaml_names_every_key_with_its_default() -> None:
    config = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert set(config) == {name for name in Settings.model_fields if name != "location"}
    for key in config_keys():
        if "." not in key.path:
            continue
        top, leaf = key.path.split(".")[0].removesuffix("[]"), key.path.split(".")[-1].removesuffix("[]")
        assert re.search(rf"\b{leaf} \(", config[top]["description"]), key.path
    # the defaults come from the models, so they can't drift from what the program does
    assert "vmSize (default Standard_D2ds_v5;" in config["image"]["description"]
    assert "drainTimeout (default PT2H;" in config["pools"]["description"]
    assert "keepVersions (default 3;" in config["image"]["description"]


def test_a_key_added_to_the_models_makes_the_check_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "Pulumi.yaml"
    project.write_text((ROOT / "Pulumi.yaml").read_text())
    extra = Field(None, alias="maxNodes", description="a key the docs do not know yet")
    monkeypatch.setitem(PoolSettings.model_fields, "max_nodes", extra)
    assert config_docs.main(["--check", "--file", str(project)]) == 1
    assert config_docs.main(["--file", str(project)]) == 0
    assert "maxNodes (a key the docs do not know yet)" in project.read_text()
    assert "pools[].maxNodes" in undocumented(list(config_keys()), readme_rows((ROOT / "README.md").read_text()))


def test_the_readme_table_has_a_row_for_every_key_and_none_for_an_unknown_key() -> None:
    keys = list(config_keys())
    rows = readme_rows((ROOT / "README.md").read_text())
    assert len(rows) > 20
    assert undocumented(keys, rows) == []
    assert unknown_rows(keys, rows) == []


def test_the_readme_check_sees_a_stale_row() -> None:
    rows = [(["image.osType"], "Linux or Windows"), (["image.keepVersion"], "renamed since")]
    keys = [k for k in config_keys() if k.path in ("image.osType", "image.builder.vmSize")]
    assert unknown_rows(keys, rows) == ["image.keepVersion"]
    assert undocumented(keys, rows) == ["image.builder.vmSize"]
