using System.Text.Json.Nodes;
using KubePS.Core.Configuration;
using KubePS.Core.Nodes;
using KubePS.Core.Preflight;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows;
using KubePS.Core.Workflows.Init;
using KubePS.Tests.Lab;
using Xunit;
using Xunit.Abstractions;

namespace KubePS.Tests.Init;

/// <summary>
/// Four fresh lab nodes with the lab control plane's systemctl stand-in on their PATH: the lab kubelet KubePS starts
/// runs what KubePS writes to /etc/kubernetes/manifests (real etcd, the stand-in API server, controller-manager and
/// scheduler). Node 1 is initialized once for the whole class; nodes 2 to 4 serve the fault tests (one fault each,
/// so that their order does not matter).
/// </summary>
public sealed class InitLabFixture : IAsyncLifetime
{
    public const string Version = "v1.32.13";

    /// <summary>kubeadm v1beta4 for 1.32 with short waits (a broken control plane fails in seconds, not 4 minutes) and P-256 keys.</summary>
    public static string Yaml(string controlPlaneTimeout = "2m0s", string? certificateKey = null) => $"""
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: InitConfiguration
        {(certificateKey is null ? "" : "certificateKey: " + certificateKey)}
        timeouts:
          controlPlaneComponentHealthCheck: {controlPlaneTimeout}
          kubeletHealthCheck: 1m0s
        ---
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: ClusterConfiguration
        kubernetesVersion: {Version}
        encryptionAlgorithm: ECDSA-P256
        networking:
          podSubnet: 10.244.0.0/16
        """;

    public const string CertificateKey = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

    public NodeLab Lab { get; private set; } = null!;
    public IReadOnlyList<KubeNodeSession> Sessions { get; private set; } = [];
    public IReadOnlyList<KubePreflightReport> Preflight { get; private set; } = [];
    public KubeControlPlane ControlPlane { get; private set; } = null!;
    public KubeControlPlane Rerun { get; private set; } = null!;
    public CapturingSink RerunSink { get; } = new();

    /// <summary>The preflight errors of a fresh lab node that come from it being a lab (no CRI, no kubelet package ...).</summary>
    public IReadOnlyList<string> LabLimits(int node) => Preflight[node].Errors.Select(e => e.Check).ToList();

    public InitRequest Request(int node, string? yaml = null) => new()
    {
        Configuration = KubeClusterConfiguration.Parse(yaml ?? Yaml(), "lab"),
        IgnorePreflightErrors = LabLimits(node),
    };

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        Lab = await NodeLab.CreateAsync(4, cts.Token);
        foreach (var n in Lab.Nodes) await SetUpAsync(n, cts.Token);
        Sessions = await Lab.OpenSessionsAsync(cts.Token);
        // New-KubeNodeSession | Invoke-KubePreflight
        var request = new KubePreflightRequest { Role = PreflightRole.ControlPlane, KubernetesVersion = KubeVersion.Parse(Version) };
        Preflight = await Task.WhenAll(Sessions.Select(s => PreflightRunner.RunAsync(s, request, new CapturingSink(), cts.Token)));
        Assert.DoesNotContain(Preflight[0].Errors, e => e.Check.StartsWith("Port-"));

        // Node 1: the whole init, with -UploadCerts and the configuration's certificate key (so that a re-run can tell
        // that kubeadm-certs is up to date), then the same init again.
        var node1 = Request(0, Yaml(certificateKey: CertificateKey)) with { UploadCerts = true };
        ControlPlane = await InitWorkflow.RunAsync(Sessions[0], node1, new CapturingSink(), cts.Token);
        Rerun = await InitWorkflow.RunAsync(Sessions[0], node1, RerunSink, cts.Token);
    }


    /// <summary>The systemctl stand-in first on the node's PATH, as systemd.</summary>
    public Task SetUpAsync(LabNode n, CancellationToken ct = default) => Lab.UseSystemctlStandInAsync(n, Version, ct);

    public async Task DisposeAsync()
    {
        foreach (var s in Sessions) await s.DisposeAsync();
        if (Lab is not null) await Lab.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class InitLabCollection : ICollectionFixture<InitLabFixture>
{
    public const string Name = "init lab";
}

[Collection(InitLabCollection.Name)]
public sealed class InitLabTests(InitLabFixture fx, ITestOutputHelper output)
{
    LabNode Node1 => fx.Lab.Nodes[0];
    string AdminConf => Node1.UpperPath("/etc/kubernetes/admin.conf");

    Infrastructure.Tool.Result Kubectl(params string[] args) =>
        Infrastructure.Tool.Run("kubectl", ["--kubeconfig", AdminConf, .. args], env: new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent" });

    JsonNode KubectlJson(params string[] args)
    {
        var r = Kubectl([.. args, "-o", "json"]);
        Assert.True(r.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {r.Error}{r.Output}");
        return JsonNode.Parse(r.Output)!;
    }

    [Fact]
    public void Kubectl_with_admin_conf_sees_the_control_plane_Node_Ready_with_kubeadms_label_and_taint()
    {
        var node = KubectlJson("get", "node", fx.ControlPlane.Node);
        Assert.Equal("n1", fx.ControlPlane.Node);
        var ready = node["status"]!["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "Ready")!;
        Assert.Equal("True", (string?)ready["status"]);
        Assert.Equal("", (string?)node["metadata"]!["labels"]!["node-role.kubernetes.io/control-plane"]);
        Assert.Equal("", (string?)node["metadata"]!["labels"]!["node.kubernetes.io/exclude-from-external-load-balancers"]);
        Assert.Contains(node["spec"]!["taints"]!.AsArray(), t => (string?)t!["key"] == "node-role.kubernetes.io/control-plane" && (string?)t["effect"] == "NoSchedule");
        Assert.Equal(fx.ControlPlane.Endpoint, $"https://{Node1.Address}:6443");
    }

    [Fact]
    public void Kubectl_sees_kubeadms_configmaps_the_bootstrap_token_and_the_addons()
    {
        var kubeadmConfig = KubectlJson("get", "configmap", "kubeadm-config", "-n", "kube-system");
        Assert.Contains("kind: ClusterConfiguration", (string)kubeadmConfig["data"]!["ClusterConfiguration"]!);
        Assert.Contains($"kubernetesVersion: {InitLabFixture.Version}", (string)kubeadmConfig["data"]!["ClusterConfiguration"]!);
        var clusterInfo = KubectlJson("get", "configmap", "cluster-info", "-n", "kube-public");
        Assert.Contains($"server: https://{Node1.Address}:6443", (string)clusterInfo["data"]!["kubeconfig"]!);
        KubectlJson("get", "configmap", "kubelet-config", "-n", "kube-system");
        var token = fx.ControlPlane.BootstrapToken!;
        var secret = KubectlJson("get", "secret", $"bootstrap-token-{token.Id}", "-n", "kube-system");
        Assert.Equal("bootstrap.kubernetes.io/token", (string?)secret["type"]);
        foreach (var (kind, name) in new[] { ("deployment", "coredns"), ("service", "kube-dns"), ("configmap", "coredns"), ("daemonset", "kube-proxy"), ("configmap", "kube-proxy"), ("serviceaccount", "kube-proxy") })
            KubectlJson("get", kind, name, "-n", "kube-system");
        KubectlJson("get", "clusterrolebinding", "kubeadm:cluster-admins");
        // The static pods run from the manifests KubePS wrote, with their images.
        var apiserver = KubectlJson("get", "pod", $"kube-apiserver-{fx.ControlPlane.Node}", "-n", "kube-system");
        Assert.Equal($"registry.k8s.io/kube-apiserver:{InitLabFixture.Version}", (string?)apiserver["spec"]!["containers"]![0]!["image"]);
    }

    [Fact]
    public void Etcdctl_with_the_healthcheck_client_certificate_sees_a_healthy_member()
    {
        string Pki(string f) => Node1.UpperPath("/etc/kubernetes/pki/etcd/" + f);
        string[] tls = ["--endpoints", $"https://{Node1.Address}:2379", "--cacert", Pki("ca.crt"), "--cert", Pki("healthcheck-client.crt"), "--key", Pki("healthcheck-client.key")];
        var health = Infrastructure.Tool.Run("etcdctl", [.. tls, "endpoint", "health"], env: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        Assert.True(health.ExitCode == 0, health.Output + health.Error);
        Assert.Contains("is healthy", health.Output + health.Error);
        var members = Infrastructure.Tool.Run("etcdctl", [.. tls, "member", "list"], env: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        Assert.Contains($"n1, https://{Node1.Address}:2380", members.Output);
    }

    [Fact]
    public void Re_running_the_same_init_changes_nothing()
    {
        foreach (var c in fx.Rerun.Changes) output.WriteLine(c.ToString());
        Assert.Empty(fx.Rerun.Changes);
        Assert.Empty(fx.RerunSink.Questions);
        Assert.Equal(fx.ControlPlane.CACertHash, fx.Rerun.CACertHash);
        Assert.Equal(fx.ControlPlane.BootstrapToken!.Reveal(), fx.Rerun.BootstrapToken!.Reveal());
        // Nothing was written: the round trips are the probe, the one read and the read-only health checks.
        output.WriteLine(string.Join(", ", fx.Rerun.RoundTrips.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Equal(["(prepare)", "kubelet-finalize", "wait-control-plane"], fx.Rerun.RoundTrips.Keys.Order().ToArray());
    }

    [Fact]
    public void The_first_init_made_each_phases_changes_in_kubeadms_order()
    {
        foreach (var p in fx.ControlPlane.Phases) output.WriteLine($"{p.Name} {p.Status} {p.Duration.TotalMilliseconds:F0} ms, {p.Changes} changes, {fx.ControlPlane.RoundTrips.GetValueOrDefault(p.Name)} round trips");
        var wait = fx.ControlPlane.Phases.Single(p => p.Name == "wait-control-plane").Duration;
        output.WriteLine($"total {fx.ControlPlane.Duration.TotalMilliseconds:F0} ms, without wait-control-plane {(fx.ControlPlane.Duration - wait).TotalMilliseconds:F0} ms, " +
                         $"(prepare) {fx.ControlPlane.RoundTrips.GetValueOrDefault("(prepare)")} round trips; re-run total {fx.Rerun.Duration.TotalMilliseconds:F0} ms");
        Assert.All(fx.ControlPlane.Phases, p => Assert.NotEqual(PhaseStatus.Failed, p.Status));
        var phases = fx.ControlPlane.Changes.Where(c => c.Applied).Select(c => c.Phase).Distinct().ToList();
        Assert.Equal(InitWorkflow.PhaseNames.Where(phases.Contains).ToList(), phases);
        Assert.Contains("kubelet-start", phases);
        Assert.Contains("addon/kube-proxy", phases);
    }

    [Fact]
    public void Upload_certs_stores_the_CAs_encrypted_with_the_certificate_key_and_owned_by_a_two_hour_token()
    {
        Assert.Equal(InitLabFixture.CertificateKey, fx.ControlPlane.CertificateKey!.Reveal());
        var secret = KubectlJson("get", "secret", "kubeadm-certs", "-n", "kube-system");
        var owner = secret["metadata"]!["ownerReferences"]![0]!;
        Assert.Equal("Secret", (string?)owner["kind"]);
        var token = KubectlJson("get", "secret", (string)owner["name"]!, "-n", "kube-system");
        Assert.Equal((string?)token["metadata"]!["uid"], (string?)owner["uid"]);
        var expires = DateTimeOffset.Parse(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)token["data"]!["expiration"]!)));
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(100), TimeSpan.FromHours(2));
        // AES-256-GCM, nonce first: decrypted with the key, the value is the node's CA certificate.
        foreach (var (key, file) in new[] { ("ca.crt", "ca.crt"), ("etcd-ca.key", "etcd/ca.key"), ("sa.pub", "sa.pub") })
        {
            var blob = Convert.FromBase64String((string)secret["data"]![key]!);
            var plain = new byte[blob.Length - 28];
            using (var gcm = new System.Security.Cryptography.AesGcm(Convert.FromHexString(InitLabFixture.CertificateKey), 16))
                gcm.Decrypt(blob[..12], blob[12..^16], blob[^16..], plain);
            Assert.Equal(File.ReadAllBytes(Node1.UpperPath("/etc/kubernetes/pki/" + file)), plain);
        }
        KubectlJson("get", "role", "kubeadm:kubeadm-certs", "-n", "kube-system");
    }

    [Fact]
    public async Task WhatIf_on_the_initialized_node_asks_nothing_and_changes_nothing()
    {
        var sink = new CapturingSink(answer: false);
        var before = Kubectl("get", "configmap,secret,clusterrolebinding,node", "-A", "-o", "jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}").Output;
        var cp = await InitWorkflow.RunAsync(fx.Sessions[0], fx.Request(0, InitLabFixture.Yaml(certificateKey: InitLabFixture.CertificateKey)) with { UploadCerts = true },
            sink, CancellationToken.None);
        Assert.Empty(sink.Questions);
        Assert.Empty(cp.Changes);
        var after = Kubectl("get", "configmap,secret,clusterrolebinding,node", "-A", "-o", "jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}").Output;
        // Only the Node's own heartbeats may move in between; nothing KubePS owns changed.
        Assert.Equal(Without(before, "n1="), Without(after, "n1="));
    }

    static string Without(string list, string prefix) => string.Join(' ', list.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(x => !x.StartsWith(prefix)));
}
