using KubePS.Core.Bootstrap;
namespace KubePS.Core.Configuration;

/// <summary>kubeadm's InitConfiguration: what only the first control-plane node's init uses (never uploaded to the cluster).</summary>
public sealed class InitConfiguration
{
    public List<BootstrapToken>? BootstrapTokens { get; set; }
    public NodeRegistrationOptions? NodeRegistration { get; set; }
    public ApiEndpoint? LocalApiEndpoint { get; set; }
    /// <summary>The upload-certs key; never shown by ToString.</summary>
    public CertificateKey? CertificateKey { get; set; }
    /// <summary>v1beta3+.</summary>
    public List<string>? SkipPhases { get; set; }
    /// <summary>v1beta3+.</summary>
    public KubeadmPatches? Patches { get; set; }
    /// <summary>v1beta4.</summary>
    public bool? DryRun { get; set; }
    /// <summary>v1beta4.</summary>
    public KubeadmTimeouts? Timeouts { get; set; }

    internal InitConfiguration Clone()
    {
        var c = (InitConfiguration)MemberwiseClone();
        c.BootstrapTokens = BootstrapTokens?.Select(t => t.Clone()).ToList();
        c.NodeRegistration = NodeRegistration?.Clone();
        c.LocalApiEndpoint = LocalApiEndpoint?.Clone();
        c.SkipPhases = SkipPhases?.ToList();
        c.Patches = Patches?.Clone();
        c.Timeouts = Timeouts?.Clone();
        return c;
    }
}

/// <summary>kubeadm's JoinConfiguration: how a node finds and joins the cluster.</summary>
public sealed class JoinConfiguration
{
    public NodeRegistrationOptions? NodeRegistration { get; set; }
    public string? CACertPath { get; set; }
    public DiscoveryOptions? Discovery { get; set; }
    /// <summary>Set for a control-plane join; null for a worker.</summary>
    public JoinControlPlane? ControlPlane { get; set; }
    /// <summary>v1beta3+.</summary>
    public List<string>? SkipPhases { get; set; }
    /// <summary>v1beta3+.</summary>
    public KubeadmPatches? Patches { get; set; }
    /// <summary>v1beta4.</summary>
    public bool? DryRun { get; set; }
    /// <summary>v1beta4.</summary>
    public KubeadmTimeouts? Timeouts { get; set; }

    internal JoinConfiguration Clone()
    {
        var c = (JoinConfiguration)MemberwiseClone();
        c.NodeRegistration = NodeRegistration?.Clone();
        c.Discovery = Discovery?.Clone();
        c.ControlPlane = ControlPlane?.Clone();
        c.SkipPhases = SkipPhases?.ToList();
        c.Patches = Patches?.Clone();
        c.Timeouts = Timeouts?.Clone();
        return c;
    }
}

/// <summary>nodeRegistration: how the node registers itself with the API server.</summary>
public sealed class NodeRegistrationOptions
{
    public string? Name { get; set; }
    public string? CriSocket { get; set; }
    /// <summary>null: kubeadm's default (the control-plane taint on control-plane nodes); empty list: no taints.</summary>
    public List<KubeTaint>? Taints { get; set; }
    public List<KubeArg>? KubeletExtraArgs { get; set; }
    public List<string>? IgnorePreflightErrors { get; set; }
    /// <summary>v1beta3+: Always, IfNotPresent or Never.</summary>
    public string? ImagePullPolicy { get; set; }
    /// <summary>v1beta4.</summary>
    public bool? ImagePullSerial { get; set; }

    internal NodeRegistrationOptions Clone()
    {
        var c = (NodeRegistrationOptions)MemberwiseClone();
        c.Taints = Taints?.Select(t => t.Clone()).ToList();
        c.KubeletExtraArgs = KubeletExtraArgs?.ToList();
        c.IgnorePreflightErrors = IgnorePreflightErrors?.ToList();
        return c;
    }
}

/// <summary>A node taint (core/v1 Taint).</summary>
public sealed class KubeTaint
{
    public string? Key { get; set; }
    public string? Value { get; set; }
    /// <summary>NoSchedule, PreferNoSchedule or NoExecute.</summary>
    public string? Effect { get; set; }
    public string? TimeAdded { get; set; }

    internal KubeTaint Clone() => (KubeTaint)MemberwiseClone();

    public override string ToString() => Value is null ? $"{Key}:{Effect}" : $"{Key}={Value}:{Effect}";
}

/// <summary>localAPIEndpoint: the address and port this node's API server advertises and binds.</summary>
public sealed class ApiEndpoint
{
    public string? AdvertiseAddress { get; set; }
    /// <summary>An int so that an out-of-range value from a file can be reported by validation.</summary>
    public long? BindPort { get; set; }

    internal ApiEndpoint Clone() => (ApiEndpoint)MemberwiseClone();
}

/// <summary>One bootstrap token kubeadm init creates (bootstrapTokens).</summary>
public sealed class BootstrapToken
{
    /// <summary>id.secret; generated when null.</summary>
    public BootstrapTokenString? Token { get; set; }
    public string? Description { get; set; }
    /// <summary>Go duration; default 24h. Mutually exclusive with <see cref="Expires"/>.</summary>
    public string? Ttl { get; set; }
    /// <summary>RFC 3339 time.</summary>
    public string? Expires { get; set; }
    /// <summary>signing, authentication.</summary>
    public List<string>? Usages { get; set; }
    public List<string>? Groups { get; set; }

    internal BootstrapToken Clone()
    {
        var c = (BootstrapToken)MemberwiseClone();
        c.Usages = Usages?.ToList();
        c.Groups = Groups?.ToList();
        return c;
    }
}

/// <summary>discovery: how a joining node finds and trusts the cluster.</summary>
public sealed class DiscoveryOptions
{
    public BootstrapTokenDiscovery? BootstrapToken { get; set; }
    public FileDiscovery? File { get; set; }
    /// <summary>Token for the kubelet's TLS bootstrap; defaults to the discovery token.</summary>
    public BootstrapTokenString? TlsBootstrapToken { get; set; }
    /// <summary>v1beta2/v1beta3 only; v1beta4 moved it to timeouts.discovery.</summary>
    public string? Timeout { get; set; }

    internal DiscoveryOptions Clone() => new()
    {
        BootstrapToken = BootstrapToken?.Clone(), File = File?.Clone(), TlsBootstrapToken = TlsBootstrapToken, Timeout = Timeout,
    };
}

/// <summary>discovery.bootstrapToken: token discovery with CA pinning.</summary>
public sealed class BootstrapTokenDiscovery
{
    public BootstrapTokenString? Token { get; set; }
    public string? ApiServerEndpoint { get; set; }
    /// <summary>sha256:&lt;64 hex&gt; pins of the cluster CA's public key.</summary>
    public List<string>? CACertHashes { get; set; }
    public bool? UnsafeSkipCAVerification { get; set; }

    internal BootstrapTokenDiscovery Clone()
    {
        var c = (BootstrapTokenDiscovery)MemberwiseClone();
        c.CACertHashes = CACertHashes?.ToList();
        return c;
    }
}

/// <summary>discovery.file: a kubeconfig file or https URL with the cluster information.</summary>
public sealed class FileDiscovery
{
    public string? KubeConfigPath { get; set; }

    internal FileDiscovery Clone() => (FileDiscovery)MemberwiseClone();
}

/// <summary>controlPlane of a JoinConfiguration: the new control-plane instance on the joining node.</summary>
public sealed class JoinControlPlane
{
    public ApiEndpoint? LocalApiEndpoint { get; set; }
    public CertificateKey? CertificateKey { get; set; }

    internal JoinControlPlane Clone() => new() { LocalApiEndpoint = LocalApiEndpoint?.Clone(), CertificateKey = CertificateKey };
}

/// <summary>patches (v1beta3+): a directory of patch files for the components kubeadm deploys.</summary>
public sealed class KubeadmPatches
{
    public string? Directory { get; set; }

    internal KubeadmPatches Clone() => (KubeadmPatches)MemberwiseClone();
}

/// <summary>timeouts (v1beta4): Go durations for the waits of init, join, reset and upgrade.</summary>
public sealed class KubeadmTimeouts
{
    public string? ControlPlaneComponentHealthCheck { get; set; }
    public string? KubeletHealthCheck { get; set; }
    public string? KubernetesApiCall { get; set; }
    public string? EtcdApiCall { get; set; }
    public string? TlsBootstrap { get; set; }
    public string? Discovery { get; set; }
    public string? UpgradeManifests { get; set; }

    internal KubeadmTimeouts Clone() => (KubeadmTimeouts)MemberwiseClone();

    internal IEnumerable<(string Field, string? Value)> All() =>
    [
        ("controlPlaneComponentHealthCheck", ControlPlaneComponentHealthCheck), ("kubeletHealthCheck", KubeletHealthCheck),
        ("kubernetesAPICall", KubernetesApiCall), ("etcdAPICall", EtcdApiCall), ("tlsBootstrap", TlsBootstrap),
        ("discovery", Discovery), ("upgradeManifests", UpgradeManifests),
    ];
}
