using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.Cluster;
using KubePS.Core.Configuration;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Nodes;
using KubePS.Core.Preflight;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows.Init;
using KubePS.Core.Workflows.Join;
using KubePS.Core.Workflows.Upgrade;
using KubePS.Tests.Join;
using KubePS.Tests.Lab;
using KubePS.Tests.LabControlPlane;
using Xunit;
using Xunit.Abstractions;

namespace KubePS.Tests.Day2;

/// <summary>
/// A highly available 1.18.5 cluster on four lab nodes, made by KubePS as the cmdlets make it: node 1 initialized with
/// -UploadCerts and a controlPlaneEndpoint, nodes 2 and 3 joined as control planes (stacked etcd, one member each) and
/// node 4 as a worker with Join-KubeNode's workflow; kubelet 1.18.5 is a "package" installed by KubePS's binary
/// mechanism (<see cref="VersionedLabNodes"/>). Then, as recorded outcomes for the tests to judge:
/// 1. node 3's kubelet stopped (right after the control-plane joins; the worker joins meanwhile) until kubectl shows the
///    Node NotReady, Update-KubeCluster -Version 1.19.5 tried (it must refuse), the kubelet started again and every
///    Node waited Ready;
/// 2. Get-KubeNode | Update-KubeCluster -Version 1.19.5, while a recorder polls the cordoned nodes and a sampler runs
///    etcdctl endpoint health against the three members every 500 ms.
/// The controller-manager's node lifecycle is given --node-monitor-grace-period=20s (kubeadm passes extraArgs through;
/// the kubelet renews its Lease every 10 s), so that a stopped kubelet shows NotReady in about 20-25 s instead of 40-45 s.
/// </summary>
public sealed class UpgradeHaLabFixture : IAsyncLifetime
{
    public const string From = "v1.18.5", To = "v1.19.5";
    public const string NodeMonitorGracePeriod = "20s";

    public NodeLab Lab { get; private set; } = null!;
    public IReadOnlyList<KubeNodeSession> Sessions { get; private set; } = [];
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));
    public List<string> LabLimits { get; } = [];
    public IReadOnlyList<LabNode> ControlPlanes => Lab.Nodes.Take(3).ToList();
    public string AdminConf => Lab.Nodes[0].UpperPath("/etc/kubernetes/admin.conf");
    public Stopwatch Watch { get; } = new();
    /// <summary>What took how long (setup, refusal, upgrade), for the output.</summary>
    public List<string> Timings { get; } = [];

    // 1. The refusal.
    public string NotReadySeen { get; private set; } = "";
    public Exception? Refusal { get; private set; }
    public IReadOnlyList<string> RefusalQuestions { get; private set; } = [];
    public IReadOnlyDictionary<string, string> HashesBeforeRefusal { get; private set; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> HashesAfterRefusal { get; private set; } = new Dictionary<string, string>();
    public string CordonedAfterRefusal { get; private set; } = "";

    // 2. The upgrade.
    public IReadOnlyList<KubeNodeUpgradeResult> Results { get; private set; } = [];
    public TimedSink UpgradeSink { get; private set; } = null!;
    public ConcurrentQueue<(TimeSpan At, string Cordoned)> Cordons { get; } = new();
    public ConcurrentQueue<EtcdSample> EtcdSamples { get; } = new();
    /// <summary>The kubelets' log lines of each etcd container start (when each member went to its new manifest).</summary>
    public List<string> EtcdStarts { get; } = [];
    /// <summary>etcdctl endpoint status (leader, raft term) before and after the upgrade.</summary>
    public List<string> RaftTerms { get; } = [];
    public TimeSpan UpgradeStarted { get; private set; }
    public TimeSpan UpgradeFinished { get; private set; }

    /// <summary>One etcdctl endpoint health over the three members: which answered healthy (a linearizable read, so quorum), and what the others said.</summary>
    public sealed record EtcdSample(TimeSpan At, DateTimeOffset Time, int ExitCode, IReadOnlyList<string> Healthy, string Unhealthy)
    {
        public override string ToString() => $"{At.TotalSeconds,6:0.0}s {Healthy.Count}/3 healthy [{string.Join(" ", Healthy)}]{(Unhealthy.Length > 0 ? " " + Unhealthy : "")}";
    }

    public Tool.Result Kubectl(params string[] args) => VersionedLabNodes.Kubectl(AdminConf, args);
    public string KubectlOk(params string[] args) => VersionedLabNodes.KubectlOk(AdminConf, args);
    public string EtcdPki(string file) => Path.Combine(Dir, "etcd-" + file);
    string Endpoints => string.Join(",", ControlPlanes.Select(n => $"https://{n.Address}:2379"));

    /// <summary>etcdctl over TLS with the healthcheck client certificate KubePS made (copied before the upgrade renews it), against the three members.</summary>
    public ToolResult Etcdctl(params string[] args) => LabTools.Run("etcdctl",
        ["--endpoints", Endpoints, "--cacert", EtcdPki("ca.crt"), "--cert", EtcdPki("healthcheck-client.crt"), "--key", EtcdPki("healthcheck-client.key"),
         "--dial-timeout=1s", "--command-timeout=2s", .. args],
        new Dictionary<string, string> { ["ETCDCTL_API"] = "3" }, timeout: TimeSpan.FromSeconds(20));

    public EtcdSample SampleEtcd()
    {
        var at = Watch.Elapsed;
        var time = DateTimeOffset.UtcNow;
        var r = Etcdctl("endpoint", "health");
        var lines = r.All.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var healthy = lines.Where(l => l.Contains(" is healthy", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).Order(StringComparer.Ordinal).ToList();
        var unhealthy = string.Join(" | ", lines.Where(l => l.Contains(" is unhealthy", StringComparison.Ordinal)).Select(l => l.Length > 140 ? l[..140] : l));
        return new EtcdSample(at, time, r.ExitCode, healthy, unhealthy);
    }

    string ReadyOf(string node) =>
        Kubectl("get", "node", node, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}/{.status.conditions[?(@.type==\"Ready\")].reason}").Output.Trim();

    IReadOnlyDictionary<string, string> Hashes() => ControlPlanes.ToDictionary(n => n.Name, VersionedLabNodes.ManifestHashes);

    public UpgradeRequest Request(IReadOnlyList<string> nodes) => new()
    {
        // Update-KubeCluster -Version 1.19.5 -BinaryPath ... -BinaryDirectory /usr/local/bin -Timeout 00:02:00, as the cmdlet builds it.
        Version = VersionCatalog.Resolve(KubeVersion.Parse("1.19.5")), Nodes = nodes, MaxUnavailable = "1", Packages = VersionedLabNodes.Packages(To),
        Drain = new DrainOptions { IgnoreDaemonSets = true, Timeout = TimeSpan.FromSeconds(30) },
        ComponentTimeout = TimeSpan.FromMinutes(2), NodeReadyTimeout = TimeSpan.FromMinutes(2),
    };

    /// <summary>Get-KubeNode's names, and the session of each (the cmdlet finds the registered session by host name).</summary>
    public IReadOnlyList<string> NodeNames() => KubectlOk("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}").Split(' ');

    public Task<KubeNodeSession> SessionFor(KubeNode n, CancellationToken ct) =>
        Task.FromResult(Sessions.Single(s => s.HostName == Lab.Nodes.Single(l => l.Name == n.Name).Address));

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        Watch.Start();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var ct = cts.Token;
        Lab = await NodeLab.CreateAsync(4, ct);
        await Task.WhenAll(Lab.Nodes.Select(n => VersionedLabNodes.SetUpAsync(Lab, n, ct)));
        Sessions = await Lab.OpenSessionsAsync(ct);
        await Task.WhenAll(Sessions.Select(s => NodePreparation.InstallPackagesAsync(s, _ => VersionedLabNodes.Packages(From), new CapturingSink(), ct)));

        // The checks a lab node fails because it is a lab (no container runtime, ...), asked of node 2 before anything runs.
        foreach (var role in new[] { PreflightRole.ControlPlane, PreflightRole.ControlPlaneJoin, PreflightRole.Worker })
        {
            var report = await PreflightRunner.RunAsync(Sessions[1], new KubePreflightRequest { Role = role, KubernetesVersion = KubeVersion.Parse(From) }, new CapturingSink(), ct);
            LabLimits.AddRange(report.Errors.Select(e => e.Check).Where(c => !LabLimits.Contains(c)));
        }
        Assert.DoesNotContain(LabLimits, c => c.StartsWith("Port-", StringComparison.Ordinal) || c.StartsWith("FileAvailable-", StringComparison.Ordinal));

        // Initialize-KubeControlPlane -UploadCerts on node 1.
        var yaml = $"""
            apiVersion: kubeadm.k8s.io/v1beta2
            kind: InitConfiguration
            ---
            apiVersion: kubeadm.k8s.io/v1beta2
            kind: ClusterConfiguration
            kubernetesVersion: {From}
            controlPlaneEndpoint: {Lab.Nodes[0].Address}:6443
            apiServer:
              timeoutForControlPlane: 2m0s
            controllerManager:
              extraArgs:
                node-monitor-grace-period: {NodeMonitorGracePeriod}
            networking:
              podSubnet: 10.244.0.0/16
            """;
        var cp = await InitWorkflow.RunAsync(Sessions[0], new InitRequest
        {
            Configuration = KubeClusterConfiguration.Parse(yaml, "upgrade HA lab"), UploadCerts = true, IgnorePreflightErrors = LabLimits,
        }, new CapturingSink(), ct);
        Timings.Add($"init {Watch.Elapsed.TotalSeconds:0.0}s");

        // $cp | Join-KubeNode -Session $n2, $n3 -AsControlPlane, then $cp | Join-KubeNode -Session $n4.
        JoinRequest Join(bool controlPlane) => new()
        {
            ControlPlane = cp, AsControlPlane = controlPlane, IgnorePreflightErrors = LabLimits,
            DiscoveryTimeout = TimeSpan.FromSeconds(30), DiscoveryRetryInterval = TimeSpan.FromSeconds(1),
            TlsBootstrapTimeout = TimeSpan.FromSeconds(90), NodeReadyTimeout = TimeSpan.FromSeconds(90),
        };
        await JoinAsync("control-plane join", [Sessions[1], Sessions[2]], Join(controlPlane: true), ct);
        Timings.Add($"control-plane joins {Watch.Elapsed.TotalSeconds:0.0}s");
        WaitReady(3);

        // 1. The refusal. Node 3's kubelet stops now; the worker joins while the node lifecycle controller's grace period runs.
        var n3 = Lab.Nodes[2];
        HashesBeforeRefusal = Hashes();
        (await Lab.ExecAsync(n3, "systemctl stop kubelet", ct)).EnsureSuccess("stop the kubelet of n3");
        var stopped = Watch.Elapsed;
        await JoinAsync("worker join", [Sessions[3]], Join(controlPlane: false), ct);
        Timings.Add($"worker join {Watch.Elapsed.TotalSeconds:0.0}s");
        LabTools.WaitFor("kubectl to show n3 NotReady", TimeSpan.FromSeconds(90), () =>
        {
            NotReadySeen = ReadyOf(n3.Name);
            return (NotReadySeen.Length > 0 && !NotReadySeen.StartsWith("True", StringComparison.Ordinal), NotReadySeen);
        });
        Timings.Add($"n3 NotReady ({NotReadySeen}) {(Watch.Elapsed - stopped).TotalSeconds:0.0}s after its kubelet stopped");
        using var api = KubeClusterConnection.FromFile(AdminConf).CreateClient();
        var sink = new CapturingSink();
        try { await UpgradeWorkflow.RunAsync(api, Request(NodeNames()), SessionFor, sink, ct); }
        catch (Exception e) { Refusal = e; }
        RefusalQuestions = sink.Questions.Select(q => q.ToString()).ToList();
        HashesAfterRefusal = Hashes();
        CordonedAfterRefusal = KubectlOk("get", "nodes", "-o", "jsonpath={.items[*].spec.unschedulable}");
        (await Lab.ExecAsync(n3, "systemctl start kubelet", ct)).EnsureSuccess("start the kubelet of n3");
        WaitReady(4);
        Timings.Add($"refusal done, cluster of 3 control planes + 1 worker Ready {Watch.Elapsed.TotalSeconds:0.0}s");

        // 2. The upgrade.
        await UpgradeAsync(api, ct);
    }

    void WaitReady(int count) => LabTools.WaitFor($"{count} Ready nodes at {From}", TimeSpan.FromSeconds(90), () =>
    {
        var r = Kubectl("get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion}/{.status.conditions[?(@.type==\"Ready\")].status} {end}");
        return (r.ExitCode == 0 && r.Output.Trim().Split(' ').Count(x => x.EndsWith($"={From}/True")) == count, r.Output + r.Error);
    });

    /// <summary>Join-KubeNode's workflow; a failure comes with the errors, the last verbose lines and the logs of node 1 and of the joining nodes.</summary>
    async Task JoinAsync(string what, IReadOnlyList<KubeNodeSession> nodes, JoinRequest request, CancellationToken ct)
    {
        var sink = new CapturingSink();
        try
        {
            await JoinWorkflow.RunAsync(nodes, request, sink, ct);
            JoinLabFixture.Fail(what, sink);
        }
        catch (Exception e) when (e is KubeException or InvalidOperationException)
        {
            var logs = new List<string>();
            foreach (var n in Lab.Nodes.Where(n => n == Lab.Nodes[0] || nodes.Any(s => s.HostName == n.Address)))
                logs.Add($"===== {n.Name}\n" + await LogsAsync(n));
            throw new InvalidOperationException(e.Message + "\n" + string.Join("\n", logs), e);
        }
    }

    /// <summary>The last lines of a node's kubelet and control-plane container logs, for a failure's message.</summary>
    public async Task<string> LogsAsync(LabNode n) =>
        (await Lab.ExecAsync(n, "for f in /var/log/kubelet.log /var/log/pods/*/*/*.log; do echo \"== $f\"; tail -n 15 \"$f\"; done 2>&1")).Output;

    async Task UpgradeAsync(Core.Api.KubeApiClient api, CancellationToken ct)
    {
        // The etcd client certificate as it is now: the upgrade renews the node's copy, and the etcd CA stays.
        foreach (var f in new[] { "ca.crt", "healthcheck-client.crt", "healthcheck-client.key" })
            File.Copy(Lab.Nodes[0].UpperPath("/etc/kubernetes/pki/etcd/" + f), EtcdPki(f));
        RaftTerms.Add("before: " + Etcdctl("endpoint", "status", "-w", "table").Stdout);
        var first = SampleEtcd();
        if (first.Healthy.Count != 3) throw new InvalidOperationException("etcd is not healthy before the upgrade: " + first);
        EtcdSamples.Enqueue(first);

        using var stop = new CancellationTokenSource();
        var bound = Watch.Elapsed + TimeSpan.FromMinutes(5);
        // Bounded: every 500 ms, at most 600 samples or five minutes, whichever comes first.
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && EtcdSamples.Count < 600 && Watch.Elapsed < bound)
            {
                EtcdSamples.Enqueue(SampleEtcd());
                try { await Task.Delay(500, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        var recorder = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && Watch.Elapsed < bound)
            {
                var r = Kubectl("get", "nodes", "-o", "jsonpath={range .items[?(@.spec.unschedulable==true)]}{.metadata.name} {end}");
                if (r.ExitCode == 0) Cordons.Enqueue((Watch.Elapsed, r.Output.Trim()));
                try { await Task.Delay(300, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        UpgradeSink = new TimedSink(Watch);
        UpgradeStarted = Watch.Elapsed;
        try
        {
            // Get-KubeNode | Update-KubeCluster -Version 1.19.5
            Results = await UpgradeWorkflow.RunAsync(api, Request(NodeNames()), SessionFor, UpgradeSink, ct);
        }
        finally
        {
            UpgradeFinished = Watch.Elapsed;
            stop.Cancel();
            await Task.WhenAll(sampler, recorder);
        }
        EtcdSamples.Enqueue(SampleEtcd());
        RaftTerms.Add("after: " + Etcdctl("endpoint", "status", "-w", "table").Stdout);
        foreach (var n in ControlPlanes)
            EtcdStarts.AddRange((await Lab.ExecAsync(n, "grep -h 'container etcd/etcd started' /var/log/kubelet.log | cut -c1-80", ct)).Output
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => $"{n.Name}: {l}"));
        Timings.Add($"upgrade {(UpgradeFinished - UpgradeStarted).TotalSeconds:0.0}s, all done {Watch.Elapsed.TotalSeconds:0.0}s");
    }

    public async Task DisposeAsync()
    {
        foreach (var s in Sessions) await s.DisposeAsync();
        if (Lab is not null) await Lab.DisposeAsync();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class UpgradeHaLabCollection : ICollectionFixture<UpgradeHaLabFixture>
{
    public const string Name = "upgrade HA lab";
}

/// <summary>
/// Get-KubeNode | Update-KubeCluster -Version 1.19.5 on a 1.18.5 cluster of three stacked-etcd control planes and a
/// worker, all made by KubePS: judged by kubectl 1.32 (mirror pod images per node, kubelet versions, /version, cordons
/// recorded while it ran), etcdctl over TLS with the cluster's etcd client certificate (health of every member sampled
/// every 500 ms during the upgrade, the member list after) and the nodes' own manifests (hashes).
/// </summary>
[Collection(UpgradeHaLabCollection.Name)]
public sealed class UpgradeHaLabTests(UpgradeHaLabFixture fx, ITestOutputHelper output)
{
    static readonly string[] ControlPlaneNames = ["n1", "n2", "n3"];

    void Print()
    {
        output.WriteLine(string.Join("\n", fx.Timings));
        output.WriteLine(string.Join("\n", fx.Results.Select(r => $"{r.Node} {r.Role} {r.Status} batch {r.Batch} {r.Started:HH:mm:ss.fff}-{r.Finished:HH:mm:ss.fff} {r.Message}")));
    }

    [Fact]
    public void A_NotReady_control_plane_is_refused_by_name_before_anything_is_touched()
    {
        Print();
        output.WriteLine($"kubectl saw n3 Ready={fx.NotReadySeen}; refusal: {fx.Refusal?.Message}");
        // kubectl saw it: the lab controller-manager's node lifecycle set Ready=Unknown once the kubelet stopped posting status.
        Assert.StartsWith("Unknown/", fx.NotReadySeen);
        var refusal = Assert.IsAssignableFrom<KubeException>(fx.Refusal);
        Assert.Equal("Upgrade.ControlPlaneNotReady", refusal.ErrorId);
        Assert.Equal("n3", refusal.Target);
        Assert.Contains("n3", refusal.Message);
        // Nothing was asked, nothing changed: every control plane's manifests byte for byte, no node cordoned.
        Assert.Empty(fx.RefusalQuestions);
        Assert.Equal(3, fx.HashesBeforeRefusal.Count);
        Assert.Equal(fx.HashesBeforeRefusal, fx.HashesAfterRefusal);
        Assert.Equal("", fx.CordonedAfterRefusal);
    }

    [Fact]
    public void Control_planes_are_upgraded_one_at_a_time_the_first_by_upgrade_apply_the_others_by_upgrade_node_then_the_worker()
    {
        Print();
        var seen = fx.Cordons.ToList();
        output.WriteLine("cordoned (changes seen by kubectl): " + string.Join(" | ", seen.Where((s, i) => i == 0 || s.Cordoned != seen[i - 1].Cordoned)
            .Select(s => $"{s.At.TotalSeconds:0.0}s [{s.Cordoned}]")));
        output.WriteLine("asked:\n" + string.Join("\n", fx.UpgradeSink.Questions));
        output.WriteLine("verbose:\n" + string.Join("\n", fx.UpgradeSink.Lines));
        Assert.Empty(fx.UpgradeSink.Errors);
        Assert.Equal(["n1", "n2", "n3", "n4"], fx.Results.Select(r => r.Node));
        Assert.All(fx.Results, r => Assert.Equal("Upgraded", r.Status));
        Assert.Equal(["ControlPlane", "ControlPlane", "ControlPlane", "Worker"], fx.Results.Select(r => r.Role));
        for (int i = 1; i < fx.Results.Count; i++)
            Assert.True(fx.Results[i].Started >= fx.Results[i - 1].Finished, $"{fx.Results[i].Node} started before {fx.Results[i - 1].Node} finished");
        // What was asked of each node (the -WhatIf/-Confirm text): n1 by upgrade apply, n2 and n3 by upgrade node.
        var questions = fx.UpgradeSink.Questions.ToList();
        Assert.Equal(["n1", "n2", "n3", "n4"], questions.Select(q => q[(q.LastIndexOf(" on ", StringComparison.Ordinal) + 4)..]));
        Assert.Contains("(kubeadm upgrade apply", questions[0]);
        Assert.All(questions.Skip(1).Take(2), q => Assert.Contains("(kubeadm upgrade node)", q));
        Assert.DoesNotContain("kubeadm upgrade", questions[3]);
        // kubectl's view while it ran: never two nodes cordoned at once, each node cordoned in turn n1, n2, n3, n4.
        Assert.DoesNotContain(seen, s => s.Cordoned.Contains(' '));
        var firsts = new[] { "n1", "n2", "n3", "n4" }.Select(n => seen.FindIndex(s => s.Cordoned == n)).ToList();
        Assert.True(firsts.All(i => i >= 0) && firsts.SequenceEqual(firsts.Order()),
            "first cordon of n1..n4 at samples " + string.Join(",", firsts) + ": " + string.Join(" | ", seen.Select(s => $"{s.At.TotalSeconds:0.0}s [{s.Cordoned}]")));
        // Each control plane's cordon ended before the next began: the last sample showing n1 cordoned comes before the first showing n2.
        for (int i = 1; i < 3; i++)
            Assert.True(seen.FindLastIndex(s => s.Cordoned == ControlPlaneNames[i - 1]) < firsts[i]);
    }

    [Fact]
    public void Kubectl_shows_every_control_plane_component_and_kubelet_at_1_19_5_and_no_node_cordoned()
    {
        Print();
        foreach (var component in new[] { "kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd" })
        {
            var images = fx.KubectlOk("get", "pods", "-n", "kube-system", "-l", "component=" + component,
                "-o", "jsonpath={range .items[*]}{.spec.nodeName}={.spec.containers[0].image}/{.status.containerStatuses[0].ready} {end}");
            output.WriteLine(images);
            // etcd: kubeadm 1.19's SupportedEtcdVersion from 1.19.1 on is 3.4.13-0 (kubeadm-versions.md), newer than 1.18's 3.4.3-0.
            var image = component == "etcd" ? "k8s.gcr.io/etcd:3.4.13-0" : $"k8s.gcr.io/{component}:{UpgradeHaLabFixture.To}";
            Assert.Equal(ControlPlaneNames.Select(n => $"{n}={image}/true"), images.Split(' ').Order(StringComparer.Ordinal));
        }
        Assert.Equal("n1=v1.19.5 n2=v1.19.5 n3=v1.19.5 n4=v1.19.5",
            fx.KubectlOk("get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion} {end}"));
        Assert.Equal(UpgradeHaLabFixture.To, (string?)JsonNode.Parse(fx.KubectlOk("get", "--raw", "/version"))!["gitVersion"]);
        Assert.Equal("", fx.KubectlOk("get", "nodes", "-o", "jsonpath={.items[*].spec.unschedulable}"));
        Assert.Equal("True True True True", fx.KubectlOk("get", "nodes", "-o", "jsonpath={.items[*].status.conditions[?(@.type==\"Ready\")].status}"));
        Assert.Contains("kubernetesVersion: v1.19.5", fx.KubectlOk("get", "cm", "kubeadm-config", "-n", "kube-system", "-o", "jsonpath={.data.ClusterConfiguration}"));
        // kubeadm 1.18/1.19's ClusterStatus lists every control plane (the joins added theirs, the upgrade kept them).
        var status = Init.InitTestSupport.PyYamlText(fx.KubectlOk("get", "cm", "kubeadm-config", "-n", "kube-system", "-o", "jsonpath={.data.ClusterStatus}"));
        Assert.Equal(fx.ControlPlanes.Select(n => $"{n.Name}={n.Address}:6443"),
            status["apiEndpoints"]!.AsObject().Select(e => $"{e.Key}={e.Value!["advertiseAddress"]}:{e.Value["bindPort"]}").Order(StringComparer.Ordinal));
        // Each control plane's manifests on disk name the new version (the mirror pods come from them).
        foreach (var n in fx.ControlPlanes)
            Assert.Contains($"kube-apiserver:{UpgradeHaLabFixture.To}", File.ReadAllText(n.UpperPath("/etc/kubernetes/manifests/kube-apiserver.yaml")));
    }

    [Fact]
    public void Etcd_kept_its_quorum_in_every_sample_and_ends_with_three_healthy_voting_members()
    {
        Print();
        var samples = fx.EtcdSamples.ToList();
        output.WriteLine($"upgrade {fx.UpgradeStarted.TotalSeconds:0.0}s-{fx.UpgradeFinished.TotalSeconds:0.0}s, {samples.Count} etcd samples:");
        output.WriteLine(string.Join("\n", samples));
        output.WriteLine($"{samples.Count(s => s.Healthy.Count < 3)} sample(s) with a member down; etcd container starts in the kubelets' logs:\n" + string.Join("\n", fx.EtcdStarts));
        output.WriteLine(string.Join("\n", fx.RaftTerms));
        Assert.All(samples, s => Assert.True(s.Healthy.Count >= 2, "no quorum: " + s));
        // Sampled while each control plane was upgraded (its etcd member restarted on its new manifest then).
        foreach (var r in fx.Results.Where(r => r.Role == "ControlPlane"))
            Assert.True(samples.Count(s => s.Time >= r.Started && s.Time <= r.Finished) >= 3, $"fewer than 3 samples during {r.Node}'s upgrade");
        // The samples span the whole upgrade: one before it began, one after it ended (all three healthy again).
        Assert.True(samples[0].At <= fx.UpgradeStarted && samples[^1].At >= fx.UpgradeFinished);
        Assert.Equal(3, samples[0].Healthy.Count);
        Assert.Equal(3, samples[^1].Healthy.Count);

        var list = fx.Etcdctl("member", "list", "-w", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var members = JsonNode.Parse(list.Stdout)!["members"]!.AsArray();
        output.WriteLine(list.Stdout);
        Assert.Equal(ControlPlaneNames, members.Select(m => (string)m!["name"]!).Order(StringComparer.Ordinal));
        Assert.All(members, m => Assert.NotEqual(true, (bool?)m!["isLearner"]));
        Assert.Equal(fx.ControlPlanes.Select(n => $"https://{n.Address}:2379").Order(StringComparer.Ordinal),
            members.Select(m => (string)m!["clientURLs"]![0]!).Order(StringComparer.Ordinal));
        var health = fx.Etcdctl("endpoint", "health");
        Assert.True(health.ExitCode == 0, health.ToString());
        Assert.Equal(3, health.All.Split('\n').Count(l => l.Contains(" is healthy")));
    }
}
