using System.Net;
using KubePS.Core.Versioning;

namespace KubePS.Core.Pki;

/// <summary>
/// Everything kubeadm's certs phase needs to know about a control-plane node. Defaults are kubeadm's.
/// Validate with <see cref="Validate"/> (the generator calls it) before anything is generated or written.
/// </summary>
public sealed class PkiRequest
{
    /// <summary>nodeRegistration.name: CN of the etcd server/peer certificates and a DNS SAN of apiserver and etcd.</summary>
    public string NodeName { get; init; } = "";

    /// <summary>localAPIEndpoint.advertiseAddress; must be an IP address.</summary>
    public string AdvertiseAddress { get; init; } = "";

    /// <summary>localAPIEndpoint.bindPort, used for kubeconfig server URLs (6443).</summary>
    public int BindPort { get; init; } = 6443;

    /// <summary>networking.serviceSubnet; the first CIDR's index-1 address is an apiserver SAN.</summary>
    public string ServiceSubnet { get; init; } = "10.96.0.0/12";

    /// <summary>networking.dnsDomain.</summary>
    public string DnsDomain { get; init; } = "cluster.local";

    /// <summary>controlPlaneEndpoint (host or host:port), or null.</summary>
    public string? ControlPlaneEndpoint { get; init; }

    /// <summary>apiServer.certSANs.</summary>
    public IReadOnlyList<string> ApiServerCertSANs { get; init; } = [];

    /// <summary>etcd.local.serverCertSANs.</summary>
    public IReadOnlyList<string> EtcdServerCertSANs { get; init; } = [];

    /// <summary>etcd.local.peerCertSANs.</summary>
    public IReadOnlyList<string> EtcdPeerCertSANs { get; init; } = [];

    /// <summary>The Kubernetes version; decides O values, CA serial, backdating, SAN order and extensions (via the catalog).</summary>
    public KubeVersion KubernetesVersion { get; init; } = VersionCatalog.NewestRelease;

    /// <summary>encryptionAlgorithm; RSA-2048 by default.</summary>
    public KeyAlgorithm KeyAlgorithm { get; init; } = KeyAlgorithm.Rsa2048;

    /// <summary>caCertificateValidityPeriod; null = kubeadm's 87600h (10 years).</summary>
    public TimeSpan? CAValidity { get; init; }

    /// <summary>certificateValidityPeriod; null = kubeadm's 8760h (1 year).</summary>
    public TimeSpan? CertificateValidity { get; init; }

    /// <summary>etcd.external is set: no etcd CA and no etcd certificates are made.</summary>
    public bool ExternalEtcd { get; init; }

    /// <summary>certificatesDir; where the files go on the node.</summary>
    public string CertificatesDir { get; init; } = "/etc/kubernetes/pki";

    /// <summary>clusterName, for kubeconfigs.</summary>
    public string ClusterName { get; init; } = "kubernetes";

    /// <summary>
    /// The request for one control-plane node of a cluster configuration (kubeadm init phase certs --config): SANs,
    /// subnets, endpoint, version, key algorithm, validity periods and certificatesDir come from the configuration;
    /// the node name and advertise address come from the arguments when given, else from the configuration's
    /// InitConfiguration (or JoinConfiguration.controlPlane). Validates the configuration first.
    /// </summary>
    public static PkiRequest FromConfiguration(KubePS.Core.Configuration.KubeClusterConfiguration configuration, string? nodeName = null, string? advertiseAddress = null)
    {
        configuration.Validate();
        string node = !string.IsNullOrWhiteSpace(nodeName) ? nodeName : configuration.NodeName
            ?? throw new KubeException("Pki.NodeNameRequired",
                "The configuration names no node (nodeRegistration.name) and no node name was given.",
                KubeErrorCategory.InvalidArgument, null, "Give -NodeName, or set nodeRegistration.name in the InitConfiguration.");
        string address = !string.IsNullOrWhiteSpace(advertiseAddress) ? advertiseAddress : configuration.AdvertiseAddress?.ToString()
            ?? throw new KubeException("Pki.AdvertiseAddressRequired",
                "The configuration has no localAPIEndpoint.advertiseAddress and no advertise address was given.",
                KubeErrorCategory.InvalidArgument, null, "Give -AdvertiseAddress, or set localAPIEndpoint.advertiseAddress in the InitConfiguration.");
        return new PkiRequest
        {
            NodeName = node,
            AdvertiseAddress = address,
            BindPort = configuration.BindPort,
            ServiceSubnet = configuration.ServiceSubnet,
            DnsDomain = configuration.DnsDomain,
            ControlPlaneEndpoint = configuration.ControlPlaneEndpoint,
            ApiServerCertSANs = configuration.ApiServerCertSANs,
            EtcdServerCertSANs = configuration.EtcdServerCertSANs,
            EtcdPeerCertSANs = configuration.EtcdPeerCertSANs,
            KubernetesVersion = configuration.KubernetesVersion,
            KeyAlgorithm = KeyAlgorithms.Parse(configuration.EncryptionAlgorithm),
            // Only 1.31+ (v1beta4) makes these configurable; before, kubeadm's fixed periods apply.
            CAValidity = configuration.Release.ConfigurableValidity ? configuration.CACertificateValidityPeriod : null,
            CertificateValidity = configuration.Release.ConfigurableValidity ? configuration.CertificateValidityPeriod : null,
            ExternalEtcd = configuration.IsExternalEtcd,
            CertificatesDir = configuration.CertificatesDir,
            ClusterName = configuration.ClusterName,
        };
    }

    /// <summary>The catalog row of <see cref="KubernetesVersion"/>.</summary>
    public ReleaseInfo Release => VersionCatalog.Get(KubernetesVersion);

    internal IPAddress ParseAdvertiseAddress()
    {
        if (SanRules.TryParseIP(AdvertiseAddress, out var ip)) return ip;
        throw new KubeException("Pki.InvalidAdvertiseAddress",
            $"The advertise address '{AdvertiseAddress}' is not a valid textual representation of an IP address.",
            KubeErrorCategory.InvalidArgument, AdvertiseAddress, "Give the node's IP address, e.g. 10.0.0.11 or fd00::11.");
    }

    /// <summary>
    /// Checks every input at once and throws <see cref="KubeAggregateException"/> (ids Pki.InvalidNodeName,
    /// Pki.InvalidAdvertiseAddress, Pki.InvalidServiceSubnet, Pki.InvalidControlPlaneEndpoint, Pki.InvalidValidity,
    /// Version.Unsupported) listing each offending value.
    /// </summary>
    public void Validate()
    {
        var errors = new List<KubeException>();
        void Check(Action a)
        {
            try { a(); }
            catch (KubeAggregateException e) { errors.AddRange(e.Errors); }
            catch (KubeException e) { errors.Add(e); }
        }
        Check(() =>
        {
            if (string.IsNullOrWhiteSpace(NodeName) || NodeName.Length > 253 || NodeName.Any(c => c > 127 || char.IsWhiteSpace(c) || c == ','))
                throw new KubeException("Pki.InvalidNodeName", $"The node name '{NodeName}' cannot be used in a certificate: it must be a non-empty ASCII name without spaces or commas, at most 253 characters.",
                    KubeErrorCategory.InvalidArgument, NodeName, "Use the node's lower-case host name, e.g. cp1.");
        });
        Check(() => ParseAdvertiseAddress());
        Check(() => SanRules.FirstServiceIP(ServiceSubnet));
        Check(() => { if (!string.IsNullOrEmpty(ControlPlaneEndpoint)) SanRules.ParseHostPort(ControlPlaneEndpoint); });
        Check(() => _ = Release);
        Check(() =>
        {
            if (BindPort is < 1 or > 65535)
                throw new KubeException("Pki.InvalidBindPort", $"The bind port {BindPort} is outside 1-65535.", KubeErrorCategory.InvalidArgument, BindPort, "Use 6443, kubeadm's default.");
        });
        foreach (var (what, value) in new[] { ("CA validity", CAValidity), ("certificate validity", CertificateValidity) })
            Check(() =>
            {
                if (value is { } v && v < TimeSpan.FromMinutes(10))
                    throw new KubeException("Pki.InvalidValidity", $"The {what} {v} is too short; it must be at least 10 minutes.",
                        KubeErrorCategory.InvalidArgument, v, "Leave it unset for kubeadm's defaults (87600h for CAs, 8760h for certificates).");
            });
        if (errors.Count > 0) throw new KubeAggregateException(errors);
    }
}
