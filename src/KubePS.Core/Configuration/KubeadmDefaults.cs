using KubePS.Core.Versioning;

namespace KubePS.Core.Configuration;

/// <summary>
/// kubeadm's configuration defaults, in one place (kubeadm-facts.md §10.1, §5.3; version-dependent ones from the
/// version catalog). <see cref="KubeClusterConfiguration"/>'s convenience properties read user values first and these
/// second; <see cref="KubeClusterConfiguration.WithDefaults"/> writes them into a copy (what kubeadm uploads to the
/// kubeadm-config ConfigMap).
/// </summary>
public static class KubeadmDefaults
{
    public const string ServiceSubnet = "10.96.0.0/12";
    public const string DnsDomain = "cluster.local";
    public const int BindPort = 6443;
    public const string CertificatesDir = "/etc/kubernetes/pki";
    public const string ClusterName = "kubernetes";
    public const string EtcdDataDir = "/var/lib/etcd";
    public const string ImagePullPolicy = "IfNotPresent";
    public const bool ImagePullSerial = true;
    public const string CACertPath = "/etc/kubernetes/pki/ca.crt";
    public const string EncryptionAlgorithm = "RSA-2048";
    /// <summary>The version label kubeadm resolves when kubernetesVersion is not given.</summary>
    public const string KubernetesVersionLabel = "stable-1";

    public static readonly TimeSpan CACertificateValidityPeriod = TimeSpan.FromHours(87600);
    public static readonly TimeSpan CertificateValidityPeriod = TimeSpan.FromHours(8760);

    public static readonly TimeSpan BootstrapTokenTtl = TimeSpan.FromHours(24);
    public static IReadOnlyList<string> BootstrapTokenUsages { get; } = ["signing", "authentication"];
    public static IReadOnlyList<string> BootstrapTokenGroups { get; } = ["system:bootstrappers:kubeadm:default-node-token"];
    public static readonly TimeSpan UploadCertsTokenTtl = TimeSpan.FromHours(2);

    public static readonly TimeSpan ControlPlaneComponentHealthCheck = TimeSpan.FromMinutes(4);
    public static readonly TimeSpan KubeletHealthCheck = TimeSpan.FromMinutes(4);
    public static readonly TimeSpan KubernetesApiCall = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan EtcdApiCall = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan TlsBootstrap = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan Discovery = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan UpgradeManifests = TimeSpan.FromMinutes(5);

    /// <summary>Index of the API server's ClusterIP in the service subnet (kubeadm's GetAPIServerVirtualIP).</summary>
    public const int KubernetesServiceIndex = 1;
    /// <summary>Index of the cluster DNS ClusterIP in the service subnet (kubeadm's GetDNSIP).</summary>
    public const int DnsServiceIndex = 10;

    /// <summary>Service subnets must hold at least this many addresses (the DNS IP is the 10th).</summary>
    public const int MinimumServiceSubnetAddresses = 10;
    /// <summary>Service subnets may use at most this many host bits: /12 for IPv4, /108 for IPv6.</summary>
    public const int MaximumServiceSubnetBits = 20;
    /// <summary>Pod subnets must hold at least this many addresses.</summary>
    public const int MinimumPodSubnetAddresses = 14;
    /// <summary>The per-node pod CIDR may be at most this many bits longer than the pod subnet.</summary>
    public const int PodSubnetNodeMaskMaxDiff = 16;
    public const int NodeCidrMaskIPv4 = 24;
    public const int NodeCidrMaskIPv6 = 64;

    /// <summary>The default image repository of an exact version (k8s.gcr.io before the 2022 switch, then registry.k8s.io).</summary>
    public static string ImageRepository(KubeVersion version)
    {
        var exact = VersionCatalog.Resolve(version);
        return VersionCatalog.Get(exact).ImageRepository(exact.Patch!.Value);
    }

    /// <summary>kubeadm's default CRI socket for a version (dockershim up to 1.23, containerd from 1.24).</summary>
    public static string CriSocket(KubeVersion version) => VersionCatalog.Get(version).DefaultCriSocket;

    /// <summary>
    /// Resolves kubernetesVersion text the way kubeadm does, offline against the catalog: an exact version stays; a minor
    /// (1.30) becomes its newest patch; the labels stable, stable-1 and stable-1.NN become the newest release the catalog
    /// knows (kubeadm asks dl.k8s.io). Other labels (latest, ci/...) are pre-releases KubePS does not deploy.
    /// </summary>
    public static KubeVersion ResolveKubernetesVersion(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text is "stable" or "stable-1") return VersionCatalog.NewestRelease;
        string t = text.Trim();
        if (t.StartsWith("stable-", StringComparison.Ordinal)) t = t["stable-".Length..];
        if (text.StartsWith("latest", StringComparison.Ordinal) || text.StartsWith("ci/", StringComparison.Ordinal))
            throw new KubeException("Version.Unsupported",
                $"kubernetesVersion '{text}' names a pre-release build; KubePS deploys released versions {VersionCatalog.Oldest} to {VersionCatalog.Newest}.",
                KubeErrorCategory.InvalidArgument, text, "Give a released version such as 1.30.4, a minor such as 1.30, or stable-1.");
        return VersionCatalog.Resolve(KubeVersion.Parse(t));
    }
}
