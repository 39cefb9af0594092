using System.Management.Automation;
using KubePS.Core.Pki;

namespace KubePS.Commands;

/// <summary>Creates a self-signed Kubernetes, etcd or front-proxy CA exactly as kubeadm's certs phase makes it.</summary>
/// <remarks>
/// <para>New-KubeCA makes the CA certificate and its private key in memory and returns them as one KubeCertificate object. The certificate matches what kubeadm of the given Kubernetes version writes: CN kubernetes, etcd-ca or front-proxy-ca; KeyUsage and BasicConstraints critical; a SubjectKeyIdentifier and the CN as DNS SAN on the versions that have them; serial 0 before 1.28 and random after; NotBefore backdated 5 minutes from 1.28; 10 years of validity by default.</para>
/// <para>Pipe the CA into New-KubeCertificate to sign certificates, or use New-KubePki to make a node's whole set at once. The private key is never shown; write it with Export-KubePki.</para>
/// </remarks>
/// <example>
/// <code>New-KubeCA -KubernetesVersion 1.30.14</code>
/// <para>Makes the Kubernetes CA (CN kubernetes) as kubeadm 1.30.14 does.</para>
/// </example>
/// <example>
/// <code>New-KubeCA -Name Etcd -KeyAlgorithm ECDSA-P256 -ValidityDays 7300 | New-KubeCertificate -Profile EtcdHealthcheckClient</code>
/// <para>Makes an ECDSA etcd CA valid for 20 years and signs etcd's healthcheck client certificate with it.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "KubeCA")]
[OutputType(typeof(KubeCertificate))]
public sealed class NewKubeCACommand : KubeCmdlet
{
    /// <summary>
    /// <para>Which CA: Kubernetes (ca.crt, CN kubernetes, the default), Etcd (etcd/ca.crt, CN etcd-ca) or FrontProxy (front-proxy-ca.crt, CN front-proxy-ca).</para>
    /// </summary>
    [Parameter(Position = 0)]
    [ValidateSet("Kubernetes", "Etcd", "FrontProxy")]
    public string Name { get; set; } = "Kubernetes";

    /// <summary>
    /// <para>The Kubernetes version whose kubeadm the CA must match (1.30, 1.30.14 or v1.30.14). The default is the newest release in KubePS's catalog.</para>
    /// </summary>
    [Parameter]
    public string? KubernetesVersion { get; set; }

    /// <summary>
    /// <para>The key algorithm: RSA-2048 (kubeadm's default), RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384.</para>
    /// </summary>
    [Parameter]
    [ValidateSet("RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384")]
    public string KeyAlgorithm { get; set; } = "RSA-2048";

    /// <summary>
    /// <para>How many days the CA is valid, counted from now. The default is kubeadm's 3650 days (87600h).</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, 36500)]
    public int? ValidityDays { get; set; }

    protected override void ProcessRecord() => Run(sink =>
    {
        var version = CommandArgs.Version(KubernetesVersion);
        var profile = Name switch
        {
            "Etcd" => CertificateProfiles.EtcdCa,
            "FrontProxy" => CertificateProfiles.FrontProxyCa,
            _ => CertificateProfiles.Ca,
        };
        sink.WriteVerbose($"making the '{profile.Name}' CA as kubeadm {version} does ({KeyAlgorithm})");
        sink.WriteObject(KubePkiBuilder.CreateCA(profile, version, KeyAlgorithms.Parse(KeyAlgorithm), CommandArgs.Days(ValidityDays)));
    });
}
