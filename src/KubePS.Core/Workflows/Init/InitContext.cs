using KubePS.Core.Bootstrap;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Preflight;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// The context of one kubeadm init on one node: the shared control-plane context (configuration, node, PKI,
/// kubeconfigs, cluster) plus what only init has: the request, the bootstrap tokens it made or found, and the
/// certificate key of upload-certs.
/// </summary>
public sealed class InitContext : ControlPlaneContext
{
    public InitContext(KubeNodeSession session, InitRequest request, IOperationSink sink)
        : base(session, request.Configuration, sink)
    {
        Request = request;
        ProvidedPki = request.Pki;
    }

    public InitRequest Request { get; }

    /// <summary>The bootstrap tokens of the bootstrap-token phase, the first being the one to join with.</summary>
    public List<KubeBootstrapToken> Tokens { get; } = [];

    /// <summary>The key of the kubeadm-certs Secret, once upload-certs ran.</summary>
    public CertificateKey? CertificateKey { get; set; }

    protected override string? GivenNodeName => Request.GivenNodeName;
    protected override string? GivenAdvertiseAddress => Request.GivenAdvertiseAddress;

    public override KubePreflightRequest PreflightRequest => new()
    {
        Role = PreflightRole.ControlPlane,
        KubernetesVersion = KubernetesVersion,
        BindPort = Configuration.BindPort,
        ExternalEtcd = Configuration.IsExternalEtcd,
        EtcdDataDir = Configuration.EtcdDataDir,
        ExternalEtcdFiles = ExternalEtcdFiles,
        CriSocket = Configuration.Init?.NodeRegistration?.CriSocket,
        NodeName = string.IsNullOrEmpty(NodeName) ? GivenNodeName : NodeName,
        AdvertiseAddress = AdvertiseAddress.Equals(System.Net.IPAddress.None) ? GivenAdvertiseAddress : AdvertiseAddress.ToString(),
        ServiceSubnet = Configuration.ServiceSubnet,
        PodSubnet = Configuration.PodSubnet,
        IgnorePreflightErrors = [.. Configuration.Init?.NodeRegistration?.IgnorePreflightErrors ?? [], .. Request.IgnorePreflightErrors],
    };

    /// <summary>The external etcd CA, certificate and key paths (empty with local etcd).</summary>
    public IReadOnlyList<string> ExternalEtcdFiles =>
        Configuration.Cluster.Etcd?.External is { } e
            ? new[] { e.CAFile, e.CertFile, e.KeyFile }.Where(p => !string.IsNullOrEmpty(p)).Select(p => p!).ToList()
            : [];

    /// <summary>The shared files, plus the external etcd files that upload-certs shares.</summary>
    public override IEnumerable<string> FilesToRead() => base.FilesToRead().Concat(ExternalEtcdFiles);
}
