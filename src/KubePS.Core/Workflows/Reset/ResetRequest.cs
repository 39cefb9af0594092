using KubePS.Core.Api;
using KubePS.Core.Pki;

namespace KubePS.Core.Workflows.Reset;

/// <summary>What Reset-KubeNode is asked to do on one node.</summary>
public sealed record ResetRequest
{
    /// <summary>Also drain the node and delete its Node object (the cluster steps kubeadm leaves to the user). Needs <see cref="Api"/>.</summary>
    public bool RemoveFromCluster { get; init; }

    /// <summary>The cluster's API, for draining and deleting the Node; null when the cluster is not touched.</summary>
    public KubeApiClient? Api { get; init; }

    /// <summary>The Node's name; null to read it from the node (kubelet client certificate, else the host name).</summary>
    public string? NodeName { get; init; }

    /// <summary>Remove /etc/cni/net.d, /var/lib/cni and the CNI links (cni0, flannel.1, vxlan.calico).</summary>
    public bool CleanupCni { get; init; } = true;

    /// <summary>Flush the iptables and ip6tables filter, nat and mangle tables and delete their chains (kube-proxy's and the CNI's rules, and every other rule).</summary>
    public bool CleanupIptables { get; init; }

    /// <summary>Clear the IPVS tables (ipvsadm --clear) and delete kube-ipvs0.</summary>
    public bool CleanupIpvs { get; init; }

    /// <summary>Where the node keeps its files (kubeadm's --cert-dir and the kubeconfig folder).</summary>
    public NodeCertificatePaths Paths { get; init; } = new();

    /// <summary>The kubelet's folder.</summary>
    public string KubeletDir { get; init; } = "/var/lib/kubelet";

    /// <summary>How long the kubelet gets to stop the static pods once their manifests are gone.</summary>
    public TimeSpan StaticPodStopTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the drain may take.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public void Validate()
    {
        Paths.Validate();
        Nodes.NodeFile.ValidatePath(KubeletDir);
        if (RemoveFromCluster && Api is null)
            throw new KubeException("Reset.NoCluster", "-RemoveFromCluster drains and deletes the Node through the API, but no cluster was given.",
                KubeErrorCategory.InvalidArgument, null, "Give -KubeConfig (or run Connect-KubeCluster), or leave -RemoveFromCluster out.");
        if (RemoveFromCluster)
            new Cluster.DrainOptions { Timeout = DrainTimeout }.Validate();
        if (StaticPodStopTimeout <= TimeSpan.Zero)
            throw new KubeException("Reset.InvalidTimeout", $"The static pod stop timeout {StaticPodStopTimeout} is not positive.", KubeErrorCategory.InvalidArgument,
                StaticPodStopTimeout, "Give a positive time span, e.g. 00:01:00 (the default).");
    }
}

/// <summary>What Reset-KubeNode did on one node: what it removed and what it could not do.</summary>
public sealed class KubeNodeResetResult
{
    internal KubeNodeResetResult(string hostName, string? nodeName, bool controlPlane, IReadOnlyList<string> removed, IReadOnlyList<string> warnings,
        bool nodeDeleted, string? etcdMemberRemoved, TimeSpan duration)
    {
        HostName = hostName; NodeName = nodeName; ControlPlane = controlPlane; Removed = removed; Warnings = warnings; NodeDeleted = nodeDeleted;
        EtcdMemberRemoved = etcdMemberRemoved; Duration = duration;
    }

    public string HostName { get; }
    /// <summary>The Node's name as the node knew it, or null when it could not tell.</summary>
    public string? NodeName { get; }
    /// <summary>It had control-plane static pods.</summary>
    public bool ControlPlane { get; }
    /// <summary>What was removed or stopped: files and folders, mounts, links, rules, the etcd member, the Node.</summary>
    public IReadOnlyList<string> Removed { get; }
    /// <summary>Steps that could not be done (the reset went on after each).</summary>
    public IReadOnlyList<string> Warnings { get; }
    public bool NodeDeleted { get; }
    /// <summary>The etcd member removed (name and id), or null.</summary>
    public string? EtcdMemberRemoved { get; }
    public TimeSpan Duration { get; }
    public bool Clean => Warnings.Count == 0;

    public override string ToString() => $"{HostName}: {Removed.Count} removed, {Warnings.Count} warning(s)";
}
