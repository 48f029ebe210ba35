"""The optional Pulumi ESC environment (esc/fleet.yaml): OIDC sign-in without a client secret, config the program
accepts, and the fleet's stack files reference it only in a comment (nothing requires Pulumi Cloud)."""

from __future__ import annotations

from typing import Any

import yaml

from components.common.project import PROJECT_ROOT
from components.settings import parse_settings
from tools.fleet.manifest import load_manifest

ESC = PROJECT_ROOT / "esc" / "fleet.yaml"


def _values() -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(ESC.read_text())["values"]
    return values


def test_the_environment_signs_in_with_oidc_and_no_secret() -> None:
    login = _values()["azure"]["login"]["fn::open::azure-login"]
    assert login["oidc"] is True and "clientSecret" not in login
    assert "secret" not in ESC.read_text().lower().replace("no client secret", "")
    assert _values()["environmentVariables"]["ARM_USE_OIDC"] == "true"


def test_its_config_is_what_the_program_accepts_for_every_fleet_stack() -> None:
    supplied = _values()["pulumiConfig"]
    for stack in load_manifest(PROJECT_ROOT / "fleet" / "fleet.yaml").stacks.values():
        assert not set(supplied) & set(stack.config), f"{stack.config_file} would override the environment"
        merged = {k.split(":", 1)[1]: v for k, v in {**stack.config, **supplied}.items() if k.startswith("batch-")}
        settings = parse_settings(merged, stack.region)  # raises SettingsError naming a bad key
        assert (
            settings.batch.service_principal_object_id
            == supplied["batch-custom-image:batch"]["servicePrincipalObjectId"]
        )


def test_the_stack_files_name_the_environment_only_in_a_comment() -> None:
    for path in sorted((PROJECT_ROOT / "fleet" / "stacks").glob("Pulumi.*.yaml")):
        text = path.read_text()
        assert "# environment:\n#   - batch-custom-image/fleet\n" in text, path
        assert "environment" not in yaml.safe_load(text), path
