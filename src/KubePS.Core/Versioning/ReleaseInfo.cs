using System.Text.Json.Serialization;

namespace KubePS.Core.Versioning;

/// <summary>A value that changed within a minor's patch releases: <see cref="Value"/> holds from patch <see cref="From"/> on.</summary>
public sealed record PatchValue(int From, string Value);

/// <summary>The network plugin releases for one Kubernetes minor: flannel with its CNI plugin image, and Calico.</summary>
public sealed class NetworkPluginVersions
{
    [JsonPropertyName("flannel")] public string Flannel { get; init; } = "";
    [JsonPropertyName("flannelCniPlugin")] public string FlannelCniPlugin { get; init; } = "";
    [JsonPropertyName("calico")] public string Calico { get; init; } = "";
}

/// <summary>
/// What kubeadm does differently for one Kubernetes minor: one row of the version catalog (catalog.json).
/// Everything that differs by version is read from here, never decided by an <c>if</c> on a version number elsewhere.
/// Entries marked unverified in catalog.json's "notes" were not confirmed from kubeadm's source.
/// </summary>
public sealed class ReleaseInfo
{
    /// <summary>The minor, e.g. 1.30.</summary>
    [JsonIgnore] public KubeVersion Minor { get; internal set; } = null!;

    [JsonPropertyName("minor")] public string MinorText { get; init; } = "";

    /// <summary>The newest patch release of this minor the catalog knows.</summary>
    [JsonPropertyName("newestPatch")] public int NewestPatch { get; init; }

    [JsonPropertyName("imageRepository")] public IReadOnlyList<PatchValue> ImageRepositoryByPatch { get; init; } = [];
    [JsonPropertyName("etcd")] public IReadOnlyList<PatchValue> EtcdByPatch { get; init; } = [];
    [JsonPropertyName("coreDns")] public IReadOnlyList<PatchValue> CoreDnsByPatch { get; init; } = [];
    [JsonPropertyName("pause")] public string PauseVersion { get; init; } = "";

    /// <summary>kubeadm.k8s.io API versions this minor's kubeadm reads.</summary>
    [JsonPropertyName("configApis")] public IReadOnlyList<string> ConfigApiVersions { get; init; } = [];
    /// <summary>The kubeadm.k8s.io API version this minor writes and stores in kubeadm-config.</summary>
    [JsonPropertyName("defaultConfigApi")] public string DefaultConfigApiVersion { get; init; } = "";

    /// <summary>Labels mark-control-plane puts on a control-plane node (value always "").</summary>
    [JsonPropertyName("controlPlaneLabels")] public IReadOnlyList<string> ControlPlaneLabels { get; init; } = [];
    /// <summary>Taints mark-control-plane puts on a control-plane node, as key:Effect.</summary>
    [JsonPropertyName("controlPlaneTaints")] public IReadOnlyList<string> ControlPlaneTaints { get; init; } = [];

    [JsonPropertyName("controllerManagerPort")] public int ControllerManagerSecurePort { get; init; } = 10257;
    [JsonPropertyName("schedulerPort")] public int SchedulerSecurePort { get; init; } = 10259;

    /// <summary>super-admin.conf is written by init (1.29+).</summary>
    [JsonPropertyName("superAdminConf")] public bool HasSuperAdminConf { get; init; }
    /// <summary>O of admin.conf and apiserver-kubelet-client: system:masters, or kubeadm:cluster-admins from 1.29.</summary>
    [JsonPropertyName("adminGroup")] public string AdminGroup { get; init; } = "system:masters";
    /// <summary>O of apiserver-etcd-client and etcd healthcheck-client: system:masters up to 1.28, none after.</summary>
    [JsonPropertyName("etcdClientGroup")] public string? EtcdClientGroup { get; init; }

    /// <summary>CA certificates get a random serial (1.28+); before, serial 0.</summary>
    [JsonPropertyName("caSerialRandom")] public bool CASerialRandom { get; init; }
    /// <summary>CA NotBefore is backdated by this many minutes (5 from 1.28; 0 before).</summary>
    [JsonPropertyName("caBackdateMinutes")] public int CABackdateMinutes { get; init; }
    /// <summary>CA certificates carry their CN as a DNS SAN (≈1.22+).</summary>
    [JsonPropertyName("caDnsSan")] public bool CAHasDnsSan { get; init; }
    /// <summary>CA SubjectKeyId and leaf AuthorityKeyId present (Go ≥ 1.15 builds, ≈1.19+).</summary>
    [JsonPropertyName("keyIdentifiers")] public bool KeyIdentifiers { get; init; }
    /// <summary>
    /// The auto-generated CA SubjectKeyId is the first 160 bits of SHA-256 of the public key instead of SHA-1: Go 1.25's
    /// crypto/x509 default (GODEBUG x509sha256skid=1), in Kubernetes releases built with <c>godebug default=go1.25</c> or later
    /// (1.35+; the exact first release is unverified).
    /// </summary>
    [JsonPropertyName("caSkidSha256")] public bool CASkidTruncatedSha256 { get; init; }

    /// <summary>Leaf certificates carry a critical BasicConstraints CA=false (≈1.21+).</summary>
    [JsonPropertyName("leafBasicConstraints")] public bool LeafBasicConstraints { get; init; }
    /// <summary>DNS SANs sorted and de-duplicated, IPs de-duplicated (≈1.20+); before: build order.</summary>
    [JsonPropertyName("sortedSans")] public bool SortedSans { get; init; }
    /// <summary>The v1beta4 validity periods and encryptionAlgorithm are honoured (1.31+).</summary>
    [JsonPropertyName("configurableValidity")] public bool ConfigurableValidity { get; init; }

    /// <summary>Upstream kubelet skew: a kubelet may be this many minors older than the API server.</summary>
    [JsonPropertyName("kubeletSkew")] public int KubeletSkew { get; init; }
    /// <summary>kubeadm's MinimumKubeletVersion: minors below this release's kubeadm (1 up to 1.28, 3 from 1.29).</summary>
    [JsonPropertyName("kubeadmKubeletFloor")] public int KubeadmKubeletFloor { get; init; }

    /// <summary>Control-plane join adds the etcd member as a learner then promotes it (1.29+ by default).</summary>
    [JsonPropertyName("etcdLearner")] public bool EtcdLearnerByDefault { get; init; }
    /// <summary>kubelet-config ConfigMap name: kubelet-config-1.NN up to 1.23, kubelet-config after.</summary>
    [JsonPropertyName("versionedKubeletConfigMap")] public bool VersionedKubeletConfigMap { get; init; }
    /// <summary>Default CRI socket for this minor.</summary>
    [JsonPropertyName("defaultCriSocket")] public string DefaultCriSocket { get; init; } = "unix:///var/run/containerd/containerd.sock";
    /// <summary>kubeadm packages are served by pkgs.k8s.io (1.24+); older ones only as release binaries or from mirrors.</summary>
    [JsonPropertyName("pkgsK8sIo")] public bool ServedByPkgsK8sIo { get; init; }

    /// <summary>The network plugin versions Install-KubeNetworkPlugin deploys on this minor (catalog.json "_networkPlugins").</summary>
    [JsonPropertyName("networkPlugins")] public NetworkPluginVersions NetworkPlugins { get; init; } = new();

    /// <summary>kubeadm feature gates this minor knows, by name, with their stage: alpha, beta, ga or deprecated
    /// (catalog.json "_featureGates"). A gate not listed is unknown to this minor's kubeadm.</summary>
    [JsonPropertyName("featureGates")] public IReadOnlyDictionary<string, string> FeatureGates { get; init; } = new Dictionary<string, string>();

    /// <summary>Values ClusterConfiguration.encryptionAlgorithm accepts (v1beta4, 1.31+); empty before 1.31, where keys are
    /// RSA-2048 unless the PublicKeysECDSA feature gate selects ECDSA-P256.</summary>
    [JsonPropertyName("encryptionAlgorithms")] public IReadOnlyList<string> EncryptionAlgorithms { get; init; } = [];

    /// <summary>Manifest/flag facts by name (e.g. "apiserver.insecure-port"); see catalog.json "_features".</summary>
    [JsonPropertyName("features")] public IReadOnlyList<string> Features { get; init; } = [];

    /// <summary>What in this row could not be confirmed from kubeadm's source.</summary>
    [JsonPropertyName("unverified")] public IReadOnlyList<string> Unverified { get; init; } = [];

    public bool Has(string feature) => Features.Contains(feature, StringComparer.Ordinal);

    /// <summary>Whether a kubeadm feature gate is on when the configuration does not set it (beta and GA gates are).</summary>
    public bool FeatureGateDefault(string gate) =>
        FeatureGates.TryGetValue(gate, out var stage) && (stage == "beta" || stage == "ga");

    public string ImageRepository(int patch) => ByPatch(ImageRepositoryByPatch, patch, "imageRepository");
    public string EtcdVersion(int patch) => ByPatch(EtcdByPatch, patch, "etcd");
    public string CoreDnsVersion(int patch) => ByPatch(CoreDnsByPatch, patch, "coreDns");

    /// <summary>The kubelet-config ConfigMap name for this minor.</summary>
    public string KubeletConfigMapName => VersionedKubeletConfigMap ? $"kubelet-config-{Minor.Major}.{Minor.Minor}" : "kubelet-config";

    string ByPatch(IReadOnlyList<PatchValue> values, int patch, string what)
    {
        string? result = null;
        foreach (var v in values)
            if (v.From <= patch) result = v.Value;
        return result ?? throw new InvalidOperationException($"catalog row {MinorText} has no {what} for patch {patch}");
    }

    public override string ToString() => Minor.ToString();
}
