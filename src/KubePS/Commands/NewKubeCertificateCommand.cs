using System.Management.Automation;
using System.Net;
using KubePS.Core;
using KubePS.Core.Pki;

namespace KubePS.Commands;

/// <summary>Signs a kubeadm certificate (apiserver, etcd server, ...) or a free-form certificate with a CA.</summary>
/// <remarks>
/// <para>With -Profile, New-KubeCertificate makes one of kubeadm's leaf certificates with kubeadm's CN, O, usages and SANs for the given Kubernetes version: ApiServer (SANs from -NodeName, -AdvertiseAddress, -ServiceSubnet, -DnsDomain, -ControlPlaneEndpoint and -CertSANs), ApiServerKubeletClient, FrontProxyClient, EtcdServer and EtcdPeer (SANs from -NodeName, -AdvertiseAddress and -CertSANs), EtcdHealthcheckClient and ApiServerEtcdClient. The CA must be the one kubeadm uses for that certificate (ca, front-proxy-ca or etcd-ca).</para>
/// <para>Without -Profile, give -CommonName, -Organization (groups), -Usage and optional -DnsName and -IPAddress for any other certificate signed the way kubeadm signs.</para>
/// <para>Invalid -CertSANs entries are dropped with a warning, as kubeadm does. The new private key stays in the returned object; write it with Export-KubePki or use the object in New-KubeConfig.</para>
/// </remarks>
/// <example>
/// <code>New-KubeCA | New-KubeCertificate -Profile ApiServer -NodeName cp1 -AdvertiseAddress 10.0.0.11 -CertSANs api.example.com</code>
/// <para>Makes a Kubernetes CA and signs the API server certificate for node cp1 with an extra DNS name.</para>
/// </example>
/// <example>
/// <code>$ca = New-KubeCA -Name Etcd; $ca | New-KubeCertificate -Profile EtcdServer -NodeName cp1 -AdvertiseAddress 10.0.0.11</code>
/// <para>Signs etcd's serving certificate (SANs cp1, localhost, 10.0.0.11, 127.0.0.1, ::1) with a new etcd CA.</para>
/// </example>
/// <example>
/// <code>New-KubeCA | New-KubeCertificate -CommonName jane -Organization developers -Usage ClientAuth -ValidityDays 30</code>
/// <para>Signs a 30-day client certificate for user jane in group developers.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "KubeCertificate", DefaultParameterSetName = ProfileSet)]
[OutputType(typeof(KubeCertificate))]
public sealed class NewKubeCertificateCommand : KubeCmdlet
{
    const string ProfileSet = "Profile";
    const string CustomSet = "Custom";

    /// <summary>
    /// <para>The signing CA, with its private key: the output of New-KubeCA, or a CA from a KubePki (e.g. (Import-KubePki ./pki).CA).</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public KubeCertificate CA { get; set; } = null!;

    /// <summary>
    /// <para>Which kubeadm certificate to make: ApiServer, ApiServerKubeletClient, FrontProxyClient, EtcdServer, EtcdPeer, EtcdHealthcheckClient or ApiServerEtcdClient.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ProfileSet)]
    [ValidateSet("ApiServer", "ApiServerKubeletClient", "FrontProxyClient", "EtcdServer", "EtcdPeer", "EtcdHealthcheckClient", "ApiServerEtcdClient")]
    public string Profile { get; set; } = "";

    /// <summary>
    /// <para>The node name (nodeRegistration.name): a DNS SAN of ApiServer, EtcdServer and EtcdPeer and the CN of the etcd server and peer certificates.</para>
    /// </summary>
    [Parameter(ParameterSetName = ProfileSet, ValueFromPipelineByPropertyName = true)]
    public string? NodeName { get; set; }

    /// <summary>
    /// <para>The node's advertise address (an IP address): an IP SAN of ApiServer, EtcdServer and EtcdPeer.</para>
    /// </summary>
    [Parameter(ParameterSetName = ProfileSet, ValueFromPipelineByPropertyName = true)]
    public string? AdvertiseAddress { get; set; }

    /// <summary>
    /// <para>The service subnet; its first address (10.96.0.1 for the default 10.96.0.0/12) is an ApiServer SAN.</para>
    /// </summary>
    [Parameter(ParameterSetName = ProfileSet)]
    public string ServiceSubnet { get; set; } = "10.96.0.0/12";

    /// <summary>
    /// <para>The cluster DNS domain; kubernetes.default.svc.&lt;domain&gt; is an ApiServer SAN. The default is cluster.local.</para>
    /// </summary>
    [Parameter(ParameterSetName = ProfileSet)]
    public string DnsDomain { get; set; } = "cluster.local";

    /// <summary>
    /// <para>The control-plane endpoint (host or host:port, e.g. a load balancer); its host is an ApiServer SAN.</para>
    /// </summary>
    [Parameter(ParameterSetName = ProfileSet)]
    public string? ControlPlaneEndpoint { get; set; }

    /// <summary>
    /// <para>Extra SANs for ApiServer (apiServer.certSANs), EtcdServer (serverCertSANs) or EtcdPeer (peerCertSANs): IP addresses, RFC 1123 DNS names or wildcards such as *.example.com. Other values are dropped with a warning.</para>
    /// </summary>
    [Parameter(ParameterSetName = ProfileSet)]
    public string[] CertSANs { get; set; } = [];

    /// <summary>
    /// <para>The CN of a free-form certificate (the user name when used for client authentication).</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = CustomSet)]
    public string CommonName { get; set; } = "";

    /// <summary>
    /// <para>The O values of a free-form certificate (the groups when used for client authentication).</para>
    /// </summary>
    [Parameter(ParameterSetName = CustomSet)]
    public string[] Organization { get; set; } = [];

    /// <summary>
    /// <para>The extended key usages of a free-form certificate: ServerAuth, ClientAuth or both, in that order.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = CustomSet)]
    [ValidateSet("ServerAuth", "ClientAuth")]
    public string[] Usage { get; set; } = [];

    /// <summary>
    /// <para>DNS names of a free-form certificate.</para>
    /// </summary>
    [Parameter(ParameterSetName = CustomSet)]
    public string[] DnsName { get; set; } = [];

    /// <summary>
    /// <para>IP addresses of a free-form certificate.</para>
    /// </summary>
    [Parameter(ParameterSetName = CustomSet)]
    public string[] IPAddress { get; set; } = [];

    /// <summary>
    /// <para>A name for a free-form certificate (used as the file base name by Export-KubePki). The default is the CommonName.</para>
    /// </summary>
    [Parameter(ParameterSetName = CustomSet)]
    public string? Name { get; set; }

    /// <summary>
    /// <para>The Kubernetes version whose kubeadm the certificate must match (O values, extensions, SAN order). The default is the newest release in the catalog.</para>
    /// </summary>
    [Parameter]
    public string? KubernetesVersion { get; set; }

    /// <summary>
    /// <para>The key algorithm of the new key: RSA-2048 (default), RSA-3072, RSA-4096, ECDSA-P256 or ECDSA-P384.</para>
    /// </summary>
    [Parameter]
    [ValidateSet("RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384")]
    public string KeyAlgorithm { get; set; } = "RSA-2048";

    /// <summary>
    /// <para>Days of validity from now. The default is kubeadm's 365 days (8760h).</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, 36500)]
    public int? ValidityDays { get; set; }

    protected override void ProcessRecord() => Run(sink =>
    {
        var version = CommandArgs.Version(KubernetesVersion);
        var algorithm = KeyAlgorithms.Parse(KeyAlgorithm);
        if (ParameterSetName == ProfileSet)
        {
            var profile = CertificateProfiles.Get(Profile);
            var request = new PkiRequest
            {
                NodeName = NodeName ?? "",
                AdvertiseAddress = AdvertiseAddress ?? "",
                ServiceSubnet = ServiceSubnet,
                DnsDomain = DnsDomain,
                ControlPlaneEndpoint = ControlPlaneEndpoint,
                ApiServerCertSANs = profile.Kind == KubeCertificateKind.ApiServer ? CertSANs : [],
                EtcdServerCertSANs = profile.Kind == KubeCertificateKind.EtcdServer ? CertSANs : [],
                EtcdPeerCertSANs = profile.Kind == KubeCertificateKind.EtcdPeer ? CertSANs : [],
                KubernetesVersion = version,
                KeyAlgorithm = algorithm,
                CertificateValidity = CommandArgs.Days(ValidityDays),
            };
            sink.WriteObject(KubePkiBuilder.CreateCertificate(profile, CA, request, sink.WriteWarning));
            return;
        }
        var ips = SanRules.ParseIPAddresses(IPAddress);
        var spec = new CertificateSpec
        {
            CommonName = CommonName,
            Organizations = Organization,
            Usages = Usage.Select(u => Enum.Parse<CertificateUsage>(u, ignoreCase: true)).Distinct().OrderBy(u => u).ToList(),
            DnsNames = DnsName,
            IPAddresses = ips,
        };
        var name = Name ?? System.Text.RegularExpressions.Regex.Replace(CommonName, "[^A-Za-z0-9._-]", "_");
        sink.WriteObject(CertificateSigner.Sign(CA, name, name, spec, VersionCatalogRow(version), KubeKey.Generate(algorithm), DateTimeOffset.UtcNow, CommandArgs.Days(ValidityDays)));
    });

    static KubePS.Core.Versioning.ReleaseInfo VersionCatalogRow(KubePS.Core.Versioning.KubeVersion v) => KubePS.Core.Versioning.VersionCatalog.Get(v);
}
