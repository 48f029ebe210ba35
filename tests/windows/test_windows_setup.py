"""The Windows builder's guest side, rendered: the unattend content against the VM API's schema (Microsoft.Compute
2024-11-01, tests/data/compute), the build driver's flow, the default setup script and the generated password.

No PowerShell runs here and no script is parsed: a PowerShell parser exists as a dotnet tool on NuGet (the
`PowerShell` global tool, 7.6.9), but no dotnet SDK is on this machine to install it. The flow is checked on the
rendered text: the order of its steps and which top-level `try` block (phase) each step and failure line is in."""

from __future__ import annotations

import base64
import json
import re
import string
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from components import windows_setup
from components.builder import ADMIN_USER, PASSWORD_SPECIALS
from components.common.console import (
    DRIVER_START_FAILED,
    FAILURE_LINES,
    PRE_SYSPREP_FAILED,
    SYSPREP_FAILED,
    failure_in,
    proof_line,
    sysprep_generalized_line,
)
from components.common.image_version import IMAGE_VERSION_PATTERN

SCHEMA = json.loads((Path(__file__).parents[1] / "data/compute/AdditionalUnattendContent.2024-11-01.json").read_text())
PROPERTIES = SCHEMA["AdditionalUnattendContent"]["properties"]
SETUP_PS1 = Path(__file__).parents[2] / "image" / "setup.ps1"


def _contents() -> dict[str, str]:
    return {
        windows_setup.AUTO_LOGON: windows_setup.auto_logon_content(ADMIN_USER, "Pa55-word!x&<y>"),
        windows_setup.FIRST_LOGON_COMMANDS: windows_setup.first_logon_commands_content(),
    }


def test_pass_component_and_setting_names_are_the_apis():
    assert PROPERTIES["passName"]["enum"] == [windows_setup.PASS_NAME]
    assert PROPERTIES["componentName"]["enum"] == [windows_setup.COMPONENT_NAME]
    assert set(_contents()) == set(PROPERTIES["settingName"]["enum"]) == {"AutoLogon", "FirstLogonCommands"}


@pytest.mark.parametrize("setting", ["AutoLogon", "FirstLogonCommands"])
def test_each_content_is_well_formed_xml_rooted_at_its_setting_and_under_4_kb(setting):
    content = _contents()[setting]
    assert ET.fromstring(content).tag == setting
    assert len(content.encode()) < windows_setup.UNATTEND_CONTENT_MAX_BYTES


def test_auto_logon_is_once_for_the_admin_and_escapes_the_password():
    logon = ET.fromstring(_contents()["AutoLogon"])
    assert logon.findtext("Username") == ADMIN_USER
    assert logon.findtext("Enabled") == "true" and logon.findtext("LogonCount") == "1"
    assert logon.findtext("Password/Value") == "Pa55-word!x&<y>"  # XML-escaped on the wire, exact after parsing


def test_first_logon_commands_are_ordered_from_1_and_copy_the_custom_data_before_running_it():
    commands = ET.fromstring(_contents()["FirstLogonCommands"]).findall("SynchronousCommand")
    assert [int(c.findtext("Order") or 0) for c in commands] == list(range(1, len(commands) + 1))
    assert all(c.findtext("Description") for c in commands)
    # One command: Windows starts FirstLogonCommands side by side, so the copy and the run are chained with &&.
    assert len(commands) == 1
    line = commands[0].findtext("CommandLine") or ""
    copy, run = line.split(" && ")
    assert copy == rf"cmd /c copy /y {windows_setup.CUSTOM_DATA_PATH} {windows_setup.DRIVER_PATH}"
    assert run.startswith("powershell.exe ") and run.endswith(f"-File {windows_setup.DRIVER_PATH}")
    assert "-NoExit" in run  # a failure stays on screen: the boot diagnostics screenshot shows it
    assert len(line) <= 1024  # the unattend CommandLine limit


def _driver(script: str = "Write-Output 'hello'", version: str = "2.3.4") -> str:
    return windows_setup.render_driver(script, version)


def _phases(driver: str) -> list[tuple[str, str]]:
    """The driver's top-level `try { ... } catch { ... }` blocks, as (try body, catch body); they close at column 0."""
    return re.findall(r"(?ms)^try \{\n(.*?)\n\} catch \{\n(.*?)\n\}$", _code(driver))


def _phase(driver: str, step: str) -> tuple[str, str]:
    (phase,) = [(body, catch) for body, catch in _phases(driver) if step in body]
    return phase


def _function(driver: str, name: str) -> str:
    found = re.search(rf"(?ms)^function {name}\(.*?\) \{{\n(.*?)\n\}}$", _code(driver))
    assert found, name
    return found.group(1)


def _code(driver: str) -> str:
    """The driver without its comments (its only # start comments) and without blank or comment-only lines."""
    lines = (line.split("#", 1)[0].rstrip() for line in driver.splitlines())
    return "\n".join(line for line in lines if line)


def test_the_driver_writes_the_setup_script_and_runs_it_with_the_version():
    driver = _driver("Write-Output 'ünïcode setup'")
    encoded = re.search(r"FromBase64String\('([A-Za-z0-9+/=]+)'\)", driver)
    assert encoded
    written = base64.b64decode(encoded.group(1))
    # UTF-8 with a BOM: Windows PowerShell 5.1 reads a .ps1 file without one in the ANSI code page.
    assert written.startswith(b"\xef\xbb\xbf") and written.decode("utf-8-sig") == "Write-Output 'ünïcode setup'"
    assert driver.isascii()  # the driver's own .ps1 (copied from the custom data) has no BOM: it needs none
    assert "$env:BATCH_IMAGE_VERSION = '2.3.4'" in driver
    run = f"-File {windows_setup.SETUP_PATH} > {windows_setup.SETUP_LOG} 2>&1"
    assert driver.index("BATCH_IMAGE_VERSION") < driver.index(run)


def test_the_driver_proves_generalization_only_after_sysprep_reported_it():
    driver = _driver()
    steps = [
        f"-File {windows_setup.SETUP_PATH} > {windows_setup.SETUP_LOG} 2>&1",  # the setup script, its output logged
        "if ($setupExit -ne 0) { Stop-WithFailure",  # stops on its failure, before anything else
        windows_setup.IMDS_VM_ID,  # the vmId, the proof's nonce
        "foreach ($service in 'RdAgent', 'WindowsAzureGuestAgent')",  # the guest agent is up (as Packer waits)
        r'"$env:SystemRoot\Panther"',  # the unattend files (with the password) go
        "'/generalize', '/oobe', '/quiet', '/quit', '/mode:vm'",
        "if ($sysprep.ExitCode -ne 0) { throw",  # a failed sysprep is reported at once, not after the wait
        f"AddSeconds({windows_setup.GENERALIZED_STATE_WAIT_SECONDS})",
        f"$imageState -eq '{windows_setup.GENERALIZED_IMAGE_STATE}'",
        f"$generalization -eq {windows_setup.GENERALIZED_SYSPREP_STATE}",
        "if (-not $done) {",
        'Write-Console "batch-image: sysprep generalized vm $vmid"',
        "Stop-Computer -Force",
    ]
    positions = [driver.index(step) for step in steps]
    assert positions == sorted(positions), list(zip(steps, positions, strict=True))
    assert driver.count("Stop-Computer") == 1 and "/shutdown" not in driver


def test_the_proof_and_failure_lines_are_what_the_capture_step_reads():
    driver = _driver()
    vm_id = "0F47B100-583C-48E3-A4C0-AEFC2C9BBCC1"
    proof = re.search(r'Write-Console "(batch-image: sysprep generalized vm )\$vmid"', driver)
    assert proof and proof.group(1) + vm_id.lower() == sysprep_generalized_line(vm_id) == proof_line("Windows", vm_id)
    assert ".ToLowerInvariant()" in driver  # IMDS may answer in upper case; the proof is compared in lower case
    failures = re.findall(r"Stop-WithFailure \"?'?(batch-image: [a-z -]+ FAILED)", driver)
    assert failures == [
        "batch-image: driver start FAILED",
        "batch-image: driver start FAILED",
        "batch-image: setup FAILED",
        "batch-image: pre-sysprep checks FAILED",
        "batch-image: sysprep FAILED",
    ]
    for line in failures:
        assert line in FAILURE_LINES and failure_in(f"noise\n{line}; last lines of x:\n") == f"{line}; last lines of x:"


def test_autologon_is_off_and_its_password_gone_before_the_setup_script_runs():
    driver = _driver()
    start, stop = _phase(driver, "AutoLogonCount")
    assert r"$winlogon = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'" in start
    for step in [
        "Set-ItemProperty -Path $winlogon -Name AutoLogonCount -Value 0 -Type DWord",  # LogonCount 1 may log on twice
        "Set-ItemProperty -Path $winlogon -Name AutoAdminLogon -Value '0'",
        "Remove-ItemProperty -Path $winlogon -Name DefaultPassword",
    ]:
        assert step in start and driver.index(step) < driver.index(f"-File {windows_setup.SETUP_PATH}")
    assert f'Stop-WithFailure "{DRIVER_START_FAILED}' in stop
    assert _phases(driver)[0] == (start, stop)  # the first thing the driver does


def test_the_driver_stops_before_setup_and_sysprep_when_com1_cannot_be_written():
    driver = _driver()
    # Writing to COM1 throws when the port cannot be opened or written; only optional lines swallow that.
    serial = _function(driver, "Write-Serial")
    assert "$port.Open(); $port.WriteLine($Line)" in serial and "catch" not in serial
    assert "$port.WriteTimeout = " in serial  # a write that hangs throws too
    assert "if ($Required) { throw }" in _function(driver, "Write-Console")
    # The start line is the probe: a required write, before the setup script; its failure stops the driver.
    probe, stop = _phase(driver, windows_setup.DRIVER_STARTED)
    assert probe.strip() == f"Write-Console '{windows_setup.DRIVER_STARTED}' -Required"
    assert stop.strip().startswith(f'Stop-WithFailure "{DRIVER_START_FAILED}: COM1 cannot be written')
    assert _phases(driver).index((probe, stop)) == 1
    # The lines the capture step needs are required writes too, each in a phase whose failure stops the driver.
    for line in ["batch-image: setup done; running sysprep", sysprep_generalized_line("$vmId")]:
        body, catch = next((b, c) for b, c in _phases(driver) if line in b)
        assert re.search(rf"Write-Console ['\"]{re.escape(line)}['\"] -Required", body), line
        assert catch.strip().startswith("Stop-WithFailure "), line
    before_sysprep, _ = _phase(driver, "batch-image: setup done; running sysprep")
    assert _code(driver).index(before_sysprep) < _code(driver).index("Sysprep.exe")
    # Write-Console without -Required only for failure lines and log tails (to the window whatever COM1 does).
    optional = re.findall(r"Write-Console (.*)", _code(driver))
    assert [call for call in optional if "-Required" not in call] == [
        "$Line } else {",
        '"${Line}; last lines of ${Log}:"',
        "$_ } }",
        f'"{SYSPREP_FAILED}: $($_.Exception.Message)"',
    ]


def test_a_failure_keeps_the_driver_window_open_and_the_vm_running():
    driver = _driver()
    stop = _function(driver, "Stop-WithFailure")
    assert stop.rstrip().endswith("while ($true) { Start-Sleep -Seconds 3600 }")
    assert not re.search(r"(?m)(^|[;{])\s*exit\b", _code(driver))  # exit could end PowerShell despite -NoExit
    assert driver.count("Stop-Computer") == 1 and driver.rstrip().endswith("Stop-Computer -Force")
    # Server Manager's window would cover the driver's in the screenshot: stopped at the start and on failure.
    stop_server_manager = "Stop-Process -Name ServerManager -Force -ErrorAction SilentlyContinue"
    assert stop.lstrip().startswith(stop_server_manager)
    assert _phases(driver)[0][0].lstrip().startswith(stop_server_manager)


def test_a_failure_before_sysprep_is_not_reported_as_a_sysprep_failure():
    driver = _driver()
    checks, failed = _phase(driver, windows_setup.IMDS_VM_ID)
    assert "foreach ($service in 'RdAgent', 'WindowsAzureGuestAgent')" in checks and "Sysprep.exe" not in checks
    assert failed.strip() == f'Stop-WithFailure "{PRE_SYSPREP_FAILED}: $($_.Exception.Message)"'
    assert windows_setup.SYSPREP_LOG not in failed and SYSPREP_FAILED not in failed
    _, sysprep_failed = _phase(driver, "Sysprep.exe")
    assert f"Stop-WithFailure '{SYSPREP_FAILED}' '{windows_setup.SYSPREP_LOG}'" in sysprep_failed
    assert windows_setup.GENERALIZED_STATE_WAIT_SECONDS <= 600  # once sysprep exited 0, a few minutes at most


def test_oversized_custom_data_is_refused_with_the_limit():
    with pytest.raises(ValueError, match="65535"):
        _driver("#" * 60000)


def test_the_default_setup_script_checks_the_version_and_writes_the_marker():
    script = SETUP_PS1.read_text()
    pattern = re.search(r"\$ImageVersionPattern = '([^']+)'", script)
    assert pattern and pattern.group(1) == IMAGE_VERSION_PATTERN
    assert "Join-Path $ImageRoot 'VERSION'" in script and "'batch-image'" in script
    # The driver generalizes and powers off: the script itself never does (outside its comments).
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"(?i)sysprep\.exe|stop-computer|restart-computer|shutdown", code)
    assert script.rstrip().endswith("exit 0")


def test_the_auto_logon_content_keeps_every_allowed_special_character():
    value = "Aa1" + PASSWORD_SPECIALS
    assert not set(PASSWORD_SPECIALS) & set(string.ascii_letters + string.digits + "&<>\"' ")
    assert ET.fromstring(windows_setup.auto_logon_content(ADMIN_USER, value)).findtext("Password/Value") == value
