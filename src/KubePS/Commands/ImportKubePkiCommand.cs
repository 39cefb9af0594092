using System.Management.Automation;
using KubePS.Core.Pki;

namespace KubePS.Commands;

/// <summary>Reads a node's certificates folder (e.g. /etc/kubernetes/pki) into a certificate set.</summary>
/// <remarks>
/// <para>Import-KubePki loads every kubeadm certificate found in the folder (ca, apiserver, ..., etcd/*), with its key where the key file exists, and sa.key/sa.pub. Keys may be PKCS#1 (RSA PRIVATE KEY), SEC1 (EC PRIVATE KEY) or PKCS#8 (PRIVATE KEY). A CA without its key marks external CA mode.</para>
/// <para>The set can be piped to Export-KubePki (e.g. a backup) or used with New-KubeConfig and Get-KubeCACertHash. Use New-KubePki -Path to check the files against a node's configuration.</para>
/// </remarks>
/// <example>
/// <code>Import-KubePki -Path /etc/kubernetes/pki | Get-KubeCACertHash</code>
/// <para>Prints the CA pin (sha256:...) that kubeadm join's --discovery-token-ca-cert-hash takes.</para>
/// </example>
/// <example>
/// <code>(Import-KubePki -Path ./pki).Certificates | Format-Table Name, NotAfter, HasPrivateKey</code>
/// <para>Lists the certificates in ./pki with their expiry dates and whether their keys are present.</para>
/// </example>
[Cmdlet(VerbsData.Import, "KubePki")]
[OutputType(typeof(KubePki))]
public sealed class ImportKubePkiCommand : KubeCmdlet
{
    /// <summary>
    /// <para>The certificates folder.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string Path { get; set; } = "";

    /// <summary>
    /// <para>The Kubernetes version the set belongs to (used later by New-KubeConfig for version-dependent groups).</para>
    /// </summary>
    [Parameter]
    public string? KubernetesVersion { get; set; }

    protected override void ProcessRecord()
    {
        var folder = CommandArgs.FullPath(this, Path);
        Run(sink => sink.WriteObject(KubePki.Import(folder, KubernetesVersion is null ? null : CommandArgs.Version(KubernetesVersion))));
    }
}
