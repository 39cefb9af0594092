#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests and packages KubePS for people who have PowerShell. CI does not need it: `dotnet build` and
    `dotnet test` do everything without PowerShell.
.EXAMPLE
    ./build.ps1                 # build the module into out/KubePS
.EXAMPLE
    ./build.ps1 -Task Test      # build, then run every test
.EXAMPLE
    ./build.ps1 -Task Package   # build Release and write out/packages/KubePS.<version>.nupkg for Publish-Module/Install-Module
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Import')]
    [string] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug'
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$module = Join-Path $PSScriptRoot 'out/KubePS'

function Invoke-Dotnet { dotnet @args; if ($LASTEXITCODE) { throw "dotnet $($args -join ' ') failed ($LASTEXITCODE)" } }

switch ($Task) {
    'Build' { Invoke-Dotnet build KubePS.sln -c $Configuration }
    'Test' { Invoke-Dotnet build KubePS.sln -c $Configuration; Invoke-Dotnet test KubePS.sln -c $Configuration --no-build }
    'Import' {
        Invoke-Dotnet build KubePS.sln -c $Configuration
        Import-Module (Join-Path $module 'KubePS.psd1') -Force -PassThru
    }
    'Package' {
        Invoke-Dotnet build KubePS.sln -c Release
        $manifest = Test-ModuleManifest (Join-Path $module 'KubePS.psd1')
        $feed = Join-Path $PSScriptRoot 'out/packages'
        New-Item -ItemType Directory -Force $feed | Out-Null
        # A local file repository: Publish-Module writes KubePS.<version>.nupkg there, which Install-Module and
        # Publish-Module -Repository PSGallery accept.
        if (-not (Get-PSRepository -Name KubePSLocal -ErrorAction SilentlyContinue)) {
            Register-PSRepository -Name KubePSLocal -SourceLocation $feed -PublishLocation $feed -InstallationPolicy Trusted
        }
        Publish-Module -Path $module -Repository KubePSLocal -Force
        Get-ChildItem $feed -Filter "KubePS.$($manifest.Version)*.nupkg"
    }
}
