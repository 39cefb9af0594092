using System.Net;
using System.Net.Sockets;
using KubePS.Core.Versioning;

namespace KubePS.Core.Configuration;

/// <summary>
/// A kubeadm configuration: the kubeadm documents (<see cref="Init"/>, <see cref="Cluster"/>, <see cref="Join"/>) and the
/// component configurations given with them (<see cref="Kubelet"/>, <see cref="KubeProxy"/>).
/// <para>
/// User values and effective values are kept apart on purpose. The document properties hold exactly what the user gave
/// (null = not given), and export writes exactly that plus the resolved kubernetesVersion, so a configuration does not
/// grow kubeadm's defaults on a round trip and a default that changes between versions is not frozen into the file.
/// The convenience properties below (<see cref="KubernetesVersion"/>, <see cref="ServiceSubnet"/>,
/// <see cref="ImageRepository"/> ...) return the effective value: the user's, else kubeadm's default for the resolved
/// version (<see cref="KubeadmDefaults"/>). <see cref="WithDefaults"/> returns a copy with the defaults written in, the
/// form kubeadm stores in the cluster.
/// </para>
/// <para>
/// Convenience properties that parse (addresses, subnets) throw the same <see cref="KubeException"/> that
/// <see cref="Validate"/> reports; call <see cref="Validate"/> first.
/// </para>
/// </summary>
public sealed class KubeClusterConfiguration
{
    public InitConfiguration? Init { get; set; }

    /// <summary>The ClusterConfiguration; always present (empty when the source had none).</summary>
    public ClusterConfiguration Cluster { get; set; } = new();

    public JoinConfiguration? Join { get; set; }
    public KubeletConfiguration? Kubelet { get; set; }
    public KubeProxyConfiguration? KubeProxy { get; set; }

    /// <summary>v1beta4 ResetConfiguration / UpgradeConfiguration documents, kept as written.</summary>
    public List<KubeadmExtraDocument> ExtraDocuments { get; } = [];

    /// <summary>The kubeadm apiVersion of the source file (e.g. kubeadm.k8s.io/v1beta3), or null when built in code.</summary>
    public string? SourceApiVersion { get; internal set; }

    /// <summary>The file it was read from, if any.</summary>
    public string? SourcePath { get; internal set; }

    /// <summary>
    /// What reading the source found suspicious without refusing it, in file order: unknown fields of the
    /// KubeletConfiguration and KubeProxyConfiguration documents (kubeadm init/join warn about them too). Empty when
    /// built in code.
    /// </summary>
    public IReadOnlyList<ConfigurationWarning> Warnings { get; internal set; } = [];

    /// <summary>True when the source had a ClusterConfiguration document (or the configuration was built in code).</summary>
    internal bool ClusterGiven { get; set; }

    // ------------------------------------------------------------------ reading and writing

    /// <summary>Reads kubeadm configuration YAML (one or more documents). Does not validate; see <see cref="Validate"/>.</summary>
    public static KubeClusterConfiguration Parse(string yaml, string? sourceName = null) => KubeadmYamlReader.Read(yaml, sourceName);

    /// <summary>Reads a kubeadm configuration file. Does not validate.</summary>
    public static KubeClusterConfiguration ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeException("Config.FileNotReadable", $"Cannot read {path}: {e.Message}",
                e is FileNotFoundException or DirectoryNotFoundException ? KubeErrorCategory.ObjectNotFound : KubeErrorCategory.ReadError,
                path, "Check the path and its permissions.", e);
        }
        return Parse(text, path);
    }

    /// <summary>
    /// Writes the configuration as kubeadm YAML of <paramref name="apiVersion"/> (v1beta2, v1beta3 or v1beta4; null
    /// for the target version's default, never older than v1beta2).
    /// </summary>
    public string ToYaml(string? apiVersion = null) => KubeadmYamlWriter.Write(this, apiVersion ?? DefaultExportApiVersion);

    /// <summary>The kubeadm API version export uses by default: the one the target version's kubeadm writes.</summary>
    public string DefaultExportApiVersion
    {
        get
        {
            var v = Release.DefaultConfigApiVersion;
            return KubeadmApi.WritableVersions.Contains(v) ? v : KubeadmApi.WritableVersions[0];
        }
    }

    /// <summary>True when the configuration holds a bootstrap token or a certificate key (export files get mode 0600).</summary>
    public bool ContainsSecrets =>
        Init?.BootstrapTokens?.Any(t => t.Token is not null) == true || Init?.CertificateKey is not null ||
        Join?.Discovery?.BootstrapToken?.Token is not null || Join?.Discovery?.TlsBootstrapToken is not null ||
        Join?.ControlPlane?.CertificateKey is not null;

    // ------------------------------------------------------------------ building

    /// <summary>A new configuration with nothing given: kubeadm's defaults for the newest release in the catalog.</summary>
    public static KubeClusterConfiguration Default => new() { ClusterGiven = true };

    /// <summary>Builds a configuration from the common options (New-KubeClusterConfiguration) and validates it.</summary>
    public static KubeClusterConfiguration Create(NewClusterConfigurationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cfg = new KubeClusterConfiguration { ClusterGiven = true };
        var c = cfg.Cluster;
        c.KubernetesVersion = request.KubernetesVersion;
        c.ControlPlaneEndpoint = request.ControlPlaneEndpoint;
        c.ClusterName = request.ClusterName;
        c.CertificatesDir = request.CertificatesDir;
        c.ImageRepository = request.ImageRepository;
        c.EncryptionAlgorithm = request.EncryptionAlgorithm;
        if (request.PodSubnet is not null || request.ServiceSubnet is not null || request.DnsDomain is not null)
            c.Networking = new NetworkingOptions { PodSubnet = request.PodSubnet, ServiceSubnet = request.ServiceSubnet, DnsDomain = request.DnsDomain };
        if (request.CertSANs is { Count: > 0 }) c.ApiServer = new ApiServerOptions { CertSANs = request.CertSANs.ToList() };
        if (request.FeatureGates is { Count: > 0 }) c.FeatureGates = new(request.FeatureGates, StringComparer.Ordinal);
        if (request.ExternalEtcdEndpoints is { Count: > 0 })
            c.Etcd = new EtcdOptions
            {
                External = new ExternalEtcdOptions
                {
                    Endpoints = request.ExternalEtcdEndpoints.ToList(), CAFile = request.ExternalEtcdCAFile,
                    CertFile = request.ExternalEtcdCertFile, KeyFile = request.ExternalEtcdKeyFile,
                },
            };
        else if (request.EtcdServerCertSANs is { Count: > 0 } || request.EtcdPeerCertSANs is { Count: > 0 })
            c.Etcd = new EtcdOptions
            {
                Local = new LocalEtcdOptions { ServerCertSANs = request.EtcdServerCertSANs?.ToList(), PeerCertSANs = request.EtcdPeerCertSANs?.ToList() },
            };

        if (request.NodeName is not null || request.CriSocket is not null || request.AdvertiseAddress is not null || request.BindPort is not null)
        {
            cfg.Init = new InitConfiguration();
            if (request.NodeName is not null || request.CriSocket is not null)
                cfg.Init.NodeRegistration = new NodeRegistrationOptions { Name = request.NodeName, CriSocket = request.CriSocket };
            if (request.AdvertiseAddress is not null || request.BindPort is not null)
                cfg.Init.LocalApiEndpoint = new ApiEndpoint { AdvertiseAddress = request.AdvertiseAddress, BindPort = request.BindPort };
        }
        if (request.KubeProxyMode is not null)
        {
            cfg.KubeProxy = new KubeProxyConfiguration();
            cfg.KubeProxy.Set("mode", request.KubeProxyMode);
        }
        if (request.CgroupDriver is not null)
        {
            cfg.Kubelet = new KubeletConfiguration();
            cfg.Kubelet.Set("cgroupDriver", request.CgroupDriver);
        }
        cfg.Validate();
        return cfg;
    }

    /// <summary>A deep copy.</summary>
    public KubeClusterConfiguration Clone()
    {
        var c = new KubeClusterConfiguration
        {
            Init = Init?.Clone(), Cluster = Cluster.Clone(), Join = Join?.Clone(), Kubelet = Kubelet?.Clone(), KubeProxy = KubeProxy?.Clone(),
            SourceApiVersion = SourceApiVersion, SourcePath = SourcePath, ClusterGiven = ClusterGiven, Warnings = Warnings,
        };
        c.ExtraDocuments.AddRange(ExtraDocuments.Select(d => d.Clone()));
        return c;
    }

    /// <summary>
    /// A copy with kubeadm's defaults written into every field the user left empty (the defaulted ClusterConfiguration
    /// kubeadm uploads to kubeadm-config). Fields that depend on the node (node name, advertise address) stay empty.
    /// </summary>
    public KubeClusterConfiguration WithDefaults()
    {
        var d = Clone();
        var c = d.Cluster;
        var release = Release;
        c.KubernetesVersion = KubernetesVersion.ToString();
        c.ClusterName ??= KubeadmDefaults.ClusterName;
        c.CertificatesDir ??= KubeadmDefaults.CertificatesDir;
        c.ImageRepository ??= ImageRepository;
        c.Networking ??= new NetworkingOptions();
        c.Networking.ServiceSubnet ??= KubeadmDefaults.ServiceSubnet;
        c.Networking.DnsDomain ??= KubeadmDefaults.DnsDomain;
        c.Etcd ??= new EtcdOptions();
        if (c.Etcd.External is null)
        {
            c.Etcd.Local ??= new LocalEtcdOptions();
            c.Etcd.Local.DataDir ??= KubeadmDefaults.EtcdDataDir;
        }
        c.ApiServer ??= new ApiServerOptions();
        c.ControllerManager ??= new ControlPlaneComponentOptions();
        c.Scheduler ??= new ControlPlaneComponentOptions();
        c.Dns ??= new DnsOptions();
        if (release.ConfigurableValidity)
        {
            c.EncryptionAlgorithm ??= EncryptionAlgorithm;
            c.CertificateValidityPeriod ??= GoDuration.Format(CertificateValidityPeriod);
            c.CACertificateValidityPeriod ??= GoDuration.Format(CACertificateValidityPeriod);
            c.Proxy ??= new ProxyOptions();
        }
        else
        {
            c.ApiServer.TimeoutForControlPlane ??= GoDuration.Format(ControlPlaneHealthCheckTimeout);
        }
        foreach (var nr in new[] { d.Init?.NodeRegistration, d.Join?.NodeRegistration })
        {
            if (nr is null) continue;
            nr.CriSocket ??= CriSocket;
            if (KubeadmApi.Level(d.DefaultExportApiVersion) >= 3) nr.ImagePullPolicy ??= KubeadmDefaults.ImagePullPolicy;
        }
        if (d.Init is not null)
        {
            d.Init.LocalApiEndpoint ??= new ApiEndpoint();
            d.Init.LocalApiEndpoint.BindPort ??= KubeadmDefaults.BindPort;
            foreach (var t in d.Init.BootstrapTokens ?? [])
            {
                if (t.Expires is null) t.Ttl ??= GoDuration.Format(KubeadmDefaults.BootstrapTokenTtl);
                t.Usages ??= KubeadmDefaults.BootstrapTokenUsages.ToList();
                t.Groups ??= KubeadmDefaults.BootstrapTokenGroups.ToList();
            }
        }
        if (d.Join is not null)
        {
            d.Join.CACertPath ??= KubeadmDefaults.CACertPath;
            if (d.Join.ControlPlane is { } cp)
            {
                cp.LocalApiEndpoint ??= new ApiEndpoint();
                cp.LocalApiEndpoint.BindPort ??= KubeadmDefaults.BindPort;
            }
        }
        return d;
    }

    // ------------------------------------------------------------------ validation

    /// <summary>Every problem of the configuration, each a <see cref="KubeException"/> naming the value and what would be valid.</summary>
    public IReadOnlyList<KubeException> GetValidationErrors() => ConfigValidator.Validate(this);

    /// <summary>Throws all validation errors at once (<see cref="KubeAggregateException"/> when several) or returns this.</summary>
    public KubeClusterConfiguration Validate()
    {
        SkewPolicy.Throw(GetValidationErrors());
        return this;
    }

    // ------------------------------------------------------------------ effective values

    /// <summary>The exact Kubernetes version: kubernetesVersion resolved against the catalog (a minor or stable-1 to the newest patch).</summary>
    public KubeVersion KubernetesVersion => KubeadmDefaults.ResolveKubernetesVersion(Cluster.KubernetesVersion);

    /// <summary>The version catalog row of <see cref="KubernetesVersion"/>.</summary>
    public ReleaseInfo Release => VersionCatalog.Get(KubernetesVersion);

    /// <summary>nodeRegistration.name of the InitConfiguration, else of the JoinConfiguration; null when not given (kubeadm then uses the lower-cased host name).</summary>
    public string? NodeName => Init?.NodeRegistration?.Name ?? Join?.NodeRegistration?.Name;

    /// <summary>The node name to use on a host: <see cref="NodeName"/> or the host name in lower case, as kubeadm does.</summary>
    public string EffectiveNodeName(string hostName) => NodeName ?? hostName.Trim().ToLowerInvariant();

    /// <summary>
    /// The advertise address of this control-plane node (InitConfiguration localAPIEndpoint, else the JoinConfiguration's
    /// controlPlane.localAPIEndpoint); null when not given (kubeadm then uses the default-route interface's address).
    /// </summary>
    public IPAddress? AdvertiseAddress
    {
        get
        {
            var text = Init?.LocalApiEndpoint?.AdvertiseAddress ?? Join?.ControlPlane?.LocalApiEndpoint?.AdvertiseAddress;
            if (text is null) return null;
            return NetworkText.IsStrictIp(text, out var ip) ? ip : throw ConfigValidator.BadAddress(text, "localAPIEndpoint.advertiseAddress");
        }
    }

    /// <summary>The API server's secure port on this node (default 6443).</summary>
    public int BindPort => (int)(Init?.LocalApiEndpoint?.BindPort ?? Join?.ControlPlane?.LocalApiEndpoint?.BindPort ?? KubeadmDefaults.BindPort);

    /// <summary>networking.serviceSubnet as given or the default 10.96.0.0/12 (comma list for dual-stack).</summary>
    public string ServiceSubnet => Cluster.Networking?.ServiceSubnet ?? KubeadmDefaults.ServiceSubnet;

    /// <summary>The service subnets (one, or one per family for dual-stack); the first one holds the kubernetes and DNS service IPs.</summary>
    public IReadOnlyList<IPNetwork> ServiceSubnets => ParseCidrs(ServiceSubnet, "networking.serviceSubnet");

    /// <summary>networking.podSubnet as given, or null (no CIDR allocation by the controller manager).</summary>
    public string? PodSubnet => Cluster.Networking?.PodSubnet;

    /// <summary>The pod subnets (one, or one per family), or empty.</summary>
    public IReadOnlyList<IPNetwork> PodSubnets => PodSubnet is null ? [] : ParseCidrs(PodSubnet, "networking.podSubnet");

    /// <summary>networking.dnsDomain or cluster.local.</summary>
    public string DnsDomain => Cluster.Networking?.DnsDomain ?? KubeadmDefaults.DnsDomain;

    /// <summary>controlPlaneEndpoint as given (host[:port]), or null.</summary>
    public string? ControlPlaneEndpoint => Cluster.ControlPlaneEndpoint;

    /// <summary>The host part of controlPlaneEndpoint (port and IPv6 brackets removed), or null.</summary>
    public string? ControlPlaneEndpointHost =>
        ControlPlaneEndpoint is null ? null
        : NetworkText.TryParseHostPort(ControlPlaneEndpoint, out var host, out _) ? host : throw ConfigValidator.BadEndpoint(ControlPlaneEndpoint);

    /// <summary>The port of controlPlaneEndpoint, or <see cref="BindPort"/> when it has none (kubeadm's rule).</summary>
    public int ControlPlaneEndpointPort =>
        ControlPlaneEndpoint is not null && NetworkText.TryParseHostPort(ControlPlaneEndpoint, out _, out var port) && port is int p ? p : BindPort;

    /// <summary>apiServer.certSANs as given (empty when none).</summary>
    public IReadOnlyList<string> ApiServerCertSANs => Cluster.ApiServer?.CertSANs ?? [];

    /// <summary>etcd.local.serverCertSANs as given (empty when none).</summary>
    public IReadOnlyList<string> EtcdServerCertSANs => Cluster.Etcd?.Local?.ServerCertSANs ?? [];

    /// <summary>etcd.local.peerCertSANs as given (empty when none).</summary>
    public IReadOnlyList<string> EtcdPeerCertSANs => Cluster.Etcd?.Local?.PeerCertSANs ?? [];

    /// <summary>certificatesDir or /etc/kubernetes/pki.</summary>
    public string CertificatesDir => Cluster.CertificatesDir ?? KubeadmDefaults.CertificatesDir;

    /// <summary>clusterName or kubernetes.</summary>
    public string ClusterName => Cluster.ClusterName ?? KubeadmDefaults.ClusterName;

    /// <summary>imageRepository, else the default repository of the exact version (k8s.gcr.io or registry.k8s.io).</summary>
    public string ImageRepository => string.IsNullOrWhiteSpace(Cluster.ImageRepository)
        ? KubeadmDefaults.ImageRepository(KubernetesVersion) : Cluster.ImageRepository.TrimEnd('/');

    /// <summary>True with etcd.external.</summary>
    public bool IsExternalEtcd => Cluster.Etcd?.External is not null;

    /// <summary>etcd.local.dataDir or /var/lib/etcd.</summary>
    public string EtcdDataDir => Cluster.Etcd?.Local?.DataDir ?? KubeadmDefaults.EtcdDataDir;

    /// <summary>
    /// The key algorithm for keys and certificates: encryptionAlgorithm (1.31+), else ECDSA-P256 when the
    /// PublicKeysECDSA feature gate is on, else RSA-2048.
    /// </summary>
    public string EncryptionAlgorithm =>
        Cluster.EncryptionAlgorithm
        ?? (Cluster.FeatureGates?.TryGetValue("PublicKeysECDSA", out var ecdsa) == true && ecdsa ? "ECDSA-P256" : KubeadmDefaults.EncryptionAlgorithm);

    /// <summary>Validity of CA certificates: caCertificateValidityPeriod (1.31+) or 87600h (10 years).</summary>
    public TimeSpan CACertificateValidityPeriod => Cluster.CACertificateValidityPeriod is { } v
        ? GoDuration.Parse(v, "caCertificateValidityPeriod") : KubeadmDefaults.CACertificateValidityPeriod;

    /// <summary>Validity of leaf certificates: certificateValidityPeriod (1.31+) or 8760h (1 year).</summary>
    public TimeSpan CertificateValidityPeriod => Cluster.CertificateValidityPeriod is { } v
        ? GoDuration.Parse(v, "certificateValidityPeriod") : KubeadmDefaults.CertificateValidityPeriod;

    /// <summary>The first address of the first service subnet (10.96.0.1 for the default): the kubernetes Service's ClusterIP and an apiserver SAN.</summary>
    public IPAddress KubernetesServiceIP => NetworkText.IndexedAddress(ServiceSubnets[0], KubeadmDefaults.KubernetesServiceIndex);

    /// <summary>The 10th address of the first service subnet (10.96.0.10 for the default): the cluster DNS Service's ClusterIP.</summary>
    public IPAddress DnsServiceIP => NetworkText.IndexedAddress(ServiceSubnets[0], KubeadmDefaults.DnsServiceIndex);

    /// <summary>nodeRegistration.criSocket, else the version's default; a bare path gets unix:// from 1.24 as kubeadm adds it.</summary>
    public string CriSocket
    {
        get
        {
            var given = Init?.NodeRegistration?.CriSocket ?? Join?.NodeRegistration?.CriSocket;
            if (given is null) return KubeadmDefaults.CriSocket(KubernetesVersion);
            bool wantsScheme = Release.DefaultCriSocket.StartsWith("unix://", StringComparison.Ordinal);
            return wantsScheme && given.StartsWith('/') ? "unix://" + given : given;
        }
    }

    /// <summary>The image pull policy for init/join (default IfNotPresent).</summary>
    public string ImagePullPolicy => Init?.NodeRegistration?.ImagePullPolicy ?? Join?.NodeRegistration?.ImagePullPolicy ?? KubeadmDefaults.ImagePullPolicy;

    /// <summary>How long init/join wait for the control plane to be healthy (timeouts / apiServer.timeoutForControlPlane, default 4m).</summary>
    public TimeSpan ControlPlaneHealthCheckTimeout
    {
        get
        {
            var text = Init?.Timeouts?.ControlPlaneComponentHealthCheck ?? Join?.Timeouts?.ControlPlaneComponentHealthCheck
                       ?? Cluster.ApiServer?.TimeoutForControlPlane;
            return text is null ? KubeadmDefaults.ControlPlaneComponentHealthCheck : GoDuration.Parse(text, "controlPlaneComponentHealthCheck");
        }
    }

    /// <summary>
    /// The taints a control-plane node registers with: nodeRegistration.taints when given (an empty list means none),
    /// else the catalog's control-plane taints of the version (key:Effect).
    /// </summary>
    public IReadOnlyList<string> ControlPlaneTaints
    {
        get
        {
            var given = Init?.NodeRegistration?.Taints ?? (Join?.ControlPlane is not null ? Join.NodeRegistration?.Taints : null);
            return given is null ? Release.ControlPlaneTaints : given.Select(t => t.ToString()).ToList();
        }
    }

    /// <summary>Whether a kubeadm feature gate is on: the configuration's value, else the gate's default for the version.</summary>
    public bool IsFeatureGateEnabled(string gate) =>
        Cluster.FeatureGates?.TryGetValue(gate, out var on) == true ? on : Release.FeatureGateDefault(gate);

    /// <summary>Version, endpoint and subnets; never secrets.</summary>
    public override string ToString()
    {
        string version;
        try { version = KubernetesVersion.ToString(); }
        catch (KubeException) { version = Cluster.KubernetesVersion ?? "?"; }
        return $"KubeClusterConfiguration {version} {ControlPlaneEndpoint ?? "(no controlPlaneEndpoint)"} services {ServiceSubnet}" +
               (PodSubnet is null ? "" : $" pods {PodSubnet}");
    }

    static IReadOnlyList<IPNetwork> ParseCidrs(string text, string field) =>
        NetworkText.TryParseCidrList(text, out var list) ? list : throw ConfigValidator.BadCidr(text, field);

    internal static bool IsIPv6(IPNetwork n) => n.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
}

/// <summary>The options of New-KubeClusterConfiguration, all optional.</summary>
public sealed class NewClusterConfigurationRequest
{
    public string? KubernetesVersion { get; init; }
    public string? ControlPlaneEndpoint { get; init; }
    public string? PodSubnet { get; init; }
    public string? ServiceSubnet { get; init; }
    public string? DnsDomain { get; init; }
    public string? ImageRepository { get; init; }
    public IReadOnlyList<string>? CertSANs { get; init; }
    public string? ClusterName { get; init; }
    public string? CertificatesDir { get; init; }
    public string? NodeName { get; init; }
    public string? AdvertiseAddress { get; init; }
    public long? BindPort { get; init; }
    public string? CriSocket { get; init; }
    public string? EncryptionAlgorithm { get; init; }
    public IReadOnlyDictionary<string, bool>? FeatureGates { get; init; }
    public IReadOnlyList<string>? EtcdServerCertSANs { get; init; }
    public IReadOnlyList<string>? EtcdPeerCertSANs { get; init; }
    public IReadOnlyList<string>? ExternalEtcdEndpoints { get; init; }
    public string? ExternalEtcdCAFile { get; init; }
    public string? ExternalEtcdCertFile { get; init; }
    public string? ExternalEtcdKeyFile { get; init; }
    public string? KubeProxyMode { get; init; }
    public string? CgroupDriver { get; init; }
}
