using System.Net;
using KubePS.Core.Versioning;

namespace KubePS.Core.Manifests;

/// <summary>
/// What kubeadm's <c>kubelet-start</c> phase needs to write /var/lib/kubelet/config.yaml, kubeadm-flags.env and (1.34+)
/// instance-config.yaml: the cluster-wide kubelet configuration inputs plus this node's registration options and facts.
/// </summary>
public sealed class KubeletRequest
{
    /// <summary>The exact Kubernetes version of the kubelet/control plane.</summary>
    public required KubeVersion KubernetesVersion { get; init; }

    /// <summary>nodeRegistration.name.</summary>
    public required string NodeName { get; init; }

    /// <summary>
    /// The node's own host name as kubeadm reads it (lower-cased). When it differs from the node name, kubeadm adds
    /// <c>--hostname-override</c>. Null means "same as the node name".
    /// </summary>
    public string? HostName { get; init; }

    /// <summary>nodeRegistration.criSocket; null for the version's default socket.</summary>
    public string? CriSocket { get; init; }

    /// <summary>imageRepository (for the pause image); null for the version's default.</summary>
    public string? ImageRepository { get; init; }

    /// <summary>nodeRegistration.kubeletExtraArgs and how they merge (§3.8).</summary>
    public IReadOnlyList<KubeArg> KubeletExtraArgs { get; init; } = [];
    public ExtraArgsSemantics ExtraArgsSemantics { get; init; } = ExtraArgsSemantics.Map;

    /// <summary>nodeRegistration.taints as key[=value]:Effect.</summary>
    public IReadOnlyList<string> Taints { get; init; } = [];

    /// <summary>
    /// Pass the taints as <c>--register-with-taints</c> (kubeadm does so on a worker join; a control plane's taints are
    /// applied by mark-control-plane instead).
    /// </summary>
    public bool RegisterTaintsWithFlags { get; init; }

    /// <summary>Adds <c>--node-ip</c> (a KubePS convenience for what kubeadm users put in kubeletExtraArgs; extra args still win).</summary>
    public IPAddress? NodeIP { get; init; }

    /// <summary>
    /// Kubernetes 1.18–1.20 with dockershim only: the cgroup driver <c>docker info</c> reports on the node, which kubeadm
    /// passed as <c>--cgroup-driver</c>. Null leaves the flag out (kubeadm did the same when it could not ask Docker).
    /// </summary>
    public string? DockerCgroupDriver { get; init; }

    /// <summary>systemd-resolved is active on the node: the kubelet must read /run/systemd/resolve/resolv.conf.</summary>
    public bool SystemdResolvedActive { get; init; }

    public string ServiceSubnet { get; init; } = "10.96.0.0/12";
    public string DnsDomain { get; init; } = "cluster.local";
    public string CertificatesDir { get; init; } = "/etc/kubernetes/pki";

    /// <summary>A user KubeletConfiguration document (YAML or JSON text, kind KubeletConfiguration), or null.</summary>
    public string? KubeletConfiguration { get; init; }

    /// <summary>
    /// The same as a dictionary (nested dictionaries, lists, strings, numbers, bools), e.g. from a PowerShell hashtable.
    /// Applied after <see cref="KubeletConfiguration"/> when both are given.
    /// </summary>
    public IReadOnlyDictionary<string, object?>? KubeletConfigurationValues { get; init; }
}

/// <summary>The rendered kubelet configuration: the node's file, the cluster-wide document, and kubeadm's warnings.</summary>
public sealed class KubeletConfigResult
{
    internal KubeletConfigResult(Nodes.NodeFile file, string clusterDocument, IReadOnlyList<string> warnings)
    {
        File = file; ClusterDocument = clusterDocument; Warnings = warnings;
    }

    /// <summary>/var/lib/kubelet/config.yaml for this node (with the instance configuration applied on 1.34+).</summary>
    public Nodes.NodeFile File { get; }

    /// <summary>The cluster-wide KubeletConfiguration: the <c>kubelet</c> key of the kubelet-config ConfigMap.</summary>
    public string ClusterDocument { get; }

    /// <summary>User values that differ from what kubeadm recommends (kubeadm prints the same warnings and keeps the user's value).</summary>
    public IReadOnlyList<string> Warnings { get; }
}
