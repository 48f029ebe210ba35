"""The Windows builder's setup without extensions: custom data + unattend content run it at the first logon.

The Linux builder's counterpart is components/cloud_init.py. No VM extension is involved, and nothing listens for
RDP or WinRM. The sequence on the guest:

1. Azure writes the custom data (the driver script rendered here, with the setup script inside it) to
   `C:\\AzureData\\CustomData.bin`; it never runs it.
2. `osProfile.windowsConfiguration.additionalUnattendContent` adds to the oobeSystem pass of Windows Setup an
   AutoLogon of the builder's admin account, once (LogonCount 1), and one FirstLogonCommands command that copies the
   custom data to a .ps1 file and runs it with PowerShell. One command on purpose: Windows now starts
   FirstLogonCommands side by side rather than one after the other, so a second command could not rely on the first.
3. The driver writes the setup script to disk and runs it with `BATCH_IMAGE_VERSION` set (the script writes the
   version marker `C:\\batch-image\\VERSION`). It then reads the VM's vmId from the instance metadata service, removes
   the AutoLogon password from the registry, the unattend files (C:\\Windows\\Panther, which Azure documents to delete
   before sysprep) and its own files, and runs `sysprep /generalize /oobe /quiet /quit /mode:vm`, as Packer does.
4. Only when sysprep reports the image generalized (ImageState IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE and
   GeneralizationState 7) does the driver print the proof line (components/common/console.py) to the serial console
   COM1 and power the VM off. With `/shutdown` instead of `/quit` nothing could run after sysprep, so a guest that
   powered off could not say whether sysprep succeeded; here the proof line is written after the check.
5. On any failure the driver prints the failure line and the log's last lines to COM1 and to its console window
   (kept open: the boot diagnostics screenshot shows it) and leaves the VM running. The capture step sees the failure
   line in the serial log and stops with that tail.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

from components.common.console import (
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
GENERALIZED_SYSPREP_STATE = 7  # HKLM\SYSTEM\Setup\Status\SysprepStatus GeneralizationState after /generalize
SYSPREP_TIMEOUT_SECONDS = 1800

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

function Write-Console([string]$Line) {
    Write-Host $Line  # this window: shown in the boot diagnostics screenshot
    try {
        $port = New-Object System.IO.Ports.SerialPort 'COM1', 115200, 'None', 8, 'One'
        $port.Open()
        $port.WriteLine($Line)
        $port.Close()
    } catch {
        Write-Host "__PREFIX__ COM1 unavailable: $($_.Exception.Message)"
    }
}

function Stop-WithFailure([string]$Line, [string]$Log) {
    Write-Console "${Line}; last lines of ${Log}:"
    if (Test-Path $Log) { Get-Content $Log -Tail 40 | ForEach-Object { Write-Console $_ } }
    exit 1  # the VM stays running for inspection
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
    Write-Console '__PREFIX__ setup done; running sysprep'
    # What must not reach the image: the AutoLogon password Windows Setup stored, the unattend files, the build files.
    $winlogon = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'
    Remove-ItemProperty -Path $winlogon -Name DefaultPassword -ErrorAction SilentlyContinue
    Set-ItemProperty -Path $winlogon -Name AutoAdminLogon -Value '0'
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue "$env:SystemRoot\Panther"
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue '__WORK_DIR__', '__CUSTOM_DATA_PATH__', '__DRIVER_PATH__'
    $sysprep = Start-Process -FilePath "$env:SystemRoot\System32\Sysprep\Sysprep.exe" -Wait -PassThru `
        -ArgumentList '/generalize', '/oobe', '/quiet', '/quit', '/mode:vm'
    $deadline = (Get-Date).AddSeconds(__SYSPREP_TIMEOUT__)
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
Write-Console "__PROOF__"
Stop-Computer -Force
"""


def render_driver(setup_script: str, image_version: str) -> str:
    """The PowerShell driver the VM gets as custom data (plain text; the VM takes it base64-encoded)."""
    values = {
        "__PREFIX__": PREFIX,
        "__WORK_DIR__": WORK_DIR,
        "__SETUP_PATH__": SETUP_PATH,
        "__SETUP_LOG__": SETUP_LOG,
        "__SETUP_B64__": base64.b64encode(setup_script.encode()).decode(),
        "__IMAGE_VERSION__": image_version,
        "__SETUP_FAILED__": SETUP_FAILED,
        "__SYSPREP_FAILED__": SYSPREP_FAILED,
        "__SYSPREP_LOG__": SYSPREP_LOG,
        "__IMDS_VM_ID__": IMDS_VM_ID,
        "__CUSTOM_DATA_PATH__": CUSTOM_DATA_PATH,
        "__DRIVER_PATH__": DRIVER_PATH,
        "__SYSPREP_TIMEOUT__": str(SYSPREP_TIMEOUT_SECONDS),
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
    """AutoLogon for one logon of the admin account: what starts FirstLogonCommands. Holds the password: secret."""
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
