using System.Text;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Manifests;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Pki;
using KubePS.Core.Preflight;

namespace KubePS.Core.Workflows.Join;

/// <summary>
/// The context of one node's join: the shared control-plane context (configuration from the cluster, node, PKI,
/// kubeconfigs, cluster applier) plus what only a join has: the request, the cluster as discovered, whether the node
/// was already a member of it, the etcd members a control-plane join writes into its etcd manifest, and how long
/// the waits took.
/// </summary>
public sealed class JoinContext : ControlPlaneContext
{
    /// <summary>/etc/kubernetes/bootstrap-kubelet.conf.</summary>
    public const string BootstrapKubeletConfPath = KubernetesDir + "/bootstrap-kubelet.conf";

    public JoinContext(KubeNodeSession session, JoinRequest request, JoinCluster cluster, IOperationSink sink)
        : base(session, cluster.Configuration, sink)
    {
        Request = request;
        Cluster = cluster;
    }

    public JoinRequest Request { get; }
    public JoinCluster Cluster { get; }
    public bool IsControlPlane => Request.AsControlPlane;

    /// <summary>The node held a kubelet.conf for this cluster before the join began.</summary>
    public bool WasMember { get; private set; }

    /// <summary>The etcd members to write into this node's etcd manifest (control-plane join with local etcd), once known.</summary>
    public IReadOnlyList<EtcdMember>? EtcdMembers { get; set; }

    /// <summary>How long the TLS bootstrap took (kubelet started → kubelet.conf and healthz).</summary>
    public TimeSpan BootstrapWait { get; set; }

    /// <summary>How long the Node took to be Ready after the TLS bootstrap.</summary>
    public TimeSpan ReadyWait { get; set; }

    /// <summary>The Node object once it was seen Ready (null in a dry run or when not waited for).</summary>
    public System.Text.Json.Nodes.JsonObject? ReadyNode { get; set; }

    // In a dry run there is no node to ask: the node is named after its session, and a worker (which never renders
    // its address into a file) is given the loopback address so that the shared preparation can run.
    protected override string? GivenNodeName =>
        !string.IsNullOrWhiteSpace(Request.NodeName) ? Request.NodeName.Trim() : Node.IsDryRun ? Node.HostName.ToLowerInvariant() : null;

    protected override string? GivenAdvertiseAddress =>
        !string.IsNullOrWhiteSpace(Request.AdvertiseAddress) ? Request.AdvertiseAddress.Trim() : Node.IsDryRun && !IsControlPlane ? "127.0.0.1" : null;

    public override KubePreflightRequest PreflightRequest => new()
    {
        Role = IsControlPlane ? PreflightRole.ControlPlaneJoin : PreflightRole.Worker,
        KubernetesVersion = KubernetesVersion,
        BindPort = Configuration.BindPort,
        ExternalEtcd = Configuration.IsExternalEtcd,
        EtcdDataDir = Configuration.EtcdDataDir,
        DownloadCertificates = Cluster.ControlPlaneFiles is not null,
        CriSocket = Configuration.Join?.NodeRegistration?.CriSocket,
        NodeName = string.IsNullOrEmpty(NodeName) ? GivenNodeName : NodeName,
        AdvertiseAddress = AdvertiseAddress.Equals(System.Net.IPAddress.None) ? GivenAdvertiseAddress : AdvertiseAddress.ToString(),
        ServiceSubnet = Configuration.ServiceSubnet,
        PodSubnet = Configuration.PodSubnet,
        ApiServerEndpoint = new Uri(Cluster.Discovered.Server).Authority,
        CACertPath = CertPath("ca.crt"),
        IgnorePreflightErrors = [.. Configuration.Join?.NodeRegistration?.IgnorePreflightErrors ?? [], .. Request.IgnorePreflightErrors],
    };

    public override IEnumerable<string> FilesToRead() => base.FilesToRead().Append(BootstrapKubeletConfPath);

    public override ControlPlaneManifestRequest ManifestRequest() =>
        ConfigurationAdapters.ToControlPlaneManifestRequest(Configuration, NodeName, AdvertiseAddress, Facts, externalCA: IsExternalCA, joinEtcdCluster: EtcdMembers);

    public override KubeletRequest KubeletRequest() =>
        ConfigurationAdapters.ToKubeletRequest(Configuration, NodeName, Facts, worker: !IsControlPlane, criSocket: CriSocket);

    /// <summary>This node's etcd peer URL, https://&lt;advertiseAddress&gt;:2380.</summary>
    public string EtcdPeerUrl => "https://" + HostPort(AdvertiseAddress.ToString(), 2380);

    /// <summary>This node's etcd client URL, https://&lt;advertiseAddress&gt;:2379.</summary>
    public string EtcdClientUrl => "https://" + HostPort(AdvertiseAddress.ToString(), 2379);

    static string HostPort(string host, int port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>
    /// Decides, from the files read up front, whether the node belongs to this cluster already, to none, or to another
    /// one: a kubelet.conf or a ca.crt whose CA is not the discovered cluster CA means another cluster
    /// (Join.OtherCluster, before anything is written); a kubelet.conf with this CA means a member.
    /// </summary>
    public void CheckMembership()
    {
        var clusterCA = FirstCertificate(Encoding.ASCII.GetBytes(Cluster.CACertificatePem), "the cluster CA")
            ?? throw new KubeException("Join.InvalidClusterCA", "The discovered cluster CA holds no certificate.", KubeErrorCategory.InvalidData, Cluster.Discovered.Source);
        var kubeletConfPath = KubeConfigPath(KubeConfigRole.Kubelet);
        byte[]? kubeletCA = null;
        if (Node.Current(kubeletConfPath) is { } bytes)
        {
            var config = KubeConfigYaml.Parse(Encoding.UTF8.GetString(bytes), $"{Node.HostName}:{kubeletConfPath}");
            var cluster = config.CurrentCluster ?? config.Clusters.FirstOrDefault()?.Cluster;
            kubeletCA = cluster?.CertificateAuthorityData is { Length: > 0 } data ? data
                : cluster?.CertificateAuthority is { } file && file == CertPath("ca.crt") ? Node.Current(file) : null;
            kubeletCA ??= Node.Current(CertPath("ca.crt"));
            var ca = kubeletCA is null ? null : FirstCertificate(kubeletCA, kubeletConfPath);
            if (ca is not null && !ca.RawData.AsSpan().SequenceEqual(clusterCA.RawData))
                throw OtherCluster(kubeletConfPath, ca);
            WasMember = ca is not null;
        }
        if (Node.Current(CertPath("ca.crt")) is { } caFile && FirstCertificate(caFile, CertPath("ca.crt")) is { } nodeCA
            && !nodeCA.RawData.AsSpan().SequenceEqual(clusterCA.RawData))
            throw OtherCluster(CertPath("ca.crt"), nodeCA);
    }

    KubeException OtherCluster(string path, System.Security.Cryptography.X509Certificates.X509Certificate2 ca) =>
        new("Join.OtherCluster",
            $"{Node.HostName} belongs to another cluster: its {path} holds the CA {CACertHash.Compute(ca)} ({ca.Subject}), not this cluster's {Cluster.Discovered.CACertHashes.FirstOrDefault()}. Nothing was changed.",
            KubeErrorCategory.InvalidOperation, Node.HostName,
            $"Reset the node first (Reset-KubeNode, or kubeadm reset) if it is to leave its cluster, or join another node.");

    static System.Security.Cryptography.X509Certificates.X509Certificate2? FirstCertificate(byte[] pem, string source)
    {
        try { return PkiFiles.ParseCertificates(Encoding.ASCII.GetString(pem), source)[0]; }
        catch (KubeException) { return null; }
    }
}
