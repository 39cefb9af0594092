using KubePS.Core.Configuration;
using KubePS.Core.Nodes;
using KubePS.Core.Preflight;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows;
using KubePS.Core.Workflows.Init;
using KubePS.Core.Workflows.Join;
using KubePS.Tests.Lab;
using Xunit;

namespace KubePS.Tests.Join;

/// <summary>
/// Six fresh lab nodes with the lab control plane's systemctl stand-in: node 1 is initialized with -UploadCerts and a
/// controlPlaneEndpoint (its own address), nodes 2 and 3 join as control planes (one call), nodes 4 and 5 as workers
/// (one call) while node 5's link is cut in the middle of its kubelet-start, then node 5 is joined again. Node 6 stays
/// out of the cluster for the security tests. Everything is KubePS Core, as the cmdlets call it; the tests judge with
/// kubectl, etcdctl and the nodes' own files.
/// </summary>
public sealed class JoinLabFixture : IAsyncLifetime
{
    public const string Version = "v1.32.13";

    public NodeLab Lab { get; private set; } = null!;
    public IReadOnlyList<KubeNodeSession> Sessions { get; private set; } = [];
    public KubeControlPlane ControlPlane { get; private set; } = null!;
    public IReadOnlyList<KubeJoinResult> ControlPlaneJoins { get; private set; } = [];
    public CapturingSink ControlPlaneSink { get; } = new();
    public IReadOnlyList<KubeJoinResult> WorkerJoins { get; private set; } = [];
    public CapturingSink WorkerSink { get; private set; } = null!;
    public KubeJoinResult WorkerRejoin { get; private set; } = null!;
    public List<string> LabLimits { get; } = [];
    public TimeSpan InitDuration { get; private set; }
    public TimeSpan ControlPlaneJoinDuration { get; private set; }
    public TimeSpan WorkerJoinDuration { get; private set; }

    public LabNode Node(int i) => Lab.Nodes[i - 1];
    public KubeNodeSession SessionOf(int i) => Sessions[i - 1];
    public string AdminConf => Node(1).UpperPath("/etc/kubernetes/admin.conf");

    string Yaml => $"""
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: InitConfiguration
        timeouts:
          controlPlaneComponentHealthCheck: 2m0s
          kubeletHealthCheck: 1m0s
        ---
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: ClusterConfiguration
        kubernetesVersion: {Version}
        controlPlaneEndpoint: {Node(1).Address}:6443
        encryptionAlgorithm: ECDSA-P256
        networking:
          podSubnet: 10.244.0.0/16
        """;

    /// <summary>A join request as the tests make it: lab limits ignored, short waits.</summary>
    public JoinRequest Request(bool controlPlane = false) => new()
    {
        ControlPlane = ControlPlane,
        AsControlPlane = controlPlane,
        IgnorePreflightErrors = LabLimits,
        DiscoveryTimeout = TimeSpan.FromSeconds(20),
        DiscoveryRetryInterval = TimeSpan.FromSeconds(1),
        TlsBootstrapTimeout = TimeSpan.FromSeconds(90),
        NodeReadyTimeout = TimeSpan.FromSeconds(90),
    };

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        var ct = cts.Token;
        Lab = await NodeLab.CreateAsync(6, ct);
        foreach (var n in Lab.Nodes) await Lab.UseSystemctlStandInAsync(n, Version, ct);
        Sessions = await Lab.OpenSessionsAsync(ct);

        // The checks a fresh lab node fails because it is a lab (no container runtime, no kubelet package, ...).
        var version = KubeVersion.Parse(Version);
        foreach (var role in new[] { PreflightRole.ControlPlane, PreflightRole.ControlPlaneJoin, PreflightRole.Worker })
        {
            var report = await PreflightRunner.RunAsync(Sessions[5], new KubePreflightRequest { Role = role, KubernetesVersion = version }, new CapturingSink(), ct);
            LabLimits.AddRange(report.Errors.Select(e => e.Check).Where(c => !LabLimits.Contains(c)));
        }
        Assert.DoesNotContain(LabLimits, c => c.StartsWith("Port-", StringComparison.Ordinal) || c.StartsWith("FileAvailable-", StringComparison.Ordinal));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        ControlPlane = await InitWorkflow.RunAsync(Sessions[0], new InitRequest
        {
            Configuration = KubeClusterConfiguration.Parse(Yaml, "join lab"),
            UploadCerts = true,
            IgnorePreflightErrors = LabLimits,
        }, new CapturingSink(), ct);
        InitDuration = watch.Elapsed;

        // $cp | Join-KubeNode -Session $n2, $n3 -AsControlPlane
        watch.Restart();
        ControlPlaneJoins = await JoinWorkflow.RunAsync([Sessions[1], Sessions[2]], Request(controlPlane: true), ControlPlaneSink, ct);
        ControlPlaneJoinDuration = watch.Elapsed;
        Fail("control-plane join", ControlPlaneSink);

        // $n4, $n5 | Join-KubeNode -ControlPlane $cp, with node 5's link cut once its kubelet-start is about to restart the kubelet.
        var n5 = Node(5);
        await using var fast5 = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(n5) with { SshOptions = ["ServerAliveInterval=1", "ServerAliveCountMax=3"] }, ct);
        WorkerSink = new CapturingSink
        {
            OnQuestion = async (target, action) =>
            {
                if (target == n5.Address && action.StartsWith("[kubelet-start]", StringComparison.Ordinal) && action.Contains("systemctl", StringComparison.Ordinal))
                    await Lab.CutLinkAsync(n5);
            },
        };
        watch.Restart();
        try
        {
            WorkerJoins = await JoinWorkflow.RunAsync([Sessions[3], fast5], Request(), WorkerSink, ct);
        }
        finally
        {
            await Lab.RestoreLinkAsync(n5);
        }
        WorkerJoinDuration = watch.Elapsed;
        if (WorkerJoins.Count != 1) Fail("worker join", WorkerSink);

        // The same join again for node 5 completes it.
        await using var again5 = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(n5), ct);
        var rejoinSink = new CapturingSink();
        var rejoin = await JoinWorkflow.RunAsync([again5], Request(), rejoinSink, ct);
        Fail("re-join of node 5", rejoinSink);
        WorkerRejoin = rejoin.Single();
    }

    /// <summary>Throws with the errors and the last verbose lines when a join wrote errors.</summary>
    internal static void Fail(string what, CapturingSink sink)
    {
        if (!sink.Errors.IsEmpty)
            throw new InvalidOperationException($"{what}: " + string.Join("\n", sink.Errors.Select(e => $"{e.ErrorId}: {e.Message}")) +
                                                "\n--- verbose ---\n" + string.Join("\n", sink.Verbose.TakeLast(40)));
    }

    public async Task DisposeAsync()
    {
        foreach (var s in Sessions) await s.DisposeAsync();
        if (Lab is not null) await Lab.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class JoinLabNodesCollection : ICollectionFixture<JoinLabFixture>
{
    public const string Name = "join lab nodes";
}
