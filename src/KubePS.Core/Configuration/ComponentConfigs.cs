namespace KubePS.Core.Configuration;

/// <summary>
/// A component configuration document KubePS passes through: the user's YAML content is kept as written (in
/// <see cref="Document"/>, including apiVersion and kind) so that it is written back unchanged and can later be merged
/// with kubeadm's defaults. A few typed getters read the fields KubePS itself needs.
/// </summary>
public abstract class ComponentConfigDocument
{
    private protected ComponentConfigDocument(ConfigMapping document) => Document = document;

    /// <summary>The whole document, apiVersion and kind included.</summary>
    public ConfigMapping Document { get; }

    public string ApiVersion => Document.GetString("apiVersion") ?? "";
    public string Kind => Document.GetString("kind") ?? "";

    /// <summary>The scalar at a dotted path (<c>ipvs.strictARP</c>), or null.</summary>
    public string? Get(string path)
    {
        ConfigNode? node = Document;
        foreach (var part in path.Split('.'))
            node = node is ConfigMapping m ? m[part] : null;
        return node is ConfigScalar s && !s.IsNull ? s.Value : null;
    }

    /// <summary>Sets the scalar at a dotted path, creating mappings on the way (a string unless <paramref name="plain"/>).</summary>
    public void Set(string path, string value, bool plain = false)
    {
        var parts = path.Split('.');
        var m = Document;
        foreach (var part in parts[..^1])
        {
            if (m[part] is not ConfigMapping child) { child = new ConfigMapping(); m[part] = child; }
            m = child;
        }
        m[parts[^1]] = plain ? ConfigScalar.Plain(value) : ConfigScalar.String(value);
    }

    public override string ToString() => $"{Kind} ({ApiVersion}, {Document.Count} fields)";
}

/// <summary>A KubeletConfiguration (kubelet.config.k8s.io/v1beta1) given with the kubeadm configuration.</summary>
public sealed class KubeletConfiguration : ComponentConfigDocument
{
    public const string ApiVersionValue = "kubelet.config.k8s.io/v1beta1";
    public const string KindValue = "KubeletConfiguration";

    public KubeletConfiguration(ConfigMapping document) : base(document) { }

    /// <summary>An empty document with apiVersion and kind.</summary>
    public KubeletConfiguration() : this(NewDocument(ApiVersionValue, KindValue)) { }

    /// <summary>cgroupDriver: systemd or cgroupfs (null when not given).</summary>
    public string? CgroupDriver => Get("cgroupDriver");
    public string? ClusterDomain => Get("clusterDomain");
    public string? ContainerRuntimeEndpoint => Get("containerRuntimeEndpoint");
    public string? FailSwapOn => Get("failSwapOn");

    /// <summary>clusterDNS addresses, or an empty list.</summary>
    public IReadOnlyList<string> ClusterDns =>
        Document["clusterDNS"] is ConfigSequence s ? s.Items.OfType<ConfigScalar>().Select(i => i.Value).ToList() : [];

    internal KubeletConfiguration Clone() => new((ConfigMapping)Document.DeepClone());

    internal static ConfigMapping NewDocument(string apiVersion, string kind)
    {
        var m = new ConfigMapping();
        m["apiVersion"] = ConfigScalar.String(apiVersion);
        m["kind"] = ConfigScalar.String(kind);
        return m;
    }
}

/// <summary>A KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1) given with the kubeadm configuration.</summary>
public sealed class KubeProxyConfiguration : ComponentConfigDocument
{
    public const string ApiVersionValue = "kubeproxy.config.k8s.io/v1alpha1";
    public const string KindValue = "KubeProxyConfiguration";

    public KubeProxyConfiguration(ConfigMapping document) : base(document) { }

    public KubeProxyConfiguration() : this(KubeletConfiguration.NewDocument(ApiVersionValue, KindValue)) { }

    /// <summary>mode: iptables, ipvs, nftables (empty or null: the kube-proxy default).</summary>
    public string? Mode => Get("mode");
    public string? ClusterCidr => Get("clusterCIDR");
    public string? IpvsScheduler => Get("ipvs.scheduler");
    public string? IpvsStrictArp => Get("ipvs.strictARP");

    internal KubeProxyConfiguration Clone() => new((ConfigMapping)Document.DeepClone());
}

/// <summary>
/// A v1beta4 kubeadm document KubePS keeps without a typed model (ResetConfiguration, UpgradeConfiguration): accepted,
/// kept as written, and written back when exporting v1beta4.
/// </summary>
public sealed class KubeadmExtraDocument : ComponentConfigDocument
{
    public KubeadmExtraDocument(ConfigMapping document) : base(document) { }

    internal KubeadmExtraDocument Clone() => new((ConfigMapping)Document.DeepClone());
}
