# Default setup script for the Windows image builder VM.
#
# The build driver (components/windows_setup.py) writes this file to C:\batch-image-build\setup.ps1 and runs it
# once, at the builder's first logon, as its administrator, with BATCH_IMAGE_VERSION set to the gallery image
# version being built. After it exits 0 the driver runs sysprep (generalize, OOBE) and powers the VM off; this
# script must therefore never run sysprep, restart or shut down the VM by itself. A non-zero exit code stops the
# build: the driver prints the failure and this script's output to the serial console and leaves the VM running.
#
# What it bakes into the image:
#   - a small reference dataset with a SHA-256 manifest under C:\batch-image\data;
#   - the marker C:\batch-image\VERSION holding the image version.
#
# Replace it with your own script through the config key image.builder.setupScript (a .ps1 file). Install what
# your tasks need here (Windows features, MSI packages downloaded over HTTPS: the builder has outbound internet
# through a NAT gateway and no inbound access). Keep the marker if you want to verify which image a node booted
# from.
#
# ROOT (default C:\) is the directory everything is written under; it exists for trying the script elsewhere.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = if ($env:ROOT) { $env:ROOT } else { 'C:\' }
$ImageRoot = Join-Path $Root 'batch-image'
$ExConfig = 78 # sysexits.h EX_CONFIG: BATCH_IMAGE_VERSION missing or malformed
# The gallery image version rule, as in components/common/image_version.py (tests check that the two agree).
$ImageVersionPattern = '^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$'

function Write-Log([string]$Message) {
    Write-Output "batch-image setup: $Message"
}

function Assert-ImageVersion {
    $version = $env:BATCH_IMAGE_VERSION
    if (-not $version) {
        [Console]::Error.WriteLine('batch-image setup: error: BATCH_IMAGE_VERSION is not set; the build driver ' +
            'passes the gallery image version (image.version, e.g. 1.0.0) when it runs this script')
        exit $ExConfig
    }
    if ($version -cnotmatch $ImageVersionPattern) {
        [Console]::Error.WriteLine("batch-image setup: error: BATCH_IMAGE_VERSION='$version' is not a gallery " +
            'image version; expected MAJOR.MINOR.PATCH, e.g. 1.0.0')
        exit $ExConfig
    }
}

function Write-ReferenceData {
    $dataDir = Join-Path $ImageRoot 'data'
    Write-Log "writing reference data to $dataDir"
    New-Item -ItemType Directory -Force -Path $dataDir | Out-Null
    # A small lookup table standing in for the data a real workload needs on every node.
    $regions = @(
        'region,display_name,geography'
        'westeurope,West Europe,Europe'
        'northeurope,North Europe,Europe'
        'eastus,East US,United States'
        'westus2,West US 2,United States'
        'southeastasia,Southeast Asia,Asia Pacific'
    )
    Set-Content -Path (Join-Path $dataDir 'regions.csv') -Value $regions -Encoding ascii
    Set-Content -Path (Join-Path $dataDir 'README') -Encoding ascii -Value @(
        'Reference data baked into the Batch node image by image/setup.ps1.'
        'Verify it on a node: compare Get-FileHash -Algorithm SHA256 with SHA256SUMS in this directory.'
    )
    $sums = foreach ($name in 'regions.csv', 'README') {
        $hash = Get-FileHash -Algorithm SHA256 -Path (Join-Path $dataDir $name)
        '{0}  {1}' -f $hash.Hash.ToLowerInvariant(), $name
    }
    Set-Content -Path (Join-Path $dataDir 'SHA256SUMS') -Value $sums -Encoding ascii
}

function Write-Marker {
    New-Item -ItemType Directory -Force -Path $ImageRoot | Out-Null
    Set-Content -Path (Join-Path $ImageRoot 'VERSION') -Value $env:BATCH_IMAGE_VERSION -Encoding ascii
    Write-Log "wrote marker $(Join-Path $ImageRoot 'VERSION') ($env:BATCH_IMAGE_VERSION)"
}

function Clear-ForSysprep {
    Write-Log 'clearing temporary files'
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue (Join-Path $env:TEMP '*')
}

Assert-ImageVersion
Write-ReferenceData
Write-Marker
Clear-ForSysprep
Write-Log 'done; the build driver runs sysprep and powers the VM off next'
exit 0
