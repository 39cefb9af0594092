using System.Management.Automation;
using KubePS.Core.Pki;

namespace KubePS.Commands;

/// <summary>Lists when a node's certificates and kubeconfig client certificates expire, as kubeadm certs check-expiration does.</summary>
/// <remarks>
/// <para>Get-KubeCertificate reads every kubeadm certificate in the certificates folder and the client certificates of admin.conf, controller-manager.conf, scheduler.conf and super-admin.conf in the folder above it (or -KubeConfigPath), and returns one object per certificate: Name, NotAfter, ResidualTime, CAName, ExternallyManaged (the CA's key is absent) and Path. Certificates come first, then the CAs.</para>
/// </remarks>
/// <example>
/// <code>Get-KubeCertificate -Path /etc/kubernetes/pki</code>
/// <para>Shows the expiry table of a control-plane node.</para>
/// </example>
/// <example>
/// <code>Get-KubeCertificate -Path ./pki | Where-Object ResidualTime -lt (New-TimeSpan -Days 30)</code>
/// <para>Lists the certificates that expire within 30 days.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "KubeCertificate")]
[OutputType(typeof(KubeCertificateExpiration))]
public sealed class GetKubeCertificateCommand : KubeCmdlet
{
    /// <summary>
    /// <para>The certificates folder, e.g. /etc/kubernetes/pki.</para>
    /// </summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string Path { get; set; } = "/etc/kubernetes/pki";

    /// <summary>
    /// <para>The folder of the kubeconfig files. The default is the certificates folder's parent (/etc/kubernetes).</para>
    /// </summary>
    [Parameter]
    public string? KubeConfigPath { get; set; }

    protected override void ProcessRecord()
    {
        var folder = CommandArgs.FullPath(this, Path);
        var kubeconfigs = KubeConfigPath is null ? null : CommandArgs.FullPath(this, KubeConfigPath);
        Run(sink =>
        {
            foreach (var row in CertificateInventory.Get(folder, kubeconfigs)) sink.WriteObject(row);
        });
    }
}
