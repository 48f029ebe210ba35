"""The Windows builder's guest side, rendered: the unattend content against the VM API's schema (Microsoft.Compute
2024-11-01, tests/data/compute), the build driver's flow, the default setup script and the generated password.

No PowerShell runs here (the scripts' syntax is checked by a PowerShell parser in its own test). The flow is checked on
the rendered text of image/build-driver.ps1: the order of its steps and which top-level `try` block (phase) each step
and failure line is in, and the markers it writes against what the capture step reads (components/common/proof.py)."""

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
    PREFIX,
    SYSPREP_FAILED,
    sysprep_generalized_line,
)
from components.common.image_version import IMAGE_VERSION_PATTERN
from components.common.proof import (
    BLOB_API_VERSION,
    CLIENT_ID_TOKEN,
    FAILED,
    GENERALIZED,
    PHASES,
    PROOF_URL_TOKEN,
    SETUP_DONE,
    Markers,
    fill_proof_target,
    imds_token_url,
    marker_header,
)

SCHEMA = json.loads((Path(__file__).parents[1] / "data/compute/AdditionalUnattendContent.2024-11-01.json").read_text())
PROPERTIES = SCHEMA["AdditionalUnattendContent"]["properties"]
SETUP_PS1 = Path(__file__).parents[2] / "image" / "setup.ps1"
CLIENT_ID = "7417313c-9fc7-4b63-89ec-d8007752806b"


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


def _values(driver: str) -> dict[str, str]:
    """The rendered values at the top of the driver: `$Name = '<value>'` (a single-quoted string, quotes doubled)."""
    found = re.findall(r"(?m)^\$(\w+) = (?:\[int\])?'((?:[^']|'')*)'$", driver)
    return {name: value.replace("''", "'") for name, value in found}


def test_the_template_is_a_ps1_file_in_the_repo_and_every_placeholder_is_rendered():
    template = windows_setup.DRIVER_TEMPLATE.read_text()
    assert Path(__file__).parents[2] / "image" / "build-driver.ps1" == windows_setup.DRIVER_TEMPLATE
    driver = _driver()
    assert re.findall(r"'__[A-Z0-9_]+__'", template) and not re.findall(r"__[A-Z0-9_]+__", driver)
    # render_driver changes nothing but the values: the code is the template's, line for line
    assert len(driver.splitlines()) == len(template.splitlines())
    assert [line for line in driver.splitlines() if " = " not in line] == [
        line for line in template.splitlines() if " = " not in line
    ]


def test_a_rendered_value_with_a_quote_stays_one_powershell_string():
    driver = _driver("Write-Output 'x'", version="1.0.0")
    assert windows_setup.ps_single_quoted("it's") == "'it''s'"
    assert _values(driver)["ImageVersion"] == "1.0.0"
    assert _values(driver)["Prefix"] == PREFIX


def test_the_driver_writes_the_setup_script_and_runs_it_with_the_version():
    driver = _driver("Write-Output 'ünïcode setup'")
    written = base64.b64decode(_values(driver)["SetupBase64"])
    # UTF-8 with a BOM: Windows PowerShell 5.1 reads a .ps1 file without one in the ANSI code page.
    assert written.startswith(b"\xef\xbb\xbf") and written.decode("utf-8-sig") == "Write-Output 'ünïcode setup'"
    assert driver.isascii()  # the driver's own .ps1 (copied from the custom data) has no BOM: it needs none
    assert _values(driver)["ImageVersion"] == "2.3.4" and _values(driver)["SetupPath"] == windows_setup.SETUP_PATH
    assert "[IO.File]::WriteAllBytes($SetupPath, [Convert]::FromBase64String($SetupBase64))" in driver
    run = "-File $SetupPath > $SetupLog 2>&1"
    assert driver.index("$env:BATCH_IMAGE_VERSION = $ImageVersion") < driver.index(run)


def test_the_driver_proves_generalization_only_after_sysprep_reported_it():
    driver = _driver()
    steps = [
        "$script:VmId = Get-VmId",  # the vmId, the proof's nonce, read first
        "-File $SetupPath > $SetupLog 2>&1",  # the setup script, its output logged
        "if ($setupExit -ne 0) { Stop-WithFailure",  # stops on its failure, before anything else
        "Write-Marker 'setup-done'",  # the proof's path works, before anything irreversible
        "foreach ($service in 'RdAgent', 'WindowsAzureGuestAgent')",  # the guest agent is up (as Packer waits)
        r'"$env:SystemRoot\Panther"',  # the unattend files (with the password) go
        "'/generalize', '/oobe', '/quiet', '/quit', '/mode:vm'",
        "if ($sysprep.ExitCode -ne 0) { throw",  # a failed sysprep is reported at once, not after the wait
        "AddSeconds($GeneralizedStateWaitSeconds)",
        "$imageState -eq $GeneralizedImageState -and $generalization -eq $GeneralizedSysprepState",
        "if (-not $done) {",
        "Write-Marker 'generalized'",
        "Stop-Computer -Force",
    ]
    positions = [driver.index(step) for step in steps]
    assert positions == sorted(positions), list(zip(steps, positions, strict=True))
    assert driver.count("Stop-Computer") == 1 and "/shutdown" not in driver
    values = _values(driver)
    assert values["GeneralizedStateWaitSeconds"] == str(windows_setup.GENERALIZED_STATE_WAIT_SECONDS)
    assert values["GeneralizedImageState"] == windows_setup.GENERALIZED_IMAGE_STATE
    assert values["GeneralizedSysprepState"] == str(windows_setup.GENERALIZED_SYSPREP_STATE)


def test_the_markers_are_what_the_capture_step_reads():
    driver = _driver()
    vm_id = "0f47b100-583c-48e3-a4c0-aefc2c9bbcc1"
    # The bodies as PowerShell expands them, with $Prefix and the vmId (lower case: Get-VmId lowers it).
    expand = {"$Prefix": PREFIX, "$($script:VmId)": vm_id, "`n": "\n"}
    phases = dict(re.findall(r"Write-Marker '([a-z-]+)' \(?\(?(?:@\()?\"([^\"]+)\"", driver))
    assert set(phases) == set(PHASES)
    bodies = {}
    for phase, body in phases.items():
        for variable, value in expand.items():
            body = body.replace(variable, value)
        bodies[phase] = body
    proof = _phase(driver, "Write-Marker 'generalized'")[0]
    assert '$proof = "$Prefix sysprep generalized vm $($script:VmId)"' in proof
    generalized = bodies[GENERALIZED].replace("$proof", sysprep_generalized_line(vm_id))
    markers = Markers({GENERALIZED: generalized, SETUP_DONE: bodies[SETUP_DONE]}, vm_id, "Windows")
    assert markers.proven() and markers.foreign() is None
    assert bodies[FAILED] == marker_header(FAILED, vm_id)  # then the failure line and the log's tail
    assert ".ToLowerInvariant()" in _function(driver, "Get-VmId")  # IMDS may answer in upper case
    values = _values(driver)
    assert values["ProofUrl"] == PROOF_URL_TOKEN and values["ImdsTokenUrl"] == imds_token_url(CLIENT_ID_TOKEN)
    assert values["BlobApiVersion"] == BLOB_API_VERSION
    write = _function(driver, "Write-Marker")
    for header in [
        "'x-ms-blob-type' = 'BlockBlob'",
        "'x-ms-version'   = $BlobApiVersion",
        '"Bearer $($imds.access_token)"',
    ]:
        assert header in write, header  # Put Blob with a bearer token (learn.microsoft.com put-blob)
    assert '-Uri "$ProofUrl$($script:VmId)/$Phase"' in write and "-Method Put" in write
    assert "Tls12" in driver  # Azure Storage takes TLS 1.2 at least


def test_the_proof_target_filled_in_is_plain_powershell_values():
    filled = fill_proof_target(_driver(), "https://imgacct.blob.core.windows.net/build-proof/", CLIENT_ID)
    values = _values(filled)
    assert values["ProofUrl"] == "https://imgacct.blob.core.windows.net/build-proof/"
    assert values["ImdsTokenUrl"].endswith(f"&client_id={CLIENT_ID}")
    assert "@@" not in filled


def test_the_failure_lines_are_the_consoles_and_each_phase_stops_on_failure():
    driver = _driver()
    values = _values(driver)
    for key, line in [
        ("StartFailed", DRIVER_START_FAILED),
        ("SetupFailed", "batch-image: setup FAILED"),
        ("PreSysprepFailed", PRE_SYSPREP_FAILED),
        ("SysprepFailed", SYSPREP_FAILED),
    ]:
        assert values[key] == line and line in FAILURE_LINES
    stops = re.findall(r"Stop-WithFailure \"?\$\{?(\w+)", _code(driver))
    assert stops == ["StartFailed", "SetupFailed", "PreSysprepFailed", "PreSysprepFailed", "SysprepFailed", "Prefix"]


def test_autologon_is_off_and_its_password_gone_before_the_setup_script_runs():
    driver = _driver()
    start, stop = _phase(driver, "AutoLogonCount")
    assert r"$winlogon = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'" in start
    for step in [
        "Set-ItemProperty -Path $winlogon -Name AutoLogonCount -Value 0 -Type DWord",  # LogonCount 1 may log on twice
        "Set-ItemProperty -Path $winlogon -Name AutoAdminLogon -Value '0'",
        "Remove-ItemProperty -Path $winlogon -Name DefaultPassword",
    ]:
        assert step in start and driver.index(step) < driver.index("-File $SetupPath")
    assert 'Stop-WithFailure "${StartFailed}' in stop
    assert _phases(driver)[0] == (start, stop)  # the first thing the driver does


def test_com1_is_only_a_diagnostic_and_the_proof_needs_no_serial_port():
    driver = _driver()
    serial = _function(driver, "Write-Serial")
    assert "$port.Open(); $port.WriteLine($Line)" in serial and "catch {" in serial  # never throws
    assert "throw" not in serial and "-Required" not in driver
    # The steps that decide the build write markers; a marker that cannot be written stops the driver before the
    # next irreversible step (sysprep, power-off), without a second failed marker that could not be written either.
    for marker in ["Write-Marker 'setup-done'", "Write-Marker 'generalized'"]:
        _, catch = _phase(driver, marker)
        assert catch.strip().startswith("Stop-WithFailure ") and catch.strip().endswith("-NoMarker"), marker
    assert _code(driver).index("Write-Marker 'setup-done'") < _code(driver).index("Sysprep.exe")
    assert "Write-Marker 'failed'" in _function(driver, "Stop-WithFailure")
    assert int(_values(driver)["MarkerWriteMinutes"]) == windows_setup.MARKER_WRITE_MINUTES


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
    checks, failed = _phase(driver, "foreach ($service in 'RdAgent', 'WindowsAzureGuestAgent')")
    assert "Sysprep.exe" not in checks
    assert failed.strip() == 'Stop-WithFailure "${PreSysprepFailed}: $($_.Exception.Message)"'
    _, sysprep_failed = _phase(driver, "Sysprep.exe")
    assert "Stop-WithFailure $SysprepFailed $SysprepLog" in sysprep_failed
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
