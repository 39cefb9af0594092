using System.Net;
using System.Text;
using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Configuration;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Manifests;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Pki;
using KubePS.Core.Preflight;
using KubePS.Core.Versioning;

namespace KubePS.Core.Workflows;

/// <summary>
/// What the phases that set up a control-plane node share (init, and a control-plane join): the configuration, the
/// node (its applier, facts, name, advertise address, CRI socket), the certificates, the kubeconfigs and the cluster
/// applier. Values are computed once and kept: facts are gathered up front, the node's files are read once
/// (<see cref="PrepareAsync"/>), the PKI is built from what the node holds on first use.
/// </summary>
public abstract class ControlPlaneContext : IDisposable
{
    /// <summary>Where kubeadm keeps kubeconfigs and manifests.</summary>
    public const string KubernetesDir = "/etc/kubernetes";

    /// <summary>Where kubeadm's package puts its kubelet drop-in (either) and where a hand-made one goes (last).</summary>
    public static readonly IReadOnlyList<string> KubeletDropInPaths =
    [
        "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
        "/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
        KubeletSystemdUnits.DefaultUnitDir + "/kubelet.service.d/10-kubeadm.conf",
    ];

    /// <summary>Where a kubelet unit may be: from a package (either), or hand-made (last).</summary>
    public static readonly IReadOnlyList<string> KubeletUnitPaths =
    [
        "/usr/lib/systemd/system/kubelet.service",
        "/lib/systemd/system/kubelet.service",
        KubeletSystemdUnits.DefaultUnitDir + "/kubelet.service",
    ];

    readonly Dictionary<KubeConfigRole, KubeConfig> _kubeConfigs = [];
    KubePki? _pki;
    PkiRequest? _pkiRequest;
    ClusterApplier? _cluster;
    Dictionary<string, byte[]>? _providedFiles;

    protected ControlPlaneContext(KubeNodeSession session, KubeClusterConfiguration configuration, IOperationSink sink)
    {
        Configuration = configuration;
        Sink = sink;
        Changes = new WorkflowChanges();
        Node = new NodeApplier(session, sink, Changes);
    }

    public KubeClusterConfiguration Configuration { get; }
    public KubeVersion KubernetesVersion => Configuration.KubernetesVersion;
    public ReleaseInfo Release => Configuration.Release;
    public IOperationSink Sink { get; }
    public WorkflowChanges Changes { get; }

    /// <summary>The gate to the node: every file, command and query goes through it.</summary>
    public NodeApplier Node { get; }

    /// <summary>The node's facts (null in a dry run, where there is no node to ask).</summary>
    public NodeFacts? Facts { get; private set; }

    /// <summary>nodeRegistration.name: given, configured, or the node's lower-cased host name.</summary>
    public string NodeName { get; private set; } = "";

    /// <summary>The address the API server and etcd advertise: given, configured, or the node's default-route address.</summary>
    public IPAddress AdvertiseAddress { get; private set; } = IPAddress.None;

    /// <summary>The CRI socket: configured, else detected on the node as kubeadm detects it, else the version's default.</summary>
    public string CriSocket { get; private set; } = "";

    /// <summary>A certificate set given by the caller (-Pki): used where the node has no file of its own.</summary>
    public KubePki? ProvidedPki { get; init; }

    /// <summary>
    /// Why the API server is not there to talk to (a change that would start it was declined), or null. Set by
    /// wait-control-plane; later API phases then only describe what they would do.
    /// </summary>
    public string? ClusterUnavailableReason { get; set; }

    public string CertificatesDir => Configuration.CertificatesDir;

    /// <summary>The control-plane endpoint URL (controlPlaneEndpoint, else this node's address and port).</summary>
    public string ControlPlaneUrl => KubeConfigFactory.ControlPlaneUrl(Configuration.ControlPlaneEndpoint, AdvertiseAddress.ToString(), Configuration.BindPort);

    /// <summary>This node's API server: https://&lt;advertiseAddress&gt;:&lt;bindPort&gt;.</summary>
    public string LocalUrl => KubeConfigFactory.LocalUrl(AdvertiseAddress.ToString(), Configuration.BindPort);

    /// <summary>A path under the certificates directory.</summary>
    public string CertPath(string relative) => CertificatesDir.TrimEnd('/') + "/" + relative;

    /// <summary>A kubeconfig's path: /etc/kubernetes/&lt;file&gt;.</summary>
    public static string KubeConfigPath(KubeConfigRole role) => KubernetesDir + "/" + KubeConfigFactory.FileNameFor(role);

    /// <summary>The preflight request for this node (role, version, ports, etcd, CRI socket, names, subnets).</summary>
    public abstract KubePreflightRequest PreflightRequest { get; }

    /// <summary>The node name given by the caller or the configuration (before the node's own name is known).</summary>
    protected abstract string? GivenNodeName { get; }

    /// <summary>The advertise address given by the caller or the configuration.</summary>
    protected abstract string? GivenAdvertiseAddress { get; }

    // ---------------------------------------------------------------- preparing

    /// <summary>The files of the certificates directory the PKI may hold (every profile's .crt and .key, sa.key, sa.pub).</summary>
    public IReadOnlyList<string> PkiPaths =>
        CertificateProfiles.For(Configuration.IsExternalEtcd).SelectMany(p => new[] { p.CertificateFile, p.KeyFile })
            .Concat(["sa.key", "sa.pub"]).Select(CertPath).ToList();

    /// <summary>Every file the workflow may write or must look at, read once up front.</summary>
    public virtual IEnumerable<string> FilesToRead() =>
        PkiPaths
            .Concat(new[] { KubeConfigRole.Admin, KubeConfigRole.SuperAdmin, KubeConfigRole.Kubelet, KubeConfigRole.ControllerManager, KubeConfigRole.Scheduler }
                .Select(KubeConfigPath))
            .Concat(new[] { "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler" }.Select(StaticPodManifests.PathOf))
            .Concat([KubeletFiles.ConfigPath, KubeletFiles.FlagsPath, KubeletFiles.InstanceConfigPath])
            .Concat(KubeletDropInPaths).Concat(KubeletUnitPaths);

    /// <summary>
    /// Gathers the node's facts (one read-only probe; none in a dry run), settles the node name, advertise address and
    /// CRI socket, checks them, and reads the node's existing files (one round trip). Nothing is written.
    /// </summary>
    public async Task PrepareAsync(CancellationToken ct)
    {
        const string phase = "(prepare)";
        var given = PreflightRequest;
        var probe = given.ProbeOptions with { Paths = [.. given.ProbeOptions.Paths, .. ConfigurationAdapters.ProbePaths(Configuration)] };
        Facts = await Node.GatherFactsAsync(probe, phase, ct).ConfigureAwait(false);

        NodeName = GivenNodeName ?? (Facts is { } f && !string.IsNullOrWhiteSpace(f.NodeName) ? f.NodeName.Trim().ToLowerInvariant() : null)
            ?? throw new KubeException("Init.NodeNameRequired",
                $"{Node.HostName}: the node name is not known: the configuration has no nodeRegistration.name, none was given, and a dry run cannot ask the node for its host name.",
                KubeErrorCategory.InvalidArgument, Node.HostName, "Give -NodeName, or set nodeRegistration.name in the InitConfiguration.");
        string? address = GivenAdvertiseAddress ?? Facts?.DefaultAddress?.ToString();
        if (address is null)
            throw new KubeException("Init.AdvertiseAddressRequired",
                Facts is null
                    ? $"{Node.HostName}: the advertise address is not known: the configuration has no localAPIEndpoint.advertiseAddress, none was given, and a dry run cannot ask the node for its address."
                    : $"{Node.HostName}: the advertise address is not known: none is configured and the node has no default route or address.",
                KubeErrorCategory.InvalidArgument, Node.HostName, "Give -AdvertiseAddress, or set localAPIEndpoint.advertiseAddress in the InitConfiguration.");
        if (!IPAddress.TryParse(address, out var ip))
            throw new KubeException("Init.InvalidAdvertiseAddress", $"The advertise address '{address}' is not an IP address.",
                KubeErrorCategory.InvalidArgument, address, "Give the node's IPv4 or IPv6 address, e.g. 10.0.0.11.");
        AdvertiseAddress = ip;
        CriSocket = ResolveCriSocket();

        // Everything the renderers check, before anything is read or written.
        PkiRequest.Validate();
        StaticPodManifests.KubeApiServer(ConfigurationAdapters.ToControlPlaneManifestRequest(Configuration, NodeName, AdvertiseAddress, Facts));
        KubeletFiles.Flags(KubeletRequest());

        await Node.LoadAsync(FilesToRead(), phase, ct).ConfigureAwait(false);
    }

    string ResolveCriSocket()
    {
        bool given = Configuration.Init?.NodeRegistration?.CriSocket is not null || Configuration.Join?.NodeRegistration?.CriSocket is not null;
        if (given || Facts is null) return Configuration.CriSocket;
        var (endpoint, problem) = PreflightChecks.CriEndpoint(PreflightRunner.Context(Facts, PreflightRequest));
        if (endpoint is null)
            throw new KubeException("Init.CriSocketAmbiguous", $"{Node.HostName}: {problem}", KubeErrorCategory.InvalidArgument, Node.HostName,
                "Set nodeRegistration.criSocket in the configuration, e.g. unix:///var/run/containerd/containerd.sock.");
        // kubeadm before 1.24 writes the dockershim socket as a bare path.
        return endpoint.EndsWith("dockershim.sock", StringComparison.Ordinal) && !Release.DefaultCriSocket.StartsWith("unix://", StringComparison.Ordinal)
            ? endpoint["unix://".Length..] : endpoint;
    }

    // ---------------------------------------------------------------- requests for the renderers

    /// <summary>The certificates' request for this node.</summary>
    public PkiRequest PkiRequest => _pkiRequest ??= PkiRequest.FromConfiguration(Configuration, NodeName, AdvertiseAddress.ToString());

    /// <summary>The static Pod manifests' request for this node.</summary>
    public virtual ControlPlaneManifestRequest ManifestRequest() =>
        ConfigurationAdapters.ToControlPlaneManifestRequest(Configuration, NodeName, AdvertiseAddress, Facts, externalCA: IsExternalCA);

    /// <summary>The kubelet files' request for this node.</summary>
    public virtual KubeletRequest KubeletRequest() => ConfigurationAdapters.ToKubeletRequest(Configuration, NodeName, Facts, criSocket: CriSocket);

    /// <summary>The cluster objects' request (needs the cluster CA).</summary>
    public ClusterObjectsRequest ClusterObjectsRequest() =>
        ConfigurationAdapters.ToClusterObjectsRequest(Configuration, AdvertiseAddress.ToString(), Pki.CA.CertificatePem);

    /// <summary>ca.crt is on the node (or given) without ca.key: kubeadm's external CA mode.</summary>
    public bool IsExternalCA => ReadPkiFile("ca.crt") is not null && ReadPkiFile("ca.key") is null;

    // ---------------------------------------------------------------- certificates and kubeconfigs

    /// <summary>
    /// The node's certificates: what the node holds (or this run wrote) is reused under kubeadm's rules, then what the
    /// caller gave (-Pki), and whatever is missing is made. Built once, on first use.
    /// </summary>
    public KubePki Pki
    {
        get
        {
            if (_pki is not null) return _pki;
            _pki = KubePkiBuilder.CreateOrReuse(PkiRequest, ReadPkiFile, sourceLabel: null);
            foreach (var w in _pki.Warnings) Sink.WriteWarning($"{Node.HostName}: {w}");
            return _pki;
        }
    }

    /// <summary>A file of the certificates directory as this run sees it, else the caller's set's, else null.</summary>
    protected byte[]? ReadPkiFile(string relative)
    {
        if (Node.Current(CertPath(relative)) is { } onNode) return onNode;
        _providedFiles ??= ProvidedPki?.GetFiles().ToDictionary(f => f.RelativePath, f => f.Content, StringComparer.Ordinal) ?? [];
        return _providedFiles.TryGetValue(relative, out var given) ? given : null;
    }

    /// <summary>Fails with Init.CANotFound when a CA's certificate is neither on the node nor written by this run.</summary>
    public void RequireOnNode(string caName, string phase)
    {
        var profile = CertificateProfiles.Get(caName);
        if (!Node.Exists(CertPath(profile.CertificateFile)))
            throw new KubeException("Init.CANotFound",
                $"{Node.HostName}: phase {phase} needs the '{caName}' CA ({CertPath(profile.CertificateFile)}), which is not on the node.",
                KubeErrorCategory.ObjectNotFound, CertPath(profile.CertificateFile),
                $"Run the certs/{caName} phase first (or the whole certs phase), or put the CA there.");
    }

    /// <summary>Remembers the kubeconfig of a role as this run made or found it.</summary>
    public void SetKubeConfig(KubeConfigRole role, KubeConfig config) => _kubeConfigs[role] = config;

    /// <summary>The kubeconfig of a role: as this run made or found it, else read from the node; null when absent.</summary>
    public KubeConfig? FindKubeConfig(KubeConfigRole role)
    {
        if (_kubeConfigs.TryGetValue(role, out var config)) return config;
        var path = KubeConfigPath(role);
        if (Node.Current(path) is not { } bytes) return null;
        config = KubeConfigYaml.Parse(Encoding.UTF8.GetString(bytes), path);
        _kubeConfigs[role] = config;
        return config;
    }

    /// <summary>The kubeconfig of a role, or Init.KubeConfigNotFound.</summary>
    public KubeConfig KubeConfigFor(KubeConfigRole role, string phase) => FindKubeConfig(role)
        ?? throw new KubeException("Init.KubeConfigNotFound",
            $"{Node.HostName}: phase {phase} needs {KubeConfigPath(role)}, which is not on the node.",
            KubeErrorCategory.ObjectNotFound, KubeConfigPath(role), $"Run the kubeconfig/{PhaseNameOf(role)} phase first.");

    /// <summary>kubeadm's phase name of a kubeconfig role (admin, super-admin, kubelet, controller-manager, scheduler).</summary>
    public static string PhaseNameOf(KubeConfigRole role) => KubeConfigFactory.FileNameFor(role)[..^".conf".Length];

    // ---------------------------------------------------------------- the cluster

    /// <summary>
    /// The cluster applier, made on first use. Against an API server it authenticates with admin.conf (its client
    /// certificate, at the control-plane endpoint); for versions whose admin.conf is in kubeadm:cluster-admins (1.29+)
    /// it first makes sure that group is bound to cluster-admin, with super-admin.conf when admin.conf may not yet.
    /// </summary>
    public async Task<ClusterApplier> ClusterAsync(string phase, CancellationToken ct)
    {
        if (_cluster is not null) return _cluster;
        _cluster = ClusterApplier.ForNode(Node, Sink, Changes, ControlPlaneUrl, ClusterUnavailableReason,
            () => new LiveClusterStore(new KubeApiClient(KubeConfigCredentials.From(KubeConfigFor(KubeConfigRole.Admin, phase), KubeConfigPath(KubeConfigRole.Admin)))),
            () => Release.HasSuperAdminConf && FindKubeConfig(KubeConfigRole.SuperAdmin) is { } super
                ? new LiveClusterStore(new KubeApiClient(KubeConfigCredentials.From(super, KubeConfigPath(KubeConfigRole.SuperAdmin))))
                : null);
        if (BootstrapTokenObjects.ClusterAdminsBinding(KubernetesVersion) is { } binding)
            await _cluster.ApplyWithFallbackAsync(phase, binding, ct).ConfigureAwait(false);
        return _cluster;
    }

    public void Dispose() => _cluster?.Dispose();
}
