using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
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
using KubePS.Core.Workflows.Upgrade;
using KubePS.Tests.Lab;
using KubePS.Tests.LabControlPlane;
using Xunit;
using Xunit.Abstractions;

namespace KubePS.Tests.Day2;

/// <summary>
/// A 1.18.5 cluster on three lab nodes: the lab kubelet is a "package" KubePS installs with its binary mechanism (a
/// script in /usr/local/bin that runs the lab kubelet reporting the version it was built for), node 1 is initialized by
/// KubePS (real etcd, the stand-in control plane from KubePS's manifests), nodes 2 and 3 join as workers with a
/// kubelet.conf signed by the cluster CA by openssl (what a join leaves on a node; Join-KubeNode is not on main yet).
/// </summary>
public sealed class UpgradeLabFixture : IAsyncLifetime
{
    public const string From = "v1.18.5", To = "v1.19.5";

    public NodeLab Lab { get; private set; } = null!;
    public IReadOnlyList<KubeNodeSession> Sessions { get; private set; } = [];
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));
    public LabNode Cp => Lab.Nodes[0];
    public string AdminConf => Cp.UpperPath("/etc/kubernetes/admin.conf");

    public KubePackageOptions Packages(string version) => VersionedLabNodes.Packages(version);
    public Tool.Result Kubectl(params string[] args) => VersionedLabNodes.Kubectl(AdminConf, args);
    public string KubectlOk(params string[] args) => VersionedLabNodes.KubectlOk(AdminConf, args);

    public Core.Api.KubeApiClient Api() => KubeClusterConnection.FromFile(AdminConf).CreateClient();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        Lab = await NodeLab.CreateAsync(3, cts.Token);
        foreach (var n in Lab.Nodes) await VersionedLabNodes.SetUpAsync(Lab, n, cts.Token);
        Sessions = await Lab.OpenSessionsAsync(cts.Token);
        // Install-KubePackage -Version 1.18.5 -BinaryPath ... (into /usr/local/bin: the lab's /usr is the host's)
        foreach (var s in Sessions) await NodePreparation.InstallPackagesAsync(s, _ => Packages(From), new CapturingSink(), cts.Token);

        var yaml = $"""
            apiVersion: kubeadm.k8s.io/v1beta2
            kind: InitConfiguration
            ---
            apiVersion: kubeadm.k8s.io/v1beta2
            kind: ClusterConfiguration
            kubernetesVersion: {From}
            apiServer:
              timeoutForControlPlane: 2m0s
            networking:
              podSubnet: 10.244.0.0/16
            """;
        var config = KubeClusterConfiguration.Parse(yaml, "lab");
        var preflight = await PreflightRunner.RunAsync(Sessions[0], new KubePreflightRequest { Role = PreflightRole.ControlPlane, KubernetesVersion = KubeVersion.Parse(From) },
            new CapturingSink(), cts.Token);
        await InitWorkflow.RunAsync(Sessions[0], new InitRequest { Configuration = config, IgnorePreflightErrors = preflight.Errors.Select(e => e.Check).ToList() },
            new CapturingSink(), cts.Token);
        foreach (var w in Lab.Nodes.Skip(1)) await JoinWorkerAsync(w, cts.Token);
        LabTools.WaitFor("three Ready nodes at " + From, TimeSpan.FromSeconds(90), () =>
        {
            var r = Kubectl("get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion}/{.status.conditions[?(@.type==\"Ready\")].status} {end}");
            return (r.ExitCode == 0 && r.Output.Trim().Split(' ').Count(x => x.EndsWith($"={From}/True")) == 3, r.Output + r.Error);
        });
    }

    /// <summary>What kubeadm join leaves on a worker, made with openssl: ca.crt, kubelet.conf (client certificate signed by the cluster CA), config.yaml from the cluster, the flags file; then the kubelet.</summary>
    async Task JoinWorkerAsync(LabNode w, CancellationToken ct)
    {
        var r = LabTools.Bash($"""
            set -e
            openssl req -new -newkey rsa:2048 -nodes -keyout {w.Name}.key -out {w.Name}.csr -subj "/O=system:nodes/CN=system:node:{w.Name}" 2>/dev/null
            printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > {w.Name}.ext
            openssl x509 -req -in {w.Name}.csr -CA {Cp.UpperPath("/etc/kubernetes/pki/ca.crt")} -CAkey {Cp.UpperPath("/etc/kubernetes/pki/ca.key")} -CAcreateserial -CAserial {w.Name}.srl -days 365 -extfile {w.Name}.ext -out {w.Name}.crt 2>/dev/null
            """, workDir: Dir);
        if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
        string B64(string path) => Convert.ToBase64String(File.ReadAllBytes(path));
        var kubeletConf = $"""
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: {B64(Cp.UpperPath("/etc/kubernetes/pki/ca.crt"))}
                server: https://{Cp.Address}:6443
              name: kubernetes
            contexts:
            - context:
                cluster: kubernetes
                user: system:node:{w.Name}
              name: system:node:{w.Name}@kubernetes
            current-context: system:node:{w.Name}@kubernetes
            kind: Config
            users:
            - name: system:node:{w.Name}
              user:
                client-certificate-data: {B64(Path.Combine(Dir, w.Name + ".crt"))}
                client-key-data: {B64(Path.Combine(Dir, w.Name + ".key"))}
            """;
        var config = KubectlOk("get", "cm", "kubelet-config-1.18", "-n", "kube-system", "-o", "jsonpath={.data.kubelet}");
        string Put(string path, string text, string mode) =>
            $"mkdir -p \"$(dirname {path})\"; echo '{Convert.ToBase64String(Encoding.UTF8.GetBytes(text))}' | base64 -d > {path}; chmod {mode} {path}\n";
        var script = "set -e\n" + Put("/etc/kubernetes/pki/ca.crt", File.ReadAllText(Cp.UpperPath("/etc/kubernetes/pki/ca.crt")), "644")
            + Put("/etc/kubernetes/kubelet.conf", kubeletConf, "600") + Put("/var/lib/kubelet/config.yaml", config + "\n", "644")
            + Put("/var/lib/kubelet/kubeadm-flags.env", File.ReadAllText(Cp.UpperPath("/var/lib/kubelet/kubeadm-flags.env")), "644")
            + "systemctl enable --now kubelet\n";
        (await Lab.ExecAsync(w, script, ct)).EnsureSuccess($"join of {w}");
    }

    public async Task DisposeAsync()
    {
        foreach (var s in Sessions) await s.DisposeAsync();
        if (Lab is not null) await Lab.DisposeAsync();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class UpgradeLabCollection : ICollectionFixture<UpgradeLabFixture>
{
    public const string Name = "upgrade lab";
}

/// <summary>A sink that keeps verbose, warning and error lines with the time they came, the errors, and the questions ("action on target"), answering yes.</summary>
public sealed class TimedSink(Stopwatch watch) : KubePS.Core.Operations.IOperationSink
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public ConcurrentQueue<KubeException> Errors { get; } = new();
    public ConcurrentQueue<string> Questions { get; } = new();
    public void WriteObject(object value) { }
    public void WriteVerbose(string message) => Lines.Enqueue($"{watch.Elapsed.TotalSeconds:0.0} {message}");
    public void WriteWarning(string message) => Lines.Enqueue($"{watch.Elapsed.TotalSeconds:0.0} WARNING {message}");
    public void WriteDebug(string message) { }
    public void WriteProgress(KubePS.Core.Operations.ProgressInfo progress) { }
    public void WriteError(KubeException error) { Errors.Enqueue(error); Lines.Enqueue($"{watch.Elapsed.TotalSeconds:0.0} ERROR {error.Message}"); }
    public Task<bool> ShouldChangeAsync(string target, string action, CancellationToken cancellationToken)
    {
        Questions.Enqueue($"{action} on {target}");
        return Task.FromResult(true);
    }
}

/// <summary>
/// Get-KubeNode | Update-KubeCluster -Version 1.19.5 on the lab's 1.18.5 cluster, judged with kubectl 1.32 (mirror pod
/// images, kubelet versions, the API server's /version, kubeadm-config, the addons, cordons recorded while it ran),
/// etcdctl-free checks of etcd (data written before is still read after) and the nodes' own files.
/// </summary>
[Collection(UpgradeLabCollection.Name)]
public sealed class UpgradeLabTests(UpgradeLabFixture fx, ITestOutputHelper output)
{
    UpgradeRequest Request(string version, TimeSpan? componentTimeout = null) => new()
    {
        Version = KubeVersion.Parse(version), Packages = fx.Packages(version.StartsWith("v") ? version : "v" + version), MaxUnavailable = "1",
        ComponentTimeout = componentTimeout ?? TimeSpan.FromMinutes(1), NodeReadyTimeout = TimeSpan.FromMinutes(1),
        Drain = new DrainOptions { IgnoreDaemonSets = true, Timeout = TimeSpan.FromSeconds(30), RetryInterval = TimeSpan.FromMilliseconds(500) },
    };

    Task<KubeNodeSession> SessionFor(KubeNode n, CancellationToken ct) =>
        Task.FromResult(fx.Sessions[fx.Lab.Nodes.ToList().FindIndex(l => l.Name == n.Name)]);

    string Images(string component) =>
        fx.KubectlOk("get", "pods", "-n", "kube-system", "-l", "component=" + component, "-o", "jsonpath={.items[*].spec.containers[0].image}");

    string Kubelets() => fx.KubectlOk("get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion} {end}");

    string ManifestHashes() => VersionedLabNodes.ManifestHashes(fx.Cp);

    /// <summary>Sets (or clears) an extra argument of a component (apiServer, scheduler, ...) in kubeadm-config's ClusterConfiguration, with PyYAML and kubectl.</summary>
    void ExtraArg(string component, string flag, string? value)
    {
        var cm = fx.KubectlOk("get", "cm", "kubeadm-config", "-n", "kube-system", "-o", "json");
        var python = """
            import sys, json, yaml
            cm = json.load(sys.stdin)
            c = yaml.safe_load(cm["data"]["ClusterConfiguration"])
            s = c.get(sys.argv[1]) or {}
            args = s.get("extraArgs") or {}
            if sys.argv[3] == "-": args.pop(sys.argv[2], None)
            else: args[sys.argv[2]] = sys.argv[3]
            s["extraArgs"] = args
            c[sys.argv[1]] = s
            cm["data"]["ClusterConfiguration"] = yaml.safe_dump(c)
            for k in ["resourceVersion", "uid", "creationTimestamp", "managedFields"]: cm["metadata"].pop(k, None)
            print(json.dumps(cm))
            """;
        var edited = Tool.Run("python3", ["-c", python, component, flag, value ?? "-"], stdin: cm).OrThrow("edit kubeadm-config");
        var r = Tool.Run("kubectl", ["--kubeconfig", fx.AdminConf, "replace", "-f", "-"], stdin: edited.Output, env: new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent" });
        Assert.True(r.ExitCode == 0, r.Error);
    }

    [Fact]
    public async Task Refusals_then_a_rollback_then_a_resumed_upgrade_take_the_cluster_from_1_18_5_to_1_19_5()
    {
        using var api = fx.Api();
        var watch = Stopwatch.StartNew();
        // A marker in etcd (through the API) and workload pods on the workers, for the drains to evict.
        fx.KubectlOk("create", "configmap", "upgrade-marker", "--from-literal=written=before");
        foreach (var w in fx.Lab.Nodes.Skip(1))
        {
            var pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-NODE","namespace":"default","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"UID","controller":true}]},"spec":{"nodeName":"NODE","containers":[{"name":"c","image":"registry.k8s.io/pause:3.2"}]}}""".Replace("NODE", w.Name).Replace("UID", Guid.NewGuid().ToString());
            Tool.Run("kubectl", ["--kubeconfig", fx.AdminConf, "create", "-f", "-"], stdin: pod, env: new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent" }).OrThrow("pod");
        }
        var before = ManifestHashes();

        // 1. Refused before anything is touched: a skipped minor and an unknown version.
        var skip = await Assert.ThrowsAnyAsync<KubeException>(() => UpgradeWorkflow.RunAsync(api, Request("1.20.15"), SessionFor, new CapturingSink(), default));
        Assert.Contains("Version.SkipsMinor", skip.ErrorId + skip.Message);
        var unknown = await Assert.ThrowsAnyAsync<KubeException>(() => UpgradeWorkflow.RunAsync(api, Request("1.5.0") with { Packages = null }, SessionFor, new CapturingSink(), default));
        Assert.Contains("Version.Unsupported", unknown.ErrorId + unknown.Message);
        Assert.Equal(before, ManifestHashes());
        Assert.Equal("", fx.KubectlOk("get", "nodes", "-o", "jsonpath={.items[*].spec.unschedulable}"));

        output.WriteLine($"{watch.Elapsed.TotalSeconds:0.0} s: 2. -WhatIf");
        // 2. -WhatIf: the ordered plan, nothing changed.
        var whatIf = new CapturingSink(answer: false);
        var planned = await UpgradeWorkflow.RunAsync(api, Request("1.19.5"), SessionFor, whatIf, default);
        Assert.Equal(["n1", "n2", "n3"], planned.Select(r => r.Node));
        Assert.All(planned, r => Assert.Equal("NotStarted", r.Status));
        Assert.Equal(["n1", "n2", "n3"], whatIf.Questions.Select(q => q.Target));
        Assert.StartsWith("Drain, upgrade the control plane to v1.19.5 (kubeadm upgrade apply", whatIf.Questions.First().Action);
        Assert.Equal(before, ManifestHashes());

        output.WriteLine($"{watch.Elapsed.TotalSeconds:0.0} s: 3. kube-scheduler");
        // 3. kube-apiserver cannot start on the new version (a serving certificate that does not exist): after etcd went to
        // its new version, kube-apiserver is put back on its backed-up manifest and the upgrade stops there.
        ExtraArg("apiServer", "tls-cert-file", "/etc/kubernetes/pki/missing.crt");
        var failSink = new TimedSink(watch);
        var failed = await UpgradeWorkflow.RunAsync(api, Request("1.19.5", TimeSpan.FromSeconds(15)), SessionFor, failSink, default);
        output.WriteLine(string.Join("\n", failSink.Lines));
        output.WriteLine(string.Join("\n", failed.Select(r => $"{r.Node} {r.Status} {r.RolledBack} {r.Message}")));
        Assert.Equal("RolledBack", failed[0].Status);
        Assert.Equal("kube-apiserver", failed[0].RolledBack);
        // The result says where the manifests from before are, and they are there on the node.
        var named = System.Text.RegularExpressions.Regex.Match(failed[0].Message ?? "", "/etc/kubernetes/tmp/kubeadm-backup-manifests-[0-9-]+").Value;
        Assert.True(named.Length > 0 && File.Exists(fx.Cp.UpperPath(named + "/kube-apiserver.yaml")), failed[0].Message);
        Assert.All(failed.Skip(1), r => Assert.Equal("NotStarted", r.Status));
        LabTools.WaitFor("kube-apiserver Ready again on its old manifest", TimeSpan.FromSeconds(60), () =>
        {
            var r = fx.Kubectl("get", "pod", "kube-apiserver-n1", "-n", "kube-system", "-o", "jsonpath={.spec.containers[0].image} {.status.conditions[?(@.type==\"Ready\")].status}");
            return (r.Output.Trim() == $"k8s.gcr.io/kube-apiserver:{UpgradeLabFixture.From} True", r.Output + r.Error);
        });
        Assert.DoesNotContain("missing.crt", File.ReadAllText(fx.Cp.UpperPath("/etc/kubernetes/manifests/kube-apiserver.yaml")));
        Assert.Equal("k8s.gcr.io/etcd:3.4.13-0", Images("etcd"));
        Assert.Equal($"k8s.gcr.io/kube-scheduler:{UpgradeLabFixture.From}", Images("kube-scheduler"));
        Assert.Equal(UpgradeLabFixture.From, (string?)JsonNode.Parse(fx.KubectlOk("get", "--raw", "/version"))!["gitVersion"]);
        Assert.Equal("n1=v1.18.5 n2=v1.18.5 n3=v1.18.5", Kubelets());

        // 4. The fault removed, the same command again: it goes on where it stopped, workers one at a time.
        ExtraArg("apiServer", "tls-cert-file", null);
        var cordons = new ConcurrentQueue<(TimeSpan At, string Cordoned)>();
        using var stopRecording = new CancellationTokenSource();
        var recorder = Task.Run(async () =>
        {
            while (!stopRecording.IsCancellationRequested)
            {
                var r = fx.Kubectl("get", "nodes", "-o", "jsonpath={range .items[?(@.spec.unschedulable==true)]}{.metadata.name} {end}");
                if (r.ExitCode == 0) cordons.Enqueue((watch.Elapsed, r.Output.Trim()));
                await Task.Delay(200);
            }
        });
        var sink = new CapturingSink();
        var results = await UpgradeWorkflow.RunAsync(api, Request("1.19.5"), SessionFor, sink, default);
        stopRecording.Cancel();
        await recorder;
        output.WriteLine(string.Join("\n", results.Select(r => $"{r.Node} {r.Status} batch {r.Batch} {r.Started:HH:mm:ss.fff}-{r.Finished:HH:mm:ss.fff} {r.Message}")));
        Assert.Empty(sink.Errors);
        Assert.Equal(["n1", "n2", "n3"], results.Select(r => r.Node));
        Assert.All(results, r => Assert.Equal("Upgraded", r.Status));
        Assert.Equal([0, 1, 2], results.Select(r => r.Batch));
        Assert.True(results[2].Started >= results[1].Finished, "the second batch started before the first one finished");

        output.WriteLine($"{watch.Elapsed.TotalSeconds:0.0} s: kubectl: every component");
        // kubectl: every component and kubelet at 1.19.5; the API server says so.
        foreach (var c in new[] { "kube-apiserver", "kube-controller-manager", "kube-scheduler" })
            Assert.Equal($"k8s.gcr.io/{c}:{UpgradeLabFixture.To}", Images(c));
        Assert.Equal("k8s.gcr.io/etcd:3.4.13-0", Images("etcd"));
        Assert.Equal("n1=v1.19.5 n2=v1.19.5 n3=v1.19.5", Kubelets());
        Assert.Equal(UpgradeLabFixture.To, (string?)JsonNode.Parse(fx.KubectlOk("get", "--raw", "/version"))!["gitVersion"]);
        Assert.Contains("kubernetesVersion: v1.19.5", fx.KubectlOk("get", "cm", "kubeadm-config", "-n", "kube-system", "-o", "jsonpath={.data.ClusterConfiguration}"));
        Assert.NotEmpty(fx.KubectlOk("get", "cm", "kubelet-config-1.19", "-n", "kube-system", "-o", "jsonpath={.data.kubelet}"));
        Assert.Equal("k8s.gcr.io/kube-proxy:v1.19.5", fx.KubectlOk("get", "ds", "kube-proxy", "-n", "kube-system", "-o", "jsonpath={.spec.template.spec.containers[0].image}"));
        Assert.Equal("k8s.gcr.io/coredns:1.7.0", fx.KubectlOk("get", "deploy", "coredns", "-n", "kube-system", "-o", "jsonpath={.spec.template.spec.containers[0].image}"));
        Assert.Equal("before", fx.KubectlOk("get", "cm", "upgrade-marker", "-o", "jsonpath={.data.written}"));
        // The drains: the workers' pods were evicted, one worker cordoned at a time, n2 before n3, none left cordoned.
        Assert.Contains("NotFound", fx.Kubectl("get", "pod", "web-n2").Error);
        Assert.Contains("NotFound", fx.Kubectl("get", "pod", "web-n3").Error);
        var seen = cordons.ToList();
        Assert.DoesNotContain(seen, s => s.Cordoned.Contains("n2") && s.Cordoned.Contains("n3"));
        var firstN2 = seen.FindIndex(s => s.Cordoned.Contains("n2"));
        var firstN3 = seen.FindIndex(s => s.Cordoned.Contains("n3"));
        Assert.True(firstN2 >= 0 && firstN3 > firstN2, "recorded cordons: " + string.Join(" | ", seen.Select(s => $"{s.At.TotalSeconds:0.0}s [{s.Cordoned}]")));
        Assert.Equal("", fx.KubectlOk("get", "nodes", "-o", "jsonpath={.items[*].spec.unschedulable}"));
        // The backups kubeadm keeps: the 1.18.5 manifests.
        var backups = Directory.GetDirectories(fx.Cp.UpperPath("/etc/kubernetes/tmp"), "kubeadm-backup-manifests-*");
        Assert.Contains(backups, b => File.ReadAllText(Path.Combine(b, "kube-apiserver.yaml")).Contains("kube-apiserver:v1.18.5"));
        Assert.Contains(Directory.GetDirectories(fx.Cp.UpperPath("/etc/kubernetes/tmp"), "kubeadm-backup-etcd-*"), d => Directory.Exists(Path.Combine(d, "etcd", "member")));

        output.WriteLine($"{watch.Elapsed.TotalSeconds:0.0} s: 5. Run again");
        // 5. Run again: nothing to do. A downgrade is refused.
        var again = await UpgradeWorkflow.RunAsync(api, Request("1.19.5"), SessionFor, new CapturingSink(), default);
        Assert.All(again, r => Assert.Equal("UpToDate", r.Status));
        var down = await Assert.ThrowsAnyAsync<KubeException>(() => UpgradeWorkflow.RunAsync(api, Request("1.18.20"), SessionFor, new CapturingSink(), default));
        Assert.Contains("Version.Downgrade", down.ErrorId + down.Message);
        output.WriteLine($"took {watch.Elapsed.TotalSeconds:0} s");
    }
}
