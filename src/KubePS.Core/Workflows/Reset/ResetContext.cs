using KubePS.Core.Nodes;

namespace KubePS.Core.Workflows.Reset;

/// <summary>The shared state of one node's reset: the request, the node, what preflight found and what was done.</summary>
public sealed class ResetContext
{
    internal ResetContext(KubeNodeSession session, ResetRequest request)
    {
        Session = session;
        Request = request;
    }

    public KubeNodeSession Session { get; }
    public ResetRequest Request { get; }
    public string HostName => Session.HostName;

    // Found by preflight.
    public string? NodeName { get; internal set; }
    /// <summary>Static pod manifests found (component name → manifest text).</summary>
    public IReadOnlyDictionary<string, string> Manifests { get; internal set; } = new Dictionary<string, string>();
    public bool ControlPlane => Manifests.ContainsKey("kube-apiserver") || Manifests.ContainsKey("etcd");
    public bool LocalEtcd => Manifests.ContainsKey("etcd");
    public string EtcdDataDir { get; internal set; } = "/var/lib/etcd";
    /// <summary>etcd/ca.crt and a client certificate and key, when the node has them (secret: internal).</summary>
    internal (string Ca, string Cert, string Key)? EtcdClientPem { get; set; }

    // Done.
    internal List<string> Removed { get; } = [];
    internal List<string> Warnings { get; } = [];
    public bool NodeDeleted { get; internal set; }
    public string? EtcdMemberRemoved { get; internal set; }
    /// <summary>The member could not be removed: its data stays (kubeadm's rule).</summary>
    internal bool EtcdMemberKept { get; set; }
}
