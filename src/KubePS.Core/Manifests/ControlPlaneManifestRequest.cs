using System.Net;
using KubePS.Core.Versioning;

namespace KubePS.Core.Manifests;

/// <summary>
/// Everything the control-plane and etcd static Pod manifests depend on: kubeadm's ClusterConfiguration and the node's
/// local API endpoint, flattened. Defaults are kubeadm's (facts §10.1). The lead adapts the configuration model to this.
/// </summary>
public sealed class ControlPlaneManifestRequest
{
    /// <summary>The exact Kubernetes version (with a patch number): it picks images and every per-version difference.</summary>
    public required KubeVersion KubernetesVersion { get; init; }

    /// <summary>nodeRegistration.name: the etcd member name (lower-case RFC 1123 subdomain).</summary>
    public required string NodeName { get; init; }

    /// <summary>localAPIEndpoint.advertiseAddress.</summary>
    public required IPAddress AdvertiseAddress { get; init; }

    /// <summary>localAPIEndpoint.bindPort.</summary>
    public int BindPort { get; init; } = 6443;

    public string CertificatesDir { get; init; } = "/etc/kubernetes/pki";

    /// <summary>networking.serviceSubnet; a comma-separated pair for dual-stack.</summary>
    public string ServiceSubnet { get; init; } = "10.96.0.0/12";

    /// <summary>networking.podSubnet; null or empty for none (then the controller-manager allocates no node CIDRs).</summary>
    public string? PodSubnet { get; init; }

    public string DnsDomain { get; init; } = "cluster.local";
    public string ClusterName { get; init; } = "kubernetes";

    /// <summary>imageRepository; null for the version's default (registry.k8s.io, or k8s.gcr.io before 1.25).</summary>
    public string? ImageRepository { get; init; }

    /// <summary>nodeRegistration.imagePullPolicy: IfNotPresent, Always or Never.</summary>
    public string ImagePullPolicy { get; init; } = "IfNotPresent";

    /// <summary>Which configuration API the extra arguments came from (v1beta3 map or v1beta4 list; §3.8).</summary>
    public ExtraArgsSemantics ExtraArgsSemantics { get; init; } = ExtraArgsSemantics.Map;

    public ControlPlaneComponentOptions ApiServer { get; init; } = new();
    public ControlPlaneComponentOptions ControllerManager { get; init; } = new();
    public ControlPlaneComponentOptions Scheduler { get; init; } = new();

    /// <summary>etcd.local; ignored when <see cref="ExternalEtcd"/> is set.</summary>
    public LocalEtcdOptions LocalEtcd { get; init; } = new();

    /// <summary>etcd.external; when set there is no etcd manifest and the API server talks to these endpoints.</summary>
    public ExternalEtcdOptions? ExternalEtcd { get; init; }

    /// <summary>
    /// Which of the version's optional CA-certificate directories exist on the node
    /// (<see cref="StaticPodManifests.CACertificateDirectories"/>); kubeadm mounts only those.
    /// </summary>
    public IReadOnlyCollection<string> ExistingHostDirectories { get; init; } = [];

    /// <summary>The cluster CA's key is not on the node (external CA): the controller-manager gets empty signing flags.</summary>
    public bool ExternalCA { get; init; }

    /// <summary>How long the control plane may take to come up; the startup probes' failureThreshold is ceil(this / 10s).</summary>
    public TimeSpan ControlPlaneHealthCheckTimeout { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>
    /// Proxy variables (<c>HTTP_PROXY</c>, <c>no_proxy</c>, ...) kubeadm would copy from its own environment into every
    /// control-plane container; the caller decides which apply (kubeadm runs on the node, KubePS does not).
    /// </summary>
    public IReadOnlyList<KubeEnvVar> ProxyEnvironment { get; init; } = [];
}

/// <summary>apiServer / controllerManager / scheduler: extraArgs, extraVolumes and (v1beta4) extraEnvs.</summary>
public sealed class ControlPlaneComponentOptions
{
    public IReadOnlyList<KubeArg> ExtraArgs { get; init; } = [];
    public IReadOnlyList<HostPathMount> ExtraVolumes { get; init; } = [];
    public IReadOnlyList<KubeEnvVar> ExtraEnvs { get; init; } = [];
}

/// <summary>An extraVolumes entry: a hostPath volume mounted at <see cref="MountPath"/>.</summary>
/// <param name="Name">the volume's name in the pod</param>
/// <param name="HostPath">the path on the node</param>
/// <param name="MountPath">the path in the container</param>
/// <param name="ReadOnly">whether the container mounts it read-only</param>
/// <param name="PathType">hostPath type (DirectoryOrCreate, FileOrCreate, ...); empty writes <c>type: ""</c> as kubeadm does.</param>
public sealed record HostPathMount(string Name, string HostPath, string MountPath, bool ReadOnly = false, string PathType = "");

/// <summary>etcd.local.</summary>
public sealed class LocalEtcdOptions
{
    public string DataDir { get; init; } = "/var/lib/etcd";

    /// <summary>etcd.local.imageRepository; null for the cluster's imageRepository.</summary>
    public string? ImageRepository { get; init; }

    /// <summary>etcd.local.imageTag; null for the version's etcd tag.</summary>
    public string? ImageTag { get; init; }

    public IReadOnlyList<KubeArg> ExtraArgs { get; init; } = [];
    public IReadOnlyList<KubeEnvVar> ExtraEnvs { get; init; } = [];

    /// <summary>
    /// For a control-plane join: every member of the etcd cluster after this one is added, this node included (as
    /// returned by the member-add call). The manifest then gets <c>--initial-cluster</c> with all of them and
    /// <c>--initial-cluster-state=existing</c>. Null for init (a one-member cluster of this node).
    /// </summary>
    public IReadOnlyList<EtcdMember>? JoinCluster { get; init; }
}

/// <summary>An etcd member as <c>--initial-cluster</c> lists it: name and peer URL.</summary>
public sealed record EtcdMember(string Name, string PeerUrl);

/// <summary>etcd.external.</summary>
public sealed class ExternalEtcdOptions
{
    public required IReadOnlyList<string> Endpoints { get; init; }
    public string CAFile { get; init; } = "";
    public string CertFile { get; init; } = "";
    public string KeyFile { get; init; } = "";
}
