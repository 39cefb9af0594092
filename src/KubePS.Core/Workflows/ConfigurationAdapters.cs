using System.Net;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Configuration;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Manifests;
using KubePS.Core.Nodes;
using Cfg = KubePS.Core.Configuration;
using M = KubePS.Core.Manifests;

namespace KubePS.Core.Workflows;

/// <summary>
/// The one place where the configuration model (<see cref="KubeClusterConfiguration"/>) is turned into the renderers'
/// requests: static Pod manifests (<see cref="ControlPlaneManifestRequest"/>), the kubelet files
/// (<see cref="KubeletRequest"/>) and the cluster objects (<see cref="ClusterObjectsRequest"/>). What belongs to one
/// node (its name, advertise address and facts) comes in beside the configuration.
/// </summary>
public static class ConfigurationAdapters
{
    /// <summary>Where systemd-resolved keeps the upstream resolv.conf; it exists while systemd-resolved runs.</summary>
    public const string SystemdResolvConf = "/run/systemd/resolve/resolv.conf";

    /// <summary>
    /// How extraArgs merge (facts §3.8): list semantics when the configuration is kubeadm v1beta4 (read from a v1beta4
    /// file, or built in code for a version whose kubeadm writes v1beta4) and the version has them; map semantics otherwise.
    /// </summary>
    public static ExtraArgsSemantics ExtraArgsSemanticsOf(KubeClusterConfiguration config)
    {
        string api = config.SourceApiVersion is { } s ? s[(s.LastIndexOf('/') + 1)..] : config.Release.DefaultConfigApiVersion;
        return api == "v1beta4" && config.Release.Has("config.list-extra-args") ? ExtraArgsSemantics.List : ExtraArgsSemantics.Map;
    }

    /// <summary>
    /// The static Pod manifests' request for one control-plane node. <paramref name="facts"/> (null in a dry run) says
    /// which optional CA directories exist on the node, as kubeadm mounts only those; <paramref name="externalCA"/>
    /// is true when ca.crt is there without ca.key.
    /// </summary>
    public static ControlPlaneManifestRequest ToControlPlaneManifestRequest(KubeClusterConfiguration config, string nodeName,
        IPAddress advertiseAddress, NodeFacts? facts, bool externalCA = false, IReadOnlyList<EtcdMember>? joinEtcdCluster = null)
    {
        var c = config.Cluster;
        var version = config.KubernetesVersion;
        var local = c.Etcd?.Local;
        var external = c.Etcd?.External;
        return new ControlPlaneManifestRequest
        {
            KubernetesVersion = version,
            NodeName = nodeName,
            AdvertiseAddress = advertiseAddress,
            BindPort = config.BindPort,
            CertificatesDir = config.CertificatesDir,
            ServiceSubnet = config.ServiceSubnet,
            PodSubnet = config.PodSubnet,
            DnsDomain = config.DnsDomain,
            ClusterName = config.ClusterName,
            ImageRepository = config.ImageRepository,
            ImagePullPolicy = config.ImagePullPolicy,
            ExtraArgsSemantics = ExtraArgsSemanticsOf(config),
            ApiServer = Component(c.ApiServer, "apiServer"),
            ControllerManager = Component(c.ControllerManager, "controllerManager"),
            Scheduler = Component(c.Scheduler, "scheduler"),
            LocalEtcd = new M.LocalEtcdOptions
            {
                DataDir = config.EtcdDataDir,
                ImageRepository = string.IsNullOrWhiteSpace(local?.ImageRepository) ? null : local.ImageRepository,
                ImageTag = string.IsNullOrWhiteSpace(local?.ImageTag) ? null : local.ImageTag,
                ExtraArgs = Args(local?.ExtraArgs),
                ExtraEnvs = Envs(local?.ExtraEnvs, "etcd.local.extraEnvs"),
                JoinCluster = joinEtcdCluster,
            },
            ExternalEtcd = external is null ? null : new M.ExternalEtcdOptions
            {
                Endpoints = external.Endpoints ?? [],
                CAFile = external.CAFile ?? "",
                CertFile = external.CertFile ?? "",
                KeyFile = external.KeyFile ?? "",
            },
            ExistingHostDirectories = facts is null ? []
                : StaticPodManifests.CACertificateDirectories(version)
                    .Where(d => facts.PathState(d) is NodePathState.Directory or NodePathState.EmptyDirectory).ToList(),
            ExternalCA = externalCA,
            ControlPlaneHealthCheckTimeout = config.ControlPlaneHealthCheckTimeout,
        };
    }

    /// <summary>
    /// The paths the node probe must report for <see cref="ToControlPlaneManifestRequest"/> and
    /// <see cref="ToKubeletRequest"/>: the version's optional CA directories and systemd-resolved's resolv.conf.
    /// </summary>
    public static IReadOnlyList<string> ProbePaths(KubeClusterConfiguration config) =>
        [.. StaticPodManifests.CACertificateDirectories(config.KubernetesVersion), SystemdResolvConf];

    /// <summary>
    /// The kubelet-start request for one node: the cluster's KubeletConfiguration document and networks, the node's
    /// registration (name, CRI socket, kubeletExtraArgs, taints) and, from <paramref name="facts"/> (null in a dry run),
    /// the node's own host name and whether systemd-resolved runs. <paramref name="criSocket"/> is the socket settled for
    /// the node (null: the configured one, else the version's default).
    /// </summary>
    public static KubeletRequest ToKubeletRequest(KubeClusterConfiguration config, string nodeName, NodeFacts? facts, bool worker = false, string? criSocket = null)
    {
        var registration = worker ? config.Join?.NodeRegistration : config.Init?.NodeRegistration ?? config.Join?.NodeRegistration;
        return new KubeletRequest
        {
            KubernetesVersion = config.KubernetesVersion,
            NodeName = nodeName,
            HostName = facts is null || string.IsNullOrWhiteSpace(facts.NodeName) ? null : facts.NodeName.Trim().ToLowerInvariant(),
            CriSocket = criSocket ?? config.CriSocket,
            ImageRepository = config.ImageRepository,
            KubeletExtraArgs = Args(registration?.KubeletExtraArgs),
            ExtraArgsSemantics = ExtraArgsSemanticsOf(config),
            Taints = worker ? registration?.Taints?.Select(t => t.ToString()).ToList() ?? [] : config.ControlPlaneTaints,
            RegisterTaintsWithFlags = worker,
            SystemdResolvedActive = facts is not null && facts.PathState(SystemdResolvConf) == NodePathState.File,
            ServiceSubnet = config.ServiceSubnet,
            DnsDomain = config.DnsDomain,
            CertificatesDir = config.CertificatesDir,
            KubeletConfiguration = config.Kubelet is { } k ? KubeadmYamlWriter.Emit([k.Document]) : null,
        };
    }

    /// <summary>
    /// The cluster objects' request: version, the control-plane endpoint URL (controlPlaneEndpoint, else the first
    /// control plane's advertise address and port), the CA, networks and image overrides.
    /// </summary>
    public static ClusterObjectsRequest ToClusterObjectsRequest(KubeClusterConfiguration config, string advertiseAddress, string caCertificatePem) =>
        new()
        {
            Version = config.KubernetesVersion,
            ControlPlaneEndpoint = KubeConfigFactory.ControlPlaneUrl(config.ControlPlaneEndpoint, advertiseAddress, config.BindPort),
            CACertificatePem = caCertificatePem,
            ServiceSubnet = config.ServiceSubnet,
            PodSubnet = config.PodSubnet,
            DnsDomain = config.DnsDomain,
            ImageRepository = string.IsNullOrWhiteSpace(config.Cluster.ImageRepository) ? null : config.ImageRepository,
            DnsImageRepository = string.IsNullOrWhiteSpace(config.Cluster.Dns?.ImageRepository) ? null : config.Cluster.Dns.ImageRepository,
            DnsImageTag = string.IsNullOrWhiteSpace(config.Cluster.Dns?.ImageTag) ? null : config.Cluster.Dns.ImageTag,
            AdvertiseAddress = advertiseAddress,
        };

    /// <summary>The user's KubeProxyConfiguration as the kube-proxy renderer takes it (null: kubeadm's defaults only).</summary>
    public static KubeProxySettings? ToKubeProxySettings(KubeClusterConfiguration config) =>
        config.KubeProxy is { } p ? KubeProxySettings.FromYaml(KubeadmYamlWriter.Emit([p.Document])) : null;

    /// <summary>
    /// The ClusterConfiguration kubeadm stores in the kubeadm-config ConfigMap: kubeadm's defaults written in, in the API
    /// version the Kubernetes version's kubeadm writes, without the node-specific and secret parts (InitConfiguration,
    /// JoinConfiguration and the component configurations are not part of it).
    /// </summary>
    public static string ClusterConfigurationYaml(KubeClusterConfiguration config)
    {
        var defaulted = config.WithDefaults();
        var only = new KubeClusterConfiguration { Cluster = defaulted.Cluster, ClusterGiven = true };
        var yaml = only.ToYaml(config.Release.DefaultConfigApiVersion);
        // The writer may add an InitConfiguration to hold v1beta4 timeouts moved out of the ClusterConfiguration: keep
        // only the ClusterConfiguration document.
        var docs = yaml.Split("\n---\n").Select(d => d.StartsWith("---\n", StringComparison.Ordinal) ? d[4..] : d);
        var cluster = docs.FirstOrDefault(d => d.Contains("\nkind: ClusterConfiguration", StringComparison.Ordinal) || d.StartsWith("kind: ClusterConfiguration", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("the configuration writer produced no ClusterConfiguration document");
        return cluster.EndsWith('\n') ? cluster : cluster + "\n";
    }

    static M.ControlPlaneComponentOptions Component(Cfg.ControlPlaneComponentOptions? o, string field) => new()
    {
        ExtraArgs = Args(o?.ExtraArgs),
        ExtraVolumes = o?.ExtraVolumes?.Select(v => new M.HostPathMount(v.Name ?? "", v.HostPath ?? "", v.MountPath ?? "", v.ReadOnly ?? false, v.PathType ?? "")).ToList() ?? [],
        ExtraEnvs = Envs(o?.ExtraEnvs, field + ".extraEnvs"),
    };

    static IReadOnlyList<M.KubeArg> Args(IEnumerable<Cfg.KubeArg>? args) => args?.Select(a => new M.KubeArg(a.Name, a.Value)).ToList() ?? [];

    static IReadOnlyList<M.KubeEnvVar> Envs(IEnumerable<Cfg.KubeEnvVar>? envs, string field)
    {
        var list = new List<M.KubeEnvVar>();
        foreach (var e in envs ?? [])
        {
            if (e.ValueFrom is not null)
                throw new KubeException("Init.EnvValueFromUnsupported",
                    $"{field}: '{e.Name}' takes its value from valueFrom; KubePS writes control-plane static Pods with literal values only.",
                    KubeErrorCategory.InvalidArgument, e.Name, "Give the variable a literal value.");
            list.Add(new M.KubeEnvVar(e.Name ?? "", e.Value ?? ""));
        }
        return list;
    }
}
