"""Configuration refusals as `pulumi up` shows them, and small truths of the settings: one message without a
traceback, no value with a trailing newline, a setupScript that is no path, the SecurityType a VHD source allows."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.settings import SettingsError, parse_settings
from tools.plan.offline import RegisteredResource, load_stack_config, run_program

DEV = load_stack_config("dev")
POOL0 = DEV["batch-custom-image:pools"][0]


def _refused(overrides: dict[str, Any]) -> str:
    """The program's refusal of the dev stack with `overrides`: a SettingsError before any resource."""
    registered: list[RegisteredResource] = []
    with pytest.raises(SettingsError) as failure:
        run_program(overrides, records=registered)
    assert registered == []
    return str(failure.value)


# --- 11: one clean message ---------------------------------------------------------------------------------------


def test_a_settings_refusal_is_a_run_error_the_language_host_prints_without_a_traceback() -> None:
    """pulumi/pulumi sdk/python/cmd/pulumi-language-python-exec (HEAD 1b5949891b) runs the program in
    `run_in_stack`, then `except pulumi.RunError as e: pulumi.log.error(str(e))`; any other exception is logged as
    "Program failed with an unhandled exception:" with the user's traceback. run_program takes the same path."""
    with pytest.raises(pulumi.RunError) as failure:
        run_program({"image": {"version": "1.0"}})
    assert str(failure.value).startswith("invalid stack configuration (1 problem(s)):\n  - batch-custom-image:")


def test_a_dotted_top_level_key_says_to_use_config_set_path() -> None:
    """`pulumi config set image.version 1.1.0` (no --path) stores a top-level key named `image.version`."""
    with pytest.raises(SettingsError) as failure:
        parse_settings(
            {
                "image.version": "1.1.0",
                "image": {"name": "app", "version": "1.0.0"},
                "pools": [POOL0],
            },
            "westeurope",
        )
    message = str(failure.value)
    assert "batch-custom-image:image.version: unknown key" in message
    assert "`pulumi config set --path 'image.version' <value>`" in message
    assert "`pulumi config rm 'image.version'`" in message


# --- 12: anchors and paths -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"image": {"version": "1.0.0\n"}}, "batch-custom-image:image.version = '1.0.0\\n'"),
        ({"image": {"builder": {"vmSize": "Standard_D2ds_v5\n"}}}, "image.builder.vmSize = 'Standard_D2ds_v5\\n'"),
        ({"pools": [{**POOL0, "vmSize": "Standard_D4ds_v5\n"}]}, "pools[0].vmSize = 'Standard_D4ds_v5\\n'"),
        ({"pools": [{**POOL0, "drainTimeout": "PT30M\n"}]}, "pools[0].drainTimeout = 'PT30M\\n'"),
        (
            {"batch": {"servicePrincipalObjectId": "00000000-0000-4000-8000-0000000000ba\n"}},
            "batch.servicePrincipalObjectId = '00000000-0000-4000-8000-0000000000ba\\n'",
        ),
    ],
)
def test_a_value_with_a_trailing_newline_is_refused(overrides: dict[str, Any], key: str) -> None:
    assert key in _refused(overrides)


@pytest.mark.parametrize(
    "script",
    [
        "image/" + "x" * 5000 + ".sh",  # longer than any file name: ENAMETOOLONG, not "no such file"
        "#!/bin/bash\napt-get install -y ffmpeg\n" * 200 + ".sh",  # a script pasted inline
        "image/setup\x00.sh",  # a NUL byte: ValueError from the OS layer
    ],
)
def test_a_setup_script_that_is_no_usable_path_is_a_settings_error(script: str) -> None:
    message = _refused({"image": {"builder": {"setupScript": script}}})
    assert "batch-custom-image:image.builder.setupScript = " in message
    assert "a script path relative to the project root" in message


# --- 13: Trusted Launch and a VHD source -----------------------------------------------------------------------------

VHD_SOURCE = {
    "source": "vhd",
    "vhdUri": "https://imagesrc.blob.core.windows.net/vhds/app-1.vhd",
    "vhdStorageAccountId": "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/src/providers/"
    "Microsoft.Storage/storageAccounts/imagesrc",
}


@pytest.mark.parametrize(
    ("image", "where"),
    [
        ({**VHD_SOURCE, "securityType": "TrustedLaunch"}, "image.source is vhd"),
        ({"securityType": "TrustedLaunch", "builder": {"osDisk": "unmanaged"}}, "image.builder.osDisk is unmanaged"),
    ],
)
def test_trusted_launch_from_a_vhd_is_refused(image: dict[str, Any], where: str) -> None:
    """Azure (trusted-launch-portal): SecurityType TrustedLaunch is for a captured Trusted Launch VM, managed disk or
    snapshot; VHD and managed-image sources publish as TrustedLaunchSupported."""
    message = _refused({"image": image})
    assert f"batch-custom-image:image.securityType = 'TrustedLaunch': Standard while {where}" in message
    assert "TrustedLaunchSupported" in message
