# batch-image build driver: run once at the Windows builder's first logon (components/windows_setup.py).
# components/windows_setup.py render_driver fills in the single-quoted placeholder values below (with the setup script
# inside) and components/builder.py the build-proof container URL and the identity's client id; nothing else changes.
# The proof goes to the image storage account, not to COM1 (components/common/proof.py): Azure's Windows Server
# images give COM1 to the Special Administration Console, so the serial port is written only as a diagnostic.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$Prefix = '__PREFIX__'
$WorkDir = '__WORK_DIR__'
$SetupPath = '__SETUP_PATH__'
$SetupLog = '__SETUP_LOG__'
$SetupBase64 = '__SETUP_B64__'
$ImageVersion = '__IMAGE_VERSION__'
$StartFailed = '__START_FAILED__'
$SetupFailed = '__SETUP_FAILED__'
$PreSysprepFailed = '__PRE_SYSPREP_FAILED__'
$SysprepFailed = '__SYSPREP_FAILED__'
$SysprepLog = '__SYSPREP_LOG__'
$CustomDataPath = '__CUSTOM_DATA_PATH__'
$DriverPath = '__DRIVER_PATH__'
$ImdsVmIdUrl = '__IMDS_VM_ID__'
$ImdsTokenUrl = '__IMDS_TOKEN__'
$ProofUrl = '__PROOF_URL__'
$BlobApiVersion = '__BLOB_API_VERSION__'
$GeneralizedStateWaitSeconds = [int]'__GENERALIZED_STATE_WAIT__'
$GeneralizedImageState = '__GENERALIZED_IMAGE_STATE__'
$GeneralizedSysprepState = [int]'__GENERALIZED_SYSPREP_STATE__'
$MarkerWriteMinutes = [int]'__MARKER_WRITE_MINUTES__'
$script:VmId = ''

function Write-Serial([string]$Line) {
    # A diagnostic only: COM1 may be held by the Special Administration Console (or missing); never the proof.
    try {
        $port = New-Object System.IO.Ports.SerialPort 'COM1', 115200, 'None', 8, 'One'
        $port.WriteTimeout = 10000
        try { $port.Open(); $port.WriteLine($Line) } finally { $port.Dispose() }
    } catch {
        Write-Verbose "COM1 unavailable: $($_.Exception.Message)"
    }
}

function Write-Console([string]$Line) {
    Write-Host $Line  # this window: shown in the boot diagnostics screenshot
    Write-Serial $Line
}

function Get-VmId() {
    # The VM's vmId, the proof's per-VM nonce: the same id the capture step reads from the VM's ARM resource.
    foreach ($attempt in 1..5) {
        try {
            $id = Invoke-RestMethod -Headers @{ Metadata = 'true' } -UseBasicParsing -TimeoutSec 10 -Uri $ImdsVmIdUrl
            if ("$id".Trim()) { return "$id".Trim().ToLowerInvariant() }
        } catch { Start-Sleep -Seconds 5 }
    }
    throw 'the instance metadata service gave no vmId'
}

function Write-Marker([string]$Phase, [string]$Body) {
    # Put Blob <proof container><vmId>/<phase> with a token of the builder's identity from the instance metadata
    # service. Retried for a while: the identity's role can take minutes to reach the storage service.
    $deadline = (Get-Date).AddMinutes($MarkerWriteMinutes)
    while ($true) {
        try {
            $imds = Invoke-RestMethod -Headers @{ Metadata = 'true' } -UseBasicParsing -TimeoutSec 10 -Uri $ImdsTokenUrl
            $headers = @{
                'x-ms-blob-type' = 'BlockBlob'
                'x-ms-version'   = $BlobApiVersion
                'Authorization'  = "Bearer $($imds.access_token)"
            }
            Invoke-RestMethod -Method Put -Headers $headers -ContentType 'text/plain; charset=utf-8' -UseBasicParsing `
                -TimeoutSec 30 -Uri "$ProofUrl$($script:VmId)/$Phase" -Body ([Text.Encoding]::UTF8.GetBytes($Body)) |
                Out-Null
            return
        } catch {
            if ((Get-Date) -gt $deadline) {
                throw "the $Phase marker could not be written to ${ProofUrl}: $($_.Exception.Message)"
            }
            Start-Sleep -Seconds 15
        }
    }
}

function Stop-WithFailure([string]$Line, [string]$Log, [switch]$NoMarker) {
    Stop-Process -Name ServerManager -Force -ErrorAction SilentlyContinue  # keep this window in the screenshot
    $lines = @($Line)
    if ($Log) {
        $lines = @("${Line}; last lines of ${Log}:")
        if (Test-Path $Log) { $lines += @(Get-Content $Log -Tail 40) }
    }
    foreach ($text in $lines) { Write-Console $text }
    if (-not $NoMarker) {
        # The failed marker stops the capture step at once, with these lines.
        try {
            if (-not $script:VmId) { $script:VmId = Get-VmId }
            Write-Marker 'failed' ((@("$Prefix failed vm $($script:VmId)") + $lines) -join "`n")
        } catch {
            Write-Console "$Prefix the failure could not be written as a build-proof marker: $($_.Exception.Message)"
        }
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
    # Azure Storage takes TLS 1.2 at least; Windows PowerShell 5.1 on older .NET may not offer it by default.
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor `
        [Net.SecurityProtocolType]::Tls12
    $script:VmId = Get-VmId
    Write-Console "$Prefix build driver started on vm $($script:VmId)"
} catch {
    Stop-WithFailure "${StartFailed}: $($_.Exception.Message)"
}

try {
    New-Item -ItemType Directory -Force -Path $WorkDir | Out-Null
    [IO.File]::WriteAllBytes($SetupPath, [Convert]::FromBase64String($SetupBase64))
    $env:BATCH_IMAGE_VERSION = $ImageVersion
    # cmd redirects the output: Windows PowerShell would turn a native command's stderr into errors under 'Stop'.
    & cmd.exe /c "powershell.exe -NoProfile -ExecutionPolicy Bypass -File $SetupPath > $SetupLog 2>&1"
    $setupExit = $LASTEXITCODE
} catch {
    Add-Content -Path $SetupLog -Value "driver: $($_.Exception.Message)"
    $setupExit = -1
}
if ($setupExit -ne 0) { Stop-WithFailure "$SetupFailed (exit code $setupExit)" $SetupLog }

try {
    # The proof's path is checked before sysprep: a guest that cannot write its markers does not generalize itself.
    Write-Marker 'setup-done' "$Prefix setup-done vm $($script:VmId)"
} catch {
    Stop-WithFailure "${PreSysprepFailed}: $($_.Exception.Message)" -NoMarker
}

try {
    $agentDeadline = (Get-Date).AddMinutes(10)
    foreach ($service in 'RdAgent', 'WindowsAzureGuestAgent') {
        # Packer waits for the guest agent before sysprep; without it the VM agent in the image is incomplete.
        while ((Get-Service -Name $service -ErrorAction SilentlyContinue).Status -ne 'Running') {
            if ((Get-Date) -gt $agentDeadline) { throw "the $service service is not running" }
            Start-Sleep -Seconds 5
        }
    }
    Write-Console "$Prefix setup done; running sysprep"
} catch {
    Stop-WithFailure "${PreSysprepFailed}: $($_.Exception.Message)"
}

try {
    # What must not reach the image: the unattend files (they hold the AutoLogon password) and the build files.
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue "$env:SystemRoot\Panther"
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $WorkDir, $CustomDataPath, $DriverPath
    $sysprep = Start-Process -FilePath "$env:SystemRoot\System32\Sysprep\Sysprep.exe" -Wait -PassThru `
        -ArgumentList '/generalize', '/oobe', '/quiet', '/quit', '/mode:vm'
    if ($sysprep.ExitCode -ne 0) { throw "sysprep exit code $($sysprep.ExitCode)" }
    # Only ImageState proves generalization; GeneralizationState 7 is also its value before any sysprep.
    $deadline = (Get-Date).AddSeconds($GeneralizedStateWaitSeconds)
    do {
        Start-Sleep -Seconds 5
        $imageState = (Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\State').ImageState
        $generalization = (Get-ItemProperty 'HKLM:\SYSTEM\Setup\Status\SysprepStatus').GeneralizationState
        $done = $imageState -eq $GeneralizedImageState -and $generalization -eq $GeneralizedSysprepState
    } until ($done -or (Get-Date) -gt $deadline)
    if (-not $done) {
        throw "sysprep exit code $($sysprep.ExitCode), ImageState $imageState, GeneralizationState $generalization"
    }
} catch {
    Write-Console "${SysprepFailed}: $($_.Exception.Message)"
    Stop-WithFailure $SysprepFailed $SysprepLog
}

try {
    # The proof: written only once Windows reports the image generalized, then the VM powers itself off.
    $proof = "$Prefix sysprep generalized vm $($script:VmId)"
    Write-Marker 'generalized' "$Prefix generalized vm $($script:VmId)`n$proof`n"
    Write-Console $proof
} catch {
    Stop-WithFailure "$Prefix the proof could not be written ($($_.Exception.Message)); rebuild the VM" -NoMarker
}
Stop-Computer -Force
