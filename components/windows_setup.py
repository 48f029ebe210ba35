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
3. The driver first stops Server Manager (its window would cover the driver's in the boot diagnostics screenshot),
   turns AutoLogon off (AutoLogonCount 0, AutoAdminLogon 0) and removes the AutoLogon password from the registry,
   then writes its start line to the serial console COM1. If COM1 cannot be opened or written (Azure's Special
   Administration Console can hold it), it stops there, before the setup script and sysprep: the proof could not
   reach the serial log, and a guest that generalized itself without it would be refused by the capture step.
4. It writes the setup script to disk (UTF-8 with a BOM, which Windows PowerShell 5.1 needs to read non-ASCII text)
   and runs it with `BATCH_IMAGE_VERSION` set (the script writes the version marker `C:\\batch-image\\VERSION`). It
   then reads the VM's vmId from the instance metadata service and waits for the guest agent, writes the line before
   sysprep to COM1 (a failed write stops it), removes the unattend files (C:\\Windows\\Panther, which Azure documents
   to delete before sysprep) and its own files, and runs `sysprep /generalize /oobe /quiet /quit /mode:vm`, as
   Packer does.
5. Only when sysprep exited 0 and Windows reports the image generalized (ImageState
   IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE, the proof; GeneralizationState 7 is checked too but is also the value
   before any sysprep) does the driver print the proof line (components/common/console.py) to COM1 and power the VM
   off. With `/shutdown` instead of `/quit` nothing could run after sysprep, so a guest that powered off could not
   say whether sysprep succeeded; here the proof line is written after the check.
6. On any failure the driver prints its phase's failure line (and the log's last lines, if the phase has a log) to
   COM1 and to its console window, then sleeps forever rather than exit, so the window stays on screen for the boot
   diagnostics screenshot and the VM stays running (not generalized when the failure came before sysprep). The
   capture step sees the failure line in the serial log and stops with that tail; when COM1 was unusable it sees
   nothing and runs into its guest timeout (image.builder.guestTimeoutMinutes).
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

from components.common.console import (
    DRIVER_START_FAILED,
    PRE_SYSPREP_FAILED,
    PREFIX,
    SETUP_FAILED,
    SYSPREP_FAILED,
    WINDOWS_SETUP_LOG,
    WINDOWS_SYSPREP_LOG,
    sysprep_generalized_line,
)

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
DRIVER_STARTED = f"{PREFIX} build driver started"  # the driver's first line, its check that COM1 can be written

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

_DRIVER = r"""# batch-image build driver (components/windows_setup.py): run once at the builder's first logon.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Write-Serial([string]$Line) {
    # Throws when COM1 cannot be opened (e.g. the Special Administration Console holds it) or written within 10 s.
    $port = New-Object System.IO.Ports.SerialPort 'COM1', 115200, 'None', 8, 'One'
    $port.WriteTimeout = 10000
    try { $port.Open(); $port.WriteLine($Line) } finally { $port.Dispose() }
}

function Write-Console([string]$Line, [switch]$Required) {
    Write-Host $Line  # this window: shown in the boot diagnostics screenshot
    try { Write-Serial $Line } catch {
        if ($Required) { throw }  # a line the capture step needs: never swallowed
        Write-Host "__PREFIX__ COM1 unavailable: $($_.Exception.Message)"
    }
}

function Stop-WithFailure([string]$Line, [string]$Log) {
    Stop-Process -Name ServerManager -Force -ErrorAction SilentlyContinue  # keep this window in the screenshot
    if (-not $Log) { Write-Console $Line } else {
        Write-Console "${Line}; last lines of ${Log}:"
        if (Test-Path $Log) { Get-Content $Log -Tail 40 | ForEach-Object { Write-Console $_ } }
    }
    Write-Host 'The VM stays running for inspection; this window stays open.'
    while ($true) { Start-Sleep -Seconds 3600 }  # no exit: it could close this window
}

try {
    Stop-Process -Name ServerManager -Force -ErrorAction SilentlyContinue
    # AutoLogon off before anything else (LogonCount 1 can log on twice) and its password out of the registry.
    $winlogon = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'
    Set-ItemProperty -Path $winlogon -Name AutoLogonCount -Value 0 -Type DWord
    Set-ItemProperty -Path $winlogon -Name AutoAdminLogon -Value '0'
    Remove-ItemProperty -Path $winlogon -Name DefaultPassword -ErrorAction SilentlyContinue
} catch {
    Stop-WithFailure "__START_FAILED__: $($_.Exception.Message)"
}
try {
    # The proof goes to COM1: a guest that cannot write it must not generalize itself.
    Write-Console '__STARTED__' -Required
} catch {
    Stop-WithFailure "__START_FAILED__: COM1 cannot be written ($($_.Exception.Message)); sysprep will not run"
}

try {
    New-Item -ItemType Directory -Force -Path '__WORK_DIR__' | Out-Null
    [IO.File]::WriteAllBytes('__SETUP_PATH__', [Convert]::FromBase64String('__SETUP_B64__'))
    $env:BATCH_IMAGE_VERSION = '__IMAGE_VERSION__'
    # cmd redirects the output: Windows PowerShell would turn a native command's stderr into errors under 'Stop'.
    & cmd.exe /c "powershell.exe -NoProfile -ExecutionPolicy Bypass -File __SETUP_PATH__ > __SETUP_LOG__ 2>&1"
    $setupExit = $LASTEXITCODE
} catch {
    Add-Content -Path '__SETUP_LOG__' -Value "driver: $($_.Exception.Message)"
    $setupExit = -1
}
if ($setupExit -ne 0) { Stop-WithFailure "__SETUP_FAILED__ (exit code $setupExit)" '__SETUP_LOG__' }

try {
    $vmId = ''
    foreach ($attempt in 1..5) {
        try {
            $vmId = Invoke-RestMethod -Headers @{ Metadata = 'true' } -UseBasicParsing -TimeoutSec 10 `
                -Uri '__IMDS_VM_ID__'
            break
        } catch { Start-Sleep -Seconds 5 }
    }
    if (-not $vmId) { throw 'the instance metadata service gave no vmId' }
    $vmId = "$vmId".Trim().ToLowerInvariant()
    $agentDeadline = (Get-Date).AddMinutes(10)
    foreach ($service in 'RdAgent', 'WindowsAzureGuestAgent') {
        # Packer waits for the guest agent before sysprep; without it the VM agent in the image is incomplete.
        while ((Get-Service -Name $service -ErrorAction SilentlyContinue).Status -ne 'Running') {
            if ((Get-Date) -gt $agentDeadline) { throw "the $service service is not running" }
            Start-Sleep -Seconds 5
        }
    }
    Write-Console '__PREFIX__ setup done; running sysprep' -Required
} catch {
    Stop-WithFailure "__PRE_SYSPREP_FAILED__: $($_.Exception.Message)"
}

try {
    # What must not reach the image: the unattend files (they hold the AutoLogon password) and the build files.
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue "$env:SystemRoot\Panther"
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue '__WORK_DIR__', '__CUSTOM_DATA_PATH__', '__DRIVER_PATH__'
    $sysprep = Start-Process -FilePath "$env:SystemRoot\System32\Sysprep\Sysprep.exe" -Wait -PassThru `
        -ArgumentList '/generalize', '/oobe', '/quiet', '/quit', '/mode:vm'
    if ($sysprep.ExitCode -ne 0) { throw "sysprep exit code $($sysprep.ExitCode)" }
    # Only ImageState proves generalization; GeneralizationState 7 is also its value before any sysprep.
    $deadline = (Get-Date).AddSeconds(__GENERALIZED_STATE_WAIT__)
    do {
        Start-Sleep -Seconds 5
        $imageState = (Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\State').ImageState
        $generalization = (Get-ItemProperty 'HKLM:\SYSTEM\Setup\Status\SysprepStatus').GeneralizationState
        $done = $imageState -eq '__GENERALIZED_IMAGE_STATE__' -and $generalization -eq __GENERALIZED_SYSPREP_STATE__
    } until ($done -or (Get-Date) -gt $deadline)
    if (-not $done) {
        throw "sysprep exit code $($sysprep.ExitCode), ImageState $imageState, GeneralizationState $generalization"
    }
} catch {
    Write-Console "__SYSPREP_FAILED__: $($_.Exception.Message)"
    Stop-WithFailure '__SYSPREP_FAILED__' '__SYSPREP_LOG__'
}
try {
    Write-Console "__PROOF__" -Required
} catch {
    Stop-WithFailure "__PREFIX__ the proof could not be written to COM1 ($($_.Exception.Message)); rebuild the VM"
}
Stop-Computer -Force
"""


def render_driver(setup_script: str, image_version: str) -> str:
    """The PowerShell driver the VM gets as custom data (plain text; the VM takes it base64-encoded)."""
    values = {
        "__PREFIX__": PREFIX,
        "__WORK_DIR__": WORK_DIR,
        "__SETUP_PATH__": SETUP_PATH,
        "__SETUP_LOG__": SETUP_LOG,
        # With a BOM: Windows PowerShell 5.1 reads a .ps1 file without one in the ANSI code page.
        "__SETUP_B64__": base64.b64encode(setup_script.encode("utf-8-sig")).decode(),
        "__IMAGE_VERSION__": image_version,
        "__START_FAILED__": DRIVER_START_FAILED,
        "__STARTED__": DRIVER_STARTED,
        "__SETUP_FAILED__": SETUP_FAILED,
        "__PRE_SYSPREP_FAILED__": PRE_SYSPREP_FAILED,
        "__SYSPREP_FAILED__": SYSPREP_FAILED,
        "__SYSPREP_LOG__": SYSPREP_LOG,
        "__IMDS_VM_ID__": IMDS_VM_ID,
        "__CUSTOM_DATA_PATH__": CUSTOM_DATA_PATH,
        "__DRIVER_PATH__": DRIVER_PATH,
        "__GENERALIZED_STATE_WAIT__": str(GENERALIZED_STATE_WAIT_SECONDS),
        "__GENERALIZED_IMAGE_STATE__": GENERALIZED_IMAGE_STATE,
        "__GENERALIZED_SYSPREP_STATE__": str(GENERALIZED_SYSPREP_STATE),
        "__PROOF__": sysprep_generalized_line("$vmId"),
    }
    driver = _DRIVER
    for placeholder, value in values.items():
        driver = driver.replace(placeholder, value)
    if len(driver.encode()) > CUSTOM_DATA_MAX_BYTES:
        raise ValueError(
            f"the Windows setup script makes custom data of {len(driver.encode())} bytes; Azure allows "
            f"{CUSTOM_DATA_MAX_BYTES} (the setup script is embedded base64-encoded: keep it under about 45 KB, and "
            "download larger payloads from the script)"
        )
    return driver


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
