namespace KubePS.Core.Configuration;

// The kubeadm configuration model. Every property holds exactly what the user gave: null means "not given" (kubeadm's
// default applies, read through KubeClusterConfiguration's convenience properties and KubeadmDefaults), an empty list
// means "given as empty". Field names follow kubeadm's (kubeadm.k8s.io v1beta2..v1beta4); fields of one API version only
// say so. Durations are kept as Go duration text (GoDuration) so that they are written back as given.

/// <summary>kubeadm's ClusterConfiguration: the cluster-wide part, uploaded to the kubeadm-config ConfigMap.</summary>
public sealed class ClusterConfiguration
{
    /// <summary>kubernetesVersion as given: v1.30.4, 1.30.4, 1.30, or a label (stable, stable-1, stable-1.30).</summary>
    public string? KubernetesVersion { get; set; }
    public string? ControlPlaneEndpoint { get; set; }
    public string? ClusterName { get; set; }
    public string? CertificatesDir { get; set; }
    public string? ImageRepository { get; set; }
    public NetworkingOptions? Networking { get; set; }
    public EtcdOptions? Etcd { get; set; }
    public ApiServerOptions? ApiServer { get; set; }
    public ControlPlaneComponentOptions? ControllerManager { get; set; }
    public ControlPlaneComponentOptions? Scheduler { get; set; }
    public DnsOptions? Dns { get; set; }
    /// <summary>v1beta4: proxy.disabled.</summary>
    public ProxyOptions? Proxy { get; set; }
    public Dictionary<string, bool>? FeatureGates { get; set; }
    /// <summary>v1beta4: RSA-2048, RSA-3072, RSA-4096, ECDSA-P256 (or ECDSA-P384 from 1.34).</summary>
    public string? EncryptionAlgorithm { get; set; }
    /// <summary>v1beta4: validity of leaf certificates (Go duration, default 8760h).</summary>
    public string? CertificateValidityPeriod { get; set; }
    /// <summary>v1beta4: validity of CA certificates (Go duration, default 87600h).</summary>
    public string? CACertificateValidityPeriod { get; set; }

    internal ClusterConfiguration Clone()
    {
        var c = (ClusterConfiguration)MemberwiseClone();
        c.Networking = Networking?.Clone();
        c.Etcd = Etcd?.Clone();
        c.ApiServer = ApiServer?.CloneApiServer();
        c.ControllerManager = ControllerManager?.Clone();
        c.Scheduler = Scheduler?.Clone();
        c.Dns = Dns?.Clone();
        c.Proxy = Proxy?.Clone();
        c.FeatureGates = FeatureGates is null ? null : new(FeatureGates, StringComparer.Ordinal);
        return c;
    }
}

/// <summary>networking: service and pod subnets (comma lists for dual-stack) and the cluster DNS domain.</summary>
public sealed class NetworkingOptions
{
    public string? ServiceSubnet { get; set; }
    public string? PodSubnet { get; set; }
    public string? DnsDomain { get; set; }

    internal NetworkingOptions Clone() => (NetworkingOptions)MemberwiseClone();
}

/// <summary>etcd: either <see cref="Local"/> (a static-pod etcd per control-plane node) or <see cref="External"/>.</summary>
public sealed class EtcdOptions
{
    public LocalEtcdOptions? Local { get; set; }
    public ExternalEtcdOptions? External { get; set; }

    internal EtcdOptions Clone() => new() { Local = Local?.Clone(), External = External?.Clone() };
}

/// <summary>etcd.local.</summary>
public sealed class LocalEtcdOptions
{
    public string? ImageRepository { get; set; }
    public string? ImageTag { get; set; }
    public string? DataDir { get; set; }
    public List<KubeArg>? ExtraArgs { get; set; }
    /// <summary>v1beta4.</summary>
    public List<KubeEnvVar>? ExtraEnvs { get; set; }
    public List<string>? ServerCertSANs { get; set; }
    public List<string>? PeerCertSANs { get; set; }

    internal LocalEtcdOptions Clone()
    {
        var c = (LocalEtcdOptions)MemberwiseClone();
        c.ExtraArgs = ExtraArgs?.ToList();
        c.ExtraEnvs = ExtraEnvs?.Select(e => e.Clone()).ToList();
        c.ServerCertSANs = ServerCertSANs?.ToList();
        c.PeerCertSANs = PeerCertSANs?.ToList();
        return c;
    }
}

/// <summary>etcd.external: endpoints and the client TLS files on the control-plane nodes.</summary>
public sealed class ExternalEtcdOptions
{
    public List<string>? Endpoints { get; set; }
    public string? CAFile { get; set; }
    public string? CertFile { get; set; }
    public string? KeyFile { get; set; }

    internal ExternalEtcdOptions Clone()
    {
        var c = (ExternalEtcdOptions)MemberwiseClone();
        c.Endpoints = Endpoints?.ToList();
        return c;
    }
}

/// <summary>controllerManager / scheduler (and the common part of apiServer).</summary>
public class ControlPlaneComponentOptions
{
    /// <summary>Flags without leading dashes, in order; v1beta2/v1beta3 maps convert to this list.</summary>
    public List<KubeArg>? ExtraArgs { get; set; }
    public List<HostPathMount>? ExtraVolumes { get; set; }
    /// <summary>v1beta4.</summary>
    public List<KubeEnvVar>? ExtraEnvs { get; set; }

    internal ControlPlaneComponentOptions Clone()
    {
        var c = (ControlPlaneComponentOptions)MemberwiseClone();
        CopyLists(c);
        return c;
    }

    private protected void CopyLists(ControlPlaneComponentOptions c)
    {
        c.ExtraArgs = ExtraArgs?.ToList();
        c.ExtraVolumes = ExtraVolumes?.Select(v => v.Clone()).ToList();
        c.ExtraEnvs = ExtraEnvs?.Select(e => e.Clone()).ToList();
    }
}

/// <summary>apiServer: the component options plus certSANs and (v1beta2/v1beta3) timeoutForControlPlane.</summary>
public sealed class ApiServerOptions : ControlPlaneComponentOptions
{
    public List<string>? CertSANs { get; set; }
    /// <summary>v1beta2/v1beta3 only; v1beta4 moved it to timeouts.controlPlaneComponentHealthCheck.</summary>
    public string? TimeoutForControlPlane { get; set; }

    internal ApiServerOptions CloneApiServer()
    {
        var c = (ApiServerOptions)MemberwiseClone();
        CopyLists(c);
        c.CertSANs = CertSANs?.ToList();
        return c;
    }
}

/// <summary>dns: the CoreDNS image and (v1beta4) whether the addon is disabled.</summary>
public sealed class DnsOptions
{
    public string? ImageRepository { get; set; }
    public string? ImageTag { get; set; }
    /// <summary>v1beta4.</summary>
    public bool? Disabled { get; set; }

    internal DnsOptions Clone() => (DnsOptions)MemberwiseClone();
}

/// <summary>proxy (v1beta4): whether the kube-proxy addon is disabled.</summary>
public sealed class ProxyOptions
{
    public bool? Disabled { get; set; }

    internal ProxyOptions Clone() => (ProxyOptions)MemberwiseClone();
}

/// <summary>A hostPath volume for a control-plane component (extraVolumes).</summary>
public sealed class HostPathMount
{
    public string? Name { get; set; }
    public string? HostPath { get; set; }
    public string? MountPath { get; set; }
    public bool? ReadOnly { get; set; }
    public string? PathType { get; set; }

    internal HostPathMount Clone() => (HostPathMount)MemberwiseClone();
}

/// <summary>One command-line flag of a component: <c>--Name=Value</c> (kubeadm's Arg).</summary>
public sealed record KubeArg(string Name, string Value)
{
    public override string ToString() => $"--{Name}={Value}";
}

/// <summary>An environment variable for a component (v1beta4 extraEnvs): a value or a valueFrom source kept as written.</summary>
public sealed class KubeEnvVar
{
    public string? Name { get; set; }
    public string? Value { get; set; }
    /// <summary>valueFrom, kept as YAML (secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef).</summary>
    public ConfigMapping? ValueFrom { get; set; }

    internal KubeEnvVar Clone() => new() { Name = Name, Value = Value, ValueFrom = (ConfigMapping?)ValueFrom?.DeepClone() };
}
