"""The project files the Pulumi CLI reads are valid for it, and the README shows what a new user runs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from components.settings import parse_settings
from tools.plan.offline import load_stack_config

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/data/pulumi-project.schema.json").read_text())


def test_pulumi_yaml_validates_against_the_cli_schema() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    jsonschema.validate(project, SCHEMA)
    assert project["name"] == "batch-custom-image"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


def test_structured_keys_are_described_without_a_type() -> None:
    config = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    for key in ("image", "batch", "pools"):
        assert config[key]["description"]
        assert "type" not in config[key], f"{key}: older CLIs reject `type: object`"


def test_the_schema_check_can_fail() -> None:
    broken = {"name": "x", "runtime": "python", "config": {"pools": {"type": "object", "description": "d"}}}
    try:
        jsonschema.validate(broken, SCHEMA)
    except jsonschema.ValidationError:
        return
    raise AssertionError("a `type: object` declaration must not validate")


def test_every_stack_file_is_valid_configuration() -> None:
    stacks = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))
    assert "dev" in stacks
    for stack in stacks:
        config = load_stack_config(stack)
        namespace = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("batch-custom-image:")}
        parse_settings(namespace, config.get("azure-native:location"))


def test_readme_shows_the_two_commands_first() -> None:
    readme = (ROOT / "README.md").read_text()
    first_screen = "\n".join(readme.splitlines()[:60])
    assert "make test" in first_screen and "make plan STACK=dev" in first_screen
    assert "```mermaid" in readme
