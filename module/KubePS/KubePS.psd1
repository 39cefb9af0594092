@{
    RootModule           = 'KubePS.dll'
    # Imported first: puts KubePS.Core and YamlDotNet in a private load context before PowerShell scans KubePS.dll.
    NestedModules        = @('KubePS.Loader.dll')
    # Stamped at build time from Directory.Build.props (KubePSVersion), the only place the version is kept.
    ModuleVersion        = '$KubePSVersion$'
    GUID                 = '5b0f6c2e-8a4d-4f0e-9a63-2d7c1e4b9f21'
    Author               = 'KubePS developers'
    CompanyName          = 'KubePS'
    Copyright            = '(c) KubePS developers. Apache License 2.0.'
    Description          = 'kubeadm as PowerShell cmdlets: certificates, kubeconfigs, preflight, node preparation, init, join, upgrade and reset of Kubernetes clusters over SSH, with typed objects that pipe into each other.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('KubePS.format.ps1xml')
    CmdletsToExport      = @(
        'Get-KubeImage'
        'New-KubeClusterConfiguration'
        'Import-KubeadmConfiguration'
        'Export-KubeadmConfiguration'
        'Get-KubeNodeInfo'
        'Install-KubeContainerRuntime'
        'Install-KubeNodePrerequisite'
        'Install-KubePackage'
        'Invoke-KubePreflight'
        'Save-KubeImage'
        'New-KubeNodeSession'
        'Get-KubeNodeSession'
        'Remove-KubeNodeSession'
        'Invoke-KubeNodeCommand'
        'New-KubeBootstrapToken'
        'Get-KubeBootstrapToken'
        'Remove-KubeBootstrapToken'
        'Get-KubeJoinCommand'
        'Publish-KubeControlPlaneCertificate'
        'Join-KubeNode'
        'New-KubeCA'
        'New-KubeCertificate'
        'New-KubePki'
        'Export-KubePki'
        'Import-KubePki'
        'Get-KubeCertificate'
        'Get-KubeCACertHash'
        'New-KubeConfig'
        'Import-KubeConfig'
        'Update-KubeCertificate'
        'Get-KubeNode'
        'Suspend-KubeNode'
        'Resume-KubeNode'
        'Reset-KubeNode'
        'Install-KubeNetworkPlugin'
        'Get-KubeUpgradePlan'
        'Update-KubeCluster'
        'Initialize-KubeControlPlane'
        'Connect-KubeCluster'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Kubernetes', 'kubeadm', 'k8s', 'SSH', 'PKI', 'Linux', 'PSEdition_Core')
            LicenseUri   = 'https://www.apache.org/licenses/LICENSE-2.0'
            ProjectUri   = 'https://github.com/kubeps/kubeps'
            ReleaseNotes = 'See README.md.'
        }
    }
}
