"""The Windows build stack (Pulumi.windows.yaml) under Azure-shaped mocks: the builder, its secret password, the
unattend content, the Windows image definition and pools, and the offline plan's verdict."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from pulumi.runtime import rpc

from components import windows_setup
from components.builder import ADMIN_USER
from components.capture.resource import CAPTURE_TYPE, CLEANUP_TYPE
from tools.plan.offline import MOCKED_PASSWORD, ProgramRun, run_program

VM = "azure-native:compute:VirtualMachine"
POOL = "azure-native:batch:Pool"


@pytest.fixture(scope="module")
def windows() -> ProgramRun:
    return run_program(stack="windows")


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def _os_profile(run: ProgramRun) -> dict[str, Any]:
    profile = run.one(VM).inputs["osProfile"]
    # The SDK sends a top-level input holding a secret anywhere inside it as one secret: the whole osProfile.
    assert _is_secret(profile), "osProfile holds the admin password: the engine must get it as a secret"
    return dict(profile["value"])


def test_builder_is_windows_without_linux_configuration(windows: ProgramRun) -> None:
    profile = _os_profile(windows)
    assert "linuxConfiguration" not in profile
    config = profile["windowsConfiguration"]
    assert config["provisionVMAgent"] is True
    assert "winRM" not in config  # no WinRM listener
    assert profile["allowExtensionOperations"] is False
    assert len(profile["computerName"]) <= 15
    image = windows.one(VM).inputs["storageProfile"]["imageReference"]
    assert (image["publisher"], image["offer"], image["sku"]) == (
        "MicrosoftWindowsServer",
        "WindowsServer",
        "2022-datacenter-azure-edition",
    )


def test_no_extension_no_public_ip_no_inbound_rule(windows: ProgramRun) -> None:
    types = {r.typ for r in windows.resources}
    assert not {t for t in types if "Extension" in t or "RunCommand" in t}
    nic = windows.one("azure-native:network:NetworkInterface")
    assert all("publicIPAddress" not in c for c in nic.inputs["ipConfigurations"])
    assert windows.one("azure-native:network:NetworkSecurityGroup").inputs["securityRules"] == []
    assert "tls:index/privateKey:PrivateKey" not in types  # no SSH key for a Windows builder


def test_admin_password_is_generated_and_secret(windows: ProgramRun) -> None:
    vm = windows.one(VM)
    generator = windows.one("random:index/randomPassword:RandomPassword")
    assert _os_profile(windows)["adminPassword"] == MOCKED_PASSWORD
    assert generator.urn in vm.property_dependencies["osProfile"]
    # Azure's rule (12-123 characters, 3 of 4 classes), with specials that need no escaping in XML or cmd
    assert generator.inputs["length"] >= 12
    assert all(generator.inputs[f"min{c}"] == 1 for c in ("Lower", "Upper", "Numeric", "Special"))
    assert not set(generator.inputs["overrideSpecial"]) & set("&<>\"' ")
    assert "result" in generator.options["additionalSecretOutputs"]  # pulumi-random keeps it secret in the state


def test_unattend_content_runs_the_driver_once_at_first_logon(windows: ProgramRun) -> None:
    entries = _os_profile(windows)["windowsConfiguration"]["additionalUnattendContent"]
    by_setting = {e["settingName"]: e for e in entries}
    assert set(by_setting) == {"AutoLogon", "FirstLogonCommands"}
    assert {(e["passName"], e["componentName"]) for e in entries} == {("OobeSystem", "Microsoft-Windows-Shell-Setup")}
    logon = ET.fromstring(by_setting["AutoLogon"]["content"])
    assert (logon.findtext("Username"), logon.findtext("LogonCount")) == (ADMIN_USER, "1")
    assert logon.findtext("Password/Value") == MOCKED_PASSWORD
    commands = ET.fromstring(by_setting["FirstLogonCommands"]["content"])
    command_line = commands.findtext("SynchronousCommand/CommandLine") or ""
    assert windows_setup.CUSTOM_DATA_PATH in command_line and "powershell.exe" in command_line


def test_custom_data_is_the_driver_with_the_setup_script(windows: ProgramRun) -> None:
    driver = base64.b64decode(_os_profile(windows)["customData"]).decode()
    with open("image/setup.ps1") as setup:
        embedded = base64.b64encode(setup.read().encode("utf-8-sig")).decode()  # with a BOM, for PowerShell 5.1
    assert f"$SetupBase64 = '{embedded}'" in driver and "$ImageVersion = '1.0.0'" in driver
    assert MOCKED_PASSWORD not in driver


def test_password_is_in_no_output_and_not_given_to_the_capture(windows: ProgramRun) -> None:
    assert MOCKED_PASSWORD not in repr(windows.outputs)
    for typ in (CAPTURE_TYPE, CLEANUP_TYPE):
        resource = windows.one(typ)
        assert resource.inputs["os_type"] == "Windows"
        assert MOCKED_PASSWORD not in repr(resource.inputs) and MOCKED_PASSWORD not in repr(resource.outputs)
    # Only the VM's inputs and the generator's outputs carry it.
    carriers = {r.typ for r in windows.resources if MOCKED_PASSWORD in repr(r.inputs)}
    assert carriers == {VM}


def test_windows_image_definition_and_pools(windows: ProgramRun) -> None:
    definition = windows.one("azure-native:compute:GalleryImage")
    assert definition.inputs["osType"] == "Windows"
    assert definition.inputs["hyperVGeneration"] == "V2"
    pools = windows.of_type(POOL)
    assert pools
    for pool in pools:
        config = pool.inputs["deploymentConfiguration"]["virtualMachineConfiguration"]
        assert config["nodeAgentSkuId"] == "batch.node.windows amd64"


def test_offline_plan_passes_the_windows_stack() -> None:
    from tools.plan.cli import main

    assert main(["--stack", "windows"]) == 0
