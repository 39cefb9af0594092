using System.Management.Automation;
using KubePS.Core.Pki;

namespace KubePS.Commands;

/// <summary>Computes the CA pin (sha256:...) that kubeadm join's --discovery-token-ca-cert-hash takes.</summary>
/// <remarks>
/// <para>The pin is "sha256:" followed by the lower-case hex SHA-256 of the CA certificate's DER SubjectPublicKeyInfo, the same value kubeadm init prints and openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum computes.</para>
/// </remarks>
/// <example>
/// <code>Get-KubeCACertHash -Path /etc/kubernetes/pki/ca.crt</code>
/// <para>Prints the pin of a node's Kubernetes CA.</para>
/// </example>
/// <example>
/// <code>New-KubePki -NodeName cp1 -AdvertiseAddress 10.0.0.11 | Get-KubeCACertHash</code>
/// <para>Prints the pin of a new certificate set's Kubernetes CA.</para>
/// </example>
/// <example>
/// <code>New-KubeCA -Name Etcd | Get-KubeCACertHash</code>
/// <para>Prints the pin of any CA object.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "KubeCACertHash", DefaultParameterSetName = "Path")]
[OutputType(typeof(string))]
public sealed class GetKubeCACertHashCommand : KubeCmdlet
{
    /// <summary>
    /// <para>A CA certificate file (PEM), e.g. /etc/kubernetes/pki/ca.crt.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path")]
    public string Path { get; set; } = "";

    /// <summary>
    /// <para>A CA certificate object (from New-KubeCA or a KubePki).</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Certificate")]
    public KubeCertificate Certificate { get; set; } = null!;

    /// <summary>
    /// <para>A certificate set; its Kubernetes CA (ca) is pinned.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Pki")]
    public KubePki Pki { get; set; } = null!;

    protected override void ProcessRecord()
    {
        var file = ParameterSetName == "Path" ? CommandArgs.FullPath(this, Path) : null;
        Run(sink => sink.WriteObject(ParameterSetName switch
        {
            "Path" => CACertHash.ComputeFromFile(file!),
            "Certificate" => CACertHash.Compute(Certificate.Certificate),
            _ => CACertHash.Compute(Pki.CA.Certificate),
        }));
    }
}
