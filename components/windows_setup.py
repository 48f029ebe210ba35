"""The Windows builder's setup without extensions: custom data + unattend content run it at the first logon.

The Linux builder's counterpart is components/cloud_init.py. No VM extension is involved, and nothing listens for
RDP or WinRM. The sequence on the guest:

1. Azure writes the custom data (the driver script rendered here, with the setup script inside it) to
   `C:\\AzureData\\CustomData.bin`; it never runs it.
2. `osProfile.windowsConfiguration.additionalUnattendContent` adds to the oobeSystem pass of Windows Setup an
   AutoLogon of the builder's admin account (LogonCount 1, which Microsoft documents may still log on twice: the
   driver turns AutoLogon off itself) and one FirstLogonCommands command that copies the custom data to a .ps1 file
   and runs it with PowerShell. One command on purpose: Windows now starts FirstLogonCommands side by side rather
   than one after the other, so a second command could not rely on the first.
3. The driver (image/build-driver.ps1, rendered by `render_driver`) first stops Server Manager (its window would cover
   the driver's in the boot diagnostics screenshot), turns AutoLogon off (AutoLogonCount 0, AutoAdminLogon 0),
   removes the AutoLogon password from the registry and reads the VM's vmId from the instance metadata service.
4. It writes the setup script to disk (UTF-8 with a BOM, which Windows PowerShell 5.1 needs to read non-ASCII text)
   and runs it with `BATCH_IMAGE_VERSION` set (the script writes the version marker `C:\\batch-image\\VERSION`). It
   then writes the `setup-done` build-proof marker (components/common/proof.py: Put Blob with a token of the
   builder's identity from IMDS; a driver that cannot write it stops before sysprep), waits for the guest agent,
   removes the unattend files (C:\\Windows\\Panther, which Azure documents to delete before sysprep) and its own
   files, and runs `sysprep /generalize /oobe /quiet /quit /mode:vm`, as Packer does.
5. Only when sysprep exited 0 and Windows reports the image generalized (ImageState
   IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE, the proof; GeneralizationState 7 is checked too but is also the value
   before any sysprep) does the driver write the `generalized` marker with the proof line
   (components/common/console.py) and power the VM off. With `/shutdown` instead of `/quit` nothing could run after
   sysprep, so a guest that powered off could not say whether sysprep succeeded; here the marker is written after
   the check.
6. On any failure the driver writes its phase's failure line (and the log's last lines, if the phase has a log) as
   the `failed` marker and to its console window, then sleeps forever rather than exit, so the window stays on screen
   for the boot diagnostics screenshot and the VM stays running (not generalized when the failure came before
   sysprep). The capture step reads the marker and stops with that tail.
7. COM1 is written too, as a diagnostic, when it can be opened: Azure's Windows Server images give it to the Special
   Administration Console (EMS/SAC), so nothing depends on it.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from components.common.console import (
    DRIVER_START_FAILED,
    PRE_SYSPREP_FAILED,
    PREFIX,
    SETUP_FAILED,
    SYSPREP_FAILED,
    WINDOWS_SETUP_LOG,
    WINDOWS_SYSPREP_LOG,
)
from components.common.proof import BLOB_API_VERSION, CLIENT_ID_TOKEN, PROOF_URL_TOKEN, imds_token_url

CUSTOM_DATA_PATH = r"C:\AzureData\CustomData.bin"  # where Azure puts a Windows VM's custom data
DRIVER_PATH = r"C:\AzureData\batch-image-driver.ps1"
SETUP_LOG = WINDOWS_SETUP_LOG
WORK_DIR = SETUP_LOG.rsplit("\\", 1)[0]  # the build's scratch directory, removed before sysprep
SETUP_PATH = rf"{WORK_DIR}\setup.ps1"
SYSPREP_LOG = WINDOWS_SYSPREP_LOG
# The vmId, the proof's per-VM nonce: the same id the capture step reads from the VM's ARM resource.
IMDS_VM_ID = "http://169.254.169.254/metadata/instance/compute/vmId?api-version=2021-02-01&format=text"
GENERALIZED_IMAGE_STATE = "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE"
# HKLM\SYSTEM\Setup\Status\SysprepStatus GeneralizationState after /generalize: checked as well, but 7 is also its
# value on a guest never sysprepped, so only GENERALIZED_IMAGE_STATE proves the generalization.
GENERALIZED_SYSPREP_STATE = 7
# How long the driver waits, after sysprep exited 0, for Windows to report the image generalized.
GENERALIZED_STATE_WAIT_SECONDS = 300
# How long the driver retries a marker: the identity's role assignment can take minutes to reach the storage service.
MARKER_WRITE_MINUTES = 10

# Azure: custom data is at most 65,535 bytes (before base64). Unattend content: each under 4 KB.
CUSTOM_DATA_MAX_BYTES = 65535
UNATTEND_CONTENT_MAX_BYTES = 4096

# The unattend content the VM API accepts (Microsoft.Compute 2024-11-01, AdditionalUnattendContent): these are its
# only allowed pass and component names; the settings are AutoLogon and FirstLogonCommands.
PASS_NAME = "OobeSystem"
COMPONENT_NAME = "Microsoft-Windows-Shell-Setup"
AUTO_LOGON = "AutoLogon"
FIRST_LOGON_COMMANDS = "FirstLogonCommands"

FIRST_LOGON_COMMAND = (
    f"cmd /c copy /y {CUSTOM_DATA_PATH} {DRIVER_PATH} && "
    f"powershell.exe -NoProfile -NoExit -ExecutionPolicy Bypass -File {DRIVER_PATH}"
)

DRIVER_TEMPLATE = Path(__file__).resolve().parents[1] / "image" / "build-driver.ps1"
_PLACEHOLDER = re.compile(r"'__([A-Z0-9_]+)__'")


def render_driver(setup_script: str, image_version: str) -> str:
    """The PowerShell driver the VM gets as custom data (plain text; the VM takes it base64-encoded): the template
    image/build-driver.ps1 with each '__NAME__' string replaced by its value, quoted for a single-quoted PowerShell
    string. The build-proof container URL and the identity's client id stay proof tokens (components/common/proof.py)
    until components/builder.py fills them in."""
    values = {
        "PREFIX": PREFIX,
        "WORK_DIR": WORK_DIR,
        "SETUP_PATH": SETUP_PATH,
        "SETUP_LOG": SETUP_LOG,
        # With a BOM: Windows PowerShell 5.1 reads a .ps1 file without one in the ANSI code page.
        "SETUP_B64": base64.b64encode(setup_script.encode("utf-8-sig")).decode(),
        "IMAGE_VERSION": image_version,
        "START_FAILED": DRIVER_START_FAILED,
        "SETUP_FAILED": SETUP_FAILED,
        "PRE_SYSPREP_FAILED": PRE_SYSPREP_FAILED,
        "SYSPREP_FAILED": SYSPREP_FAILED,
        "SYSPREP_LOG": SYSPREP_LOG,
        "CUSTOM_DATA_PATH": CUSTOM_DATA_PATH,
        "DRIVER_PATH": DRIVER_PATH,
        "IMDS_VM_ID": IMDS_VM_ID,
        "IMDS_TOKEN": imds_token_url(CLIENT_ID_TOKEN),
        "PROOF_URL": PROOF_URL_TOKEN,
        "BLOB_API_VERSION": BLOB_API_VERSION,
        "GENERALIZED_STATE_WAIT": str(GENERALIZED_STATE_WAIT_SECONDS),
        "GENERALIZED_IMAGE_STATE": GENERALIZED_IMAGE_STATE,
        "GENERALIZED_SYSPREP_STATE": str(GENERALIZED_SYSPREP_STATE),
        "MARKER_WRITE_MINUTES": str(MARKER_WRITE_MINUTES),
    }
    template = DRIVER_TEMPLATE.read_text(encoding="utf-8")
    wanted = set(_PLACEHOLDER.findall(template))
    if wanted != set(values):  # pragma: no cover - the template and this table change together (tested)
        raise ValueError(f"{DRIVER_TEMPLATE.name} and render_driver disagree on {sorted(wanted ^ set(values))}")
    driver = _PLACEHOLDER.sub(lambda match: ps_single_quoted(values[match.group(1)]), template)
    if len(driver.encode()) > CUSTOM_DATA_MAX_BYTES:
        raise ValueError(
            f"the Windows setup script makes custom data of {len(driver.encode())} bytes; Azure allows "
            f"{CUSTOM_DATA_MAX_BYTES} (the setup script is embedded base64-encoded: keep it under about 45 KB, and "
            "download larger payloads from the script)"
        )
    return driver


def ps_single_quoted(value: str) -> str:
    """A PowerShell single-quoted string literal: nothing in it is expanded, and a quote is written twice."""
    return "'" + value.replace("'", "''") + "'"


def auto_logon_content(username: str, password: str) -> str:
    """AutoLogon of the admin account, what starts FirstLogonCommands; LogonCount 1 may still allow a second logon
    (a documented Windows issue), so the driver turns AutoLogon off first thing. Holds the password: secret."""
    root = ET.Element(AUTO_LOGON)
    ET.SubElement(ET.SubElement(root, "Password"), "Value").text = password
    ET.SubElement(root, "Enabled").text = "true"
    ET.SubElement(root, "LogonCount").text = "1"
    ET.SubElement(root, "Username").text = username
    return ET.tostring(root, encoding="unicode")


def first_logon_commands_content() -> str:
    """FirstLogonCommands with the single command that runs the driver (Order values count from 1)."""
    root = ET.Element(FIRST_LOGON_COMMANDS)
    for order, (command, description) in enumerate([(FIRST_LOGON_COMMAND, "batch-image build driver")], start=1):
        entry = ET.SubElement(root, "SynchronousCommand")
        ET.SubElement(entry, "CommandLine").text = command
        ET.SubElement(entry, "Description").text = description
        ET.SubElement(entry, "Order").text = str(order)
    content = ET.tostring(root, encoding="unicode")
    if len(content.encode()) >= UNATTEND_CONTENT_MAX_BYTES:  # pragma: no cover - fixed text, tested
        raise ValueError("FirstLogonCommands content must stay under 4 KB")
    return content
