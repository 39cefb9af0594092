using System.Management.Automation;
using KubePS.Core.Pki;

namespace KubePS.Commands;

/// <summary>Makes the whole certificate set of a control-plane node, as kubeadm init phase certs all does, offline.</summary>
/// <remarks>
/// <para>New-KubePki makes the three CAs (Kubernetes, front-proxy, etcd), their seven leaf certificates and the service-account key pair for one control-plane node, matching kubeadm of the given Kubernetes version field for field: subjects, usages, SANs and their order, extensions, serials and validity. With -ExternalEtcd the etcd CA and etcd certificates are left out.</para>
/// <para>With -Path, the existing files in that folder are reused under kubeadm's rules: an existing CA with its key is kept; ca.crt without ca.key is external CA mode, where every certificate must already exist; an existing certificate must be signed by its CA (error Pki.CAMismatch) and carry every SAN the node needs (error Pki.SanMissing). All problems are reported before anything is made; New-KubePki never writes files. Write the result with Export-KubePki.</para>
/// <para>Warnings: certSANs that are neither IP addresses nor RFC 1123 names are dropped, and expired reused certificates are reported.</para>
/// </remarks>
/// <example>
/// <code>New-KubePki -NodeName cp1 -AdvertiseAddress 10.0.0.11 -KubernetesVersion 1.30.14 | Export-KubePki -Path ./pki</code>
/// <para>Makes the certificates of control-plane node cp1 as kubeadm 1.30.14 does and writes them to ./pki (keys 0600, certificates 0644).</para>
/// </example>
/// <example>
/// <code>New-KubePki -NodeName cp2 -AdvertiseAddress 10.0.0.12 -ControlPlaneEndpoint api.example.com:6443 -CertSANs 10.0.0.100 -Path ./pki | Export-KubePki -Path ./pki</code>
/// <para>Reuses the CAs (and any valid certificates) already in ./pki and adds what is missing for node cp2 behind a load balancer.</para>
/// </example>
/// <example>
/// <code>Import-KubeadmConfiguration ./kubeadm-config.yaml | New-KubePki -NodeName cp1 -AdvertiseAddress 10.0.0.10 | Export-KubePki -Path ./pki</code>
/// <para>Makes node cp1's certificates from a kubeadm configuration file: its certSANs, subnets, control-plane endpoint, version, encryption algorithm and validity periods; the node name and address given here win over the file's.</para>
/// </example>
/// <example>
/// <code>New-KubePki -NodeName cp1 -AdvertiseAddress 10.0.0.11 -KeyAlgorithm ECDSA-P256 -ExternalEtcd</code>
/// <para>Makes an ECDSA P-256 set for a cluster that uses an external etcd (no etcd CA or etcd certificates).</para>
/// </example>
[Cmdlet(VerbsCommon.New, "KubePki", DefaultParameterSetName = ParametersSet)]
[OutputType(typeof(KubePki))]
public sealed class NewKubePkiCommand : KubeCmdlet
{
    const string ParametersSet = "Parameters";
    const string ConfigurationSet = "Configuration";

    /// <summary>
    /// <para>A cluster configuration (from Import-KubeadmConfiguration or New-KubeClusterConfiguration) to take the certificate inputs from, as kubeadm init phase certs --config does. -NodeName and -AdvertiseAddress, when given, win over its InitConfiguration.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ConfigurationSet)]
    public KubePS.Core.Configuration.KubeClusterConfiguration? Configuration { get; set; }

    /// <summary>
    /// <para>The node name (nodeRegistration.name): DNS SAN of the apiserver and etcd certificates, CN of the etcd server and peer certificates.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ParametersSet)]
    [Parameter(ParameterSetName = ConfigurationSet)]
    public string NodeName { get; set; } = "";

    /// <summary>
    /// <para>The node's advertise address (localAPIEndpoint.advertiseAddress), an IP address.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ParametersSet)]
    [Parameter(ParameterSetName = ConfigurationSet)]
    public string AdvertiseAddress { get; set; } = "";

    /// <summary>
    /// <para>The Kubernetes version (1.30, 1.30.14, v1.30.14). The default is the newest release in the catalog.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = ParametersSet)]
    public string? KubernetesVersion { get; set; }

    /// <summary>
    /// <para>The service subnet(s), comma-separated for dual stack; the first CIDR's first address is an apiserver SAN. Default 10.96.0.0/12.</para>
    /// </summary>
    [Parameter(ParameterSetName = ParametersSet)]
    public string ServiceSubnet { get; set; } = "10.96.0.0/12";

    /// <summary>
    /// <para>The cluster DNS domain. Default cluster.local.</para>
    /// </summary>
    [Parameter(ParameterSetName = ParametersSet)]
    public string DnsDomain { get; set; } = "cluster.local";

    /// <summary>
    /// <para>The control-plane endpoint (host or host:port); its host becomes an apiserver SAN.</para>
    /// </summary>
    [Parameter(ParameterSetName = ParametersSet)]
    public string? ControlPlaneEndpoint { get; set; }

    /// <summary>
    /// <para>Extra apiserver SANs (apiServer.certSANs): IP addresses, RFC 1123 DNS names or wildcards.</para>
    /// </summary>
    [Parameter(ParameterSetName = ParametersSet)]
    public string[] CertSANs { get; set; } = [];

    /// <summary>
    /// <para>Extra etcd server SANs (etcd.local.serverCertSANs).</para>
    /// </summary>
    [Parameter(ParameterSetName = ParametersSet)]
    public string[] EtcdServerCertSANs { get; set; } = [];

    /// <summary>
    /// <para>Extra etcd peer SANs (etcd.local.peerCertSANs).</para>
    /// </summary>
    [Parameter(ParameterSetName = ParametersSet)]
    public string[] EtcdPeerCertSANs { get; set; } = [];

    /// <summary>
    /// <para>The key algorithm of every key: RSA-2048 (default), RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384.</para>
    /// </summary>
    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateSet("RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384")]
    public string KeyAlgorithm { get; set; } = "RSA-2048";

    /// <summary>
    /// <para>The cluster uses an external etcd: no etcd CA and no etcd certificates are made.</para>
    /// </summary>
    [Parameter(ParameterSetName = ParametersSet)]
    public SwitchParameter ExternalEtcd { get; set; }

    /// <summary>
    /// <para>An existing certificates folder whose files are reused under kubeadm's rules. Nothing is written to it.</para>
    /// </summary>
    [Parameter]
    public string? Path { get; set; }

    /// <summary>
    /// <para>Days of validity of new CAs. The default is kubeadm's 3650 days.</para>
    /// </summary>
    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateRange(1, 36500)]
    public int? CAValidityDays { get; set; }

    /// <summary>
    /// <para>Days of validity of new certificates. The default is kubeadm's 365 days.</para>
    /// </summary>
    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateRange(1, 36500)]
    public int? ValidityDays { get; set; }

    protected override void ProcessRecord()
    {
        var folder = Path is null ? null : CommandArgs.FullPath(this, Path);
        Run(sink =>
        {
            var request = Configuration is not null
                ? PkiRequest.FromConfiguration(Configuration, MyInvocation.BoundParameters.ContainsKey(nameof(NodeName)) ? NodeName : null,
                    MyInvocation.BoundParameters.ContainsKey(nameof(AdvertiseAddress)) ? AdvertiseAddress : null)
                : new PkiRequest
            {
                NodeName = NodeName,
                AdvertiseAddress = AdvertiseAddress,
                KubernetesVersion = CommandArgs.Version(KubernetesVersion),
                ServiceSubnet = ServiceSubnet,
                DnsDomain = DnsDomain,
                ControlPlaneEndpoint = ControlPlaneEndpoint,
                ApiServerCertSANs = CertSANs,
                EtcdServerCertSANs = EtcdServerCertSANs,
                EtcdPeerCertSANs = EtcdPeerCertSANs,
                KeyAlgorithm = KeyAlgorithms.Parse(KeyAlgorithm),
                ExternalEtcd = ExternalEtcd,
                CAValidity = CommandArgs.Days(CAValidityDays),
                CertificateValidity = CommandArgs.Days(ValidityDays),
            };
            var pki = folder is null ? KubePkiBuilder.Create(request) : KubePkiBuilder.CreateOrReuse(request, folder);
            foreach (var w in pki.Warnings) sink.WriteWarning(w);
            foreach (var c in pki.Certificates)
                sink.WriteVerbose($"{c.Name}: {(c.Origin == CertificateOrigin.Generated ? "generated" : "using the existing certificate")} ({c.Subject})");
            sink.WriteObject(pki);
        });
    }
}
