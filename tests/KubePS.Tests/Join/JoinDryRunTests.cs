using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Workflows;
using KubePS.Core.Workflows.Join;
using Xunit;
using InitSupport = KubePS.Tests.Init.InitTestSupport;

namespace KubePS.Tests.Join;

/// <summary>
/// A dry-run join after a dry-run init of the example HA configuration (controlPlaneEndpoint k8s-api.example.internal,
/// -UploadCerts), into the same folder: two workers and one control plane are recorded under the folder, nothing
/// connects anywhere, and a second dry run changes nothing. Judged by openssl, kubectl (config view) and the files'
/// modes; the etcd manifest and kubelet flags by kubeadm's facts.
/// </summary>
public sealed class JoinDryRunFixture : IAsyncLifetime
{
    public string Dir { get; } = InitSupport.TempDir();
    public KubeControlPlane ControlPlane { get; private set; } = null!;
    public IReadOnlyList<KubeJoinResult> Workers { get; private set; } = [];
    public KubeJoinResult ControlPlaneJoin { get; private set; } = null!;
    public IReadOnlyList<KubeJoinResult> Again { get; private set; } = [];
    public CapturingSink Sink { get; } = new();

    static KubeNodeSession Named(string host) => new(host, NodeTransportKind.DryRun, new DryRunTransport(host, Path.GetTempPath()));

    public JoinRequest Request(bool controlPlane = false) => new()
    {
        ControlPlane = ControlPlane,
        AsControlPlane = controlPlane,
        AdvertiseAddress = controlPlane ? "10.0.0.12" : null,
        DryRunPath = Dir,
    };

    public async Task InitializeAsync()
    {
        ControlPlane = await InitSupport.DryRunAsync(InitSupport.ExampleEcdsa, Dir, tweak: r => r with { UploadCerts = true });
        Workers = await JoinWorkflow.RunAsync([Named("w1"), Named("w2")], Request(), Sink, CancellationToken.None);
        ControlPlaneJoin = (await JoinWorkflow.RunAsync([Named("cp2")], Request(controlPlane: true), Sink, CancellationToken.None)).Single();
        Again = [.. await JoinWorkflow.RunAsync([Named("w1"), Named("w2")], Request(), new CapturingSink(), CancellationToken.None),
                 .. await JoinWorkflow.RunAsync([Named("cp2")], Request(controlPlane: true), new CapturingSink(), CancellationToken.None)];
    }

    public string Node(string host, string path) => Path.Combine(Dir, host, path.TrimStart('/'));

    public Task DisposeAsync()
    {
        InitSupport.Delete(Dir);
        return Task.CompletedTask;
    }
}

public sealed class JoinDryRunTests(JoinDryRunFixture fx) : IClassFixture<JoinDryRunFixture>
{
    [Fact]
    public void A_worker_dry_run_records_kubeadms_files_with_their_modes_and_the_kubelet_restart()
    {
        Assert.Empty(fx.Sink.Errors);
        Assert.All(fx.Workers, w => Assert.Equal(JoinStatus.DryRun, w.Status));
        var expected = new Dictionary<string, string>
        {
            ["/etc/kubernetes/pki/ca.crt"] = "644",
            ["/etc/kubernetes/bootstrap-kubelet.conf"] = "600",
            ["/var/lib/kubelet/config.yaml"] = "644",
            ["/var/lib/kubelet/kubeadm-flags.env"] = "644",
            ["/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"] = "644",
            ["/etc/systemd/system/kubelet.service"] = "644",
        };
        var root = Path.Combine(fx.Dir, "w1");
        var written = Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => "/" + Path.GetRelativePath(root, f))
            .Where(p => p is not "/commands.sh" and not "/files.txt").Order().ToList();
        Assert.Equal(expected.Keys.Order().ToList(), written);
        foreach (var (path, mode) in expected) Assert.Equal(mode, InitSupport.Mode(fx.Node("w1", path)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(fx.Dir, fx.ControlPlane.Node, "etc/kubernetes/pki/ca.crt")), File.ReadAllBytes(fx.Node("w1", "/etc/kubernetes/pki/ca.crt")));
        var commands = File.ReadAllText(fx.Node("w1", "/commands.sh"));
        Assert.Contains("systemctl enable kubelet", commands);
        Assert.Contains("systemctl restart kubelet", commands);
        // A worker's flags: the node's CRI socket and pause image, no control-plane taint flag (kubeadm-facts §4.2).
        var flags = File.ReadAllText(fx.Node("w1", "/var/lib/kubelet/kubeadm-flags.env"));
        Assert.StartsWith("KUBELET_KUBEADM_ARGS=\"", flags);
        Assert.Contains("--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock", flags);
        Assert.DoesNotContain("control-plane", flags);
        // The cluster's kubelet configuration, from the kubelet-config ConfigMap the dry-run init recorded.
        var config = InitSupport.PyYaml(fx.Node("w1", "/var/lib/kubelet/config.yaml"));
        Assert.Equal("KubeletConfiguration", (string?)config["kind"]);
        Assert.Equal("10.96.0.10", (string?)config["clusterDNS"]![0]);
        Assert.Equal("/etc/kubernetes/pki/ca.crt", (string?)config["authentication"]!["x509"]!["clientCAFile"]);
    }

    [Fact]
    public void Bootstrap_kubelet_conf_is_kubeadms_as_kubectl_reads_it()
    {
        var view = Tool.Run("kubectl", ["config", "view", "--raw", "--kubeconfig", fx.Node("w2", "/etc/kubernetes/bootstrap-kubelet.conf"), "-o",
            "jsonpath={.current-context} {.clusters[0].name} {.clusters[0].cluster.server} {.users[0].name} {.users[0].user.token}"]).OrThrow("kubectl config view");
        Assert.Equal($"tls-bootstrap-token-user@kubernetes kubernetes {fx.ControlPlane.Endpoint} tls-bootstrap-token-user {fx.ControlPlane.BootstrapToken!.Reveal()}",
            view.Output.Trim());
        // The token is in that 0600 file and nowhere else: not in the commands, the results or any stream.
        var token = fx.ControlPlane.BootstrapToken!.Reveal();
        Assert.DoesNotContain(token, File.ReadAllText(fx.Node("w2", "/commands.sh")));
        Assert.DoesNotContain(token, fx.Sink.AllText());
    }

    [Fact]
    public void A_control_plane_dry_run_has_the_uploaded_CAs_its_own_certificates_and_an_etcd_manifest_that_joins()
    {
        Assert.Equal(JoinStatus.DryRun, fx.ControlPlaneJoin.Status);
        Assert.Equal("ControlPlane", fx.ControlPlaneJoin.Role);
        string Cp1(string f) => Path.Combine(fx.Dir, fx.ControlPlane.Node, "etc/kubernetes/pki", f);
        string Cp2(string f) => fx.Node("cp2", "/etc/kubernetes/pki/" + f);
        foreach (var shared in new[] { "ca.crt", "ca.key", "sa.key", "sa.pub", "front-proxy-ca.key", "etcd/ca.key" })
            Assert.Equal(File.ReadAllBytes(Cp1(shared)), File.ReadAllBytes(Cp2(shared)));
        Assert.Equal("600", InitSupport.Mode(Cp2("ca.key")));
        var verify = Tool.Run("openssl", ["verify", "-CAfile", Cp2("ca.crt"), Cp2("apiserver.crt")]);
        Assert.True(verify.ExitCode == 0, verify.Error + verify.Output);
        var san = Tool.Run("openssl", ["x509", "-in", Cp2("apiserver.crt"), "-noout", "-ext", "subjectAltName"]).Output;
        Assert.Contains("IP Address:10.0.0.12", san);
        Assert.Contains("DNS:k8s-api.example.internal", san);
        Assert.True(Tool.Run("openssl", ["verify", "-CAfile", Cp2("etcd/ca.crt"), Cp2("etcd/peer.crt")]).ExitCode == 0);
        // admin, controller-manager and scheduler kubeconfigs, no super-admin.conf and no kubelet.conf (the TLS bootstrap makes it).
        Assert.True(File.Exists(fx.Node("cp2", "/etc/kubernetes/admin.conf")));
        Assert.True(File.Exists(fx.Node("cp2", "/etc/kubernetes/scheduler.conf")));
        Assert.False(File.Exists(fx.Node("cp2", "/etc/kubernetes/super-admin.conf")));
        Assert.False(File.Exists(fx.Node("cp2", "/etc/kubernetes/kubelet.conf")));
        var etcd = InitSupport.PyYaml(fx.Node("cp2", "/etc/kubernetes/manifests/etcd.yaml"));
        var command = etcd["spec"]!["containers"]![0]!["command"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Contains($"--initial-cluster={fx.ControlPlane.Node}=https://10.0.0.11:2380,cp2=https://10.0.0.12:2380", command);
        Assert.Contains("--initial-cluster-state=existing", command);
        Assert.Contains("--name=cp2", command);
        // The member that a real join adds is described as not made.
        Assert.Contains(fx.ControlPlaneJoin.Changes, c => c.Phase == "control-plane-join/etcd" && c.Action.StartsWith("add member cp2") && !c.Applied);
        // The Node's control-plane label and taint are recorded in the cluster folder.
        var node = InitSupport.PyYaml(Path.Combine(fx.Dir, "cluster", "node-cp2.yaml"));
        Assert.Equal("", (string?)node["metadata"]!["labels"]!["node-role.kubernetes.io/control-plane"]);
    }

    [Fact]
    public void A_second_dry_run_into_the_same_folder_changes_nothing()
    {
        foreach (var r in fx.Again)
            Assert.True(r.ChangeCount == 0, $"{r.HostName}: {string.Join("; ", r.Changes.Where(c => c.Applied))}");
    }

    [Fact]
    public async Task Bad_join_input_fails_before_the_cluster_or_a_node_is_asked()
    {
        var session = new KubeNodeSession("w9", NodeTransportKind.DryRun, new DryRunTransport("w9", Path.GetTempPath()));
        async Task<KubeException> Refused(JoinRequest r, params KubeNodeSession[] sessions) =>
            await Assert.ThrowsAnyAsync<KubeException>(() => JoinWorkflow.RunAsync(sessions.Length == 0 ? [session] : sessions, r, new CapturingSink(), CancellationToken.None));
        var live = fx.ControlPlane;
        Assert.Equal("Join.DryRunControlPlane", (await Refused(new JoinRequest { ControlPlane = live })).ErrorId);
        Assert.Equal("Join.DiscoveryRequired", (await Refused(new JoinRequest())).ErrorId);
        Assert.Equal("Join.TokenRequired", (await Refused(new JoinRequest { ApiServerEndpoint = "10.0.0.10:6443", CACertHashes = [live.CACertHash!] })).ErrorId);
        Assert.Equal("Discovery.CAHashRequired",
            (await Refused(new JoinRequest { ApiServerEndpoint = "127.0.0.1:1", Token = live.BootstrapToken!.Token })).ErrorId);
        Assert.Equal("Join.NodeNameForOneNode", (await Refused(fx.Request() with { NodeName = "w1" }, session,
            new KubeNodeSession("w8", NodeTransportKind.DryRun, new DryRunTransport("w8", Path.GetTempPath())))).ErrorId);
        Assert.Equal("Join.CertificateKeyWithoutControlPlane", (await Refused(fx.Request() with { CertificateKey = KubePS.Core.Bootstrap.CertificateKey.Generate() })).ErrorId);
        Assert.Equal("Workflow.UnknownPhase", (await Refused(fx.Request() with { Phases = ["no-such-phase"] })).ErrorId);
        Assert.Equal("Join.DuplicateNode", (await Refused(fx.Request(), session, session)).ErrorId);
        Assert.False(Directory.Exists(Path.Combine(fx.Dir, "w9")));
    }
}
