using System.Text;
using KubePS.Core.Configuration;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Pki;

namespace KubePS.Core.Bootstrap;

/// <summary>How a joining node learnt whom to trust.</summary>
public enum DiscoveryMethod { Token, File }

/// <summary>
/// The outcome of join discovery (kubeadm-facts §6.1, §6.2): the API server URL and the cluster CA that a joining
/// node trusts from now on, and how they were established. For token discovery the kubeconfig is the validated
/// cluster-info one (no credentials); for file discovery it is the file's, which may carry credentials of its own.
/// Nothing secret is public: the kubeconfig's keys and tokens stay internal to KubePS.Core.
/// </summary>
public sealed class DiscoveredCluster
{
    /// <summary>kubeadm's user name in bootstrap-kubelet.conf when the TLS bootstrap uses a token.</summary>
    public const string TokenUser = "tls-bootstrap-token-user";

    /// <summary>kubeadm's default cluster name, the cluster entry of bootstrap-kubelet.conf.</summary>
    public const string DefaultClusterName = "kubernetes";

    internal DiscoveredCluster(DiscoveryMethod method, string source, KubeConfig config, KubeConfigCluster cluster, byte[] caData,
        string? matchedPin, bool caVerified)
    {
        Method = method;
        Source = source;
        KubeConfig = config;
        Server = cluster.Server ?? "";
        CAData = caData;
        var certificates = PkiFiles.ParseCertificates(Encoding.UTF8.GetString(caData), source);
        CACertHashes = certificates.Select(CACertHash.Compute).ToList();
        MatchedCACertHash = matchedPin;
        CAVerified = caVerified;
    }

    /// <summary>Token or File.</summary>
    public DiscoveryMethod Method { get; }

    /// <summary>The API server endpoint asked (token discovery) or the file path or URL (file discovery).</summary>
    public string Source { get; }

    /// <summary>The API server URL the node uses from now on (cluster-info's, or the file's).</summary>
    public string Server { get; }

    /// <summary>The cluster CA bundle (PEM bytes) the node trusts.</summary>
    public byte[] CAData { get; }

    /// <summary>The CA bundle as text.</summary>
    public string CACertificatePem => Encoding.UTF8.GetString(CAData);

    /// <summary>The sha256 public-key pins of the certificates in the CA bundle.</summary>
    public IReadOnlyList<string> CACertHashes { get; }

    /// <summary>The pin that matched (token discovery with pins), else null.</summary>
    public string? MatchedCACertHash { get; }

    /// <summary>
    /// False only for a token discovery with -UnsafeSkipCAVerification: then the CA is trusted because whoever served
    /// it knew the token, nothing more.
    /// </summary>
    public bool CAVerified { get; }

    /// <summary>The discovered kubeconfig.</summary>
    public KubeConfig KubeConfig { get; }

    /// <summary>True when the discovered kubeconfig carries credentials of its own (file discovery only).</summary>
    public bool HasCredentials => KubeConfig.CurrentUser is { } u &&
        (u.HasToken || (u.ClientCertificateData is not null || u.ClientCertificate is not null) && (u.HasClientKeyData || u.ClientKey is not null));

    /// <summary>
    /// The content of /etc/kubernetes/bootstrap-kubelet.conf as kubeadm builds it (kubeadm-facts §2): with a TLS
    /// bootstrap token, cluster <c>kubernetes</c> with the discovered server and CA, user
    /// <c>tls-bootstrap-token-user</c> with the token, context <c>tls-bootstrap-token-user@kubernetes</c>; without
    /// one, the discovered kubeconfig itself when it has credentials (file discovery), else Discovery.NoCredentials.
    /// </summary>
    public KubeConfig BootstrapKubeConfig(BootstrapTokenString? tlsBootstrapToken)
    {
        if (tlsBootstrapToken is not null)
            return KubeConfigFactory.Build(DefaultClusterName, TokenUser, Server, CAData, new KubeConfigUser { Token = tlsBootstrapToken.Reveal() });
        if (HasCredentials) return KubeConfig;
        throw new KubeException("Discovery.NoCredentials",
            $"The discovery file {Source} has no credentials for the TLS bootstrap and no bootstrap token was given.",
            KubeErrorCategory.InvalidArgument, Source,
            "Give -Token with the discovery file, use a discovery file with embedded credentials, or use token discovery.");
    }

    public override string ToString() =>
        $"{Server} (CA {CACertHashes.FirstOrDefault()}{(CAVerified ? "" : ", not verified")}; {Method.ToString().ToLowerInvariant()} discovery from {Source})";
}
