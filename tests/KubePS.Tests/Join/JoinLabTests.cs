using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.Bootstrap;
using KubePS.Core.Configuration;
using KubePS.Core.Workflows.Join;
using KubePS.Tests.Lab;
using KubePS.Tests.LabControlPlane;
using Xunit;
using Xunit.Abstractions;

namespace KubePS.Tests.Join;

/// <summary>
/// Issue 6's "what must show" on the lab, judged by kubectl 1.32 (admin.conf of node 1), etcdctl with the certificates
/// KubePS made, and the nodes' own files: five Ready nodes with kubeadm's roles, three voting etcd members, a worker
/// that drains, a worker whose link was cut mid-join failing alone and completing on a re-run, a member left alone,
/// and every kind of refusal leaving an outside node untouched.
/// </summary>
[Collection(JoinLabNodesCollection.Name)]
public sealed class JoinLabTests(JoinLabFixture fx, ITestOutputHelper output)
{
    ToolResult Kubectl(params string[] args) =>
        LabTools.Run("kubectl", ["--kubeconfig", fx.AdminConf, .. args], new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent" });

    JsonNode KubectlJson(params string[] args)
    {
        var r = Kubectl([.. args, "-o", "json"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonNode.Parse(r.Stdout)!;
    }

    [Fact]
    public void Kubectl_sees_five_Ready_nodes_with_kubeadms_roles()
    {
        output.WriteLine($"init {fx.InitDuration.TotalSeconds:F1}s, control planes {fx.ControlPlaneJoinDuration.TotalSeconds:F1}s, workers {fx.WorkerJoinDuration.TotalSeconds:F1}s");
        foreach (var r in fx.ControlPlaneJoins.Concat(fx.WorkerJoins).Append(fx.WorkerRejoin))
            output.WriteLine($"{r}: {r.Duration.TotalSeconds:F1}s (bootstrap {r.BootstrapWait.TotalSeconds:F1}s, Ready {r.ReadyWait.TotalSeconds:F1}s), {r.ChangeCount} changes");
        var table = Kubectl("get", "nodes");
        output.WriteLine(table.Stdout);
        var nodes = KubectlJson("get", "nodes")["items"]!.AsArray().Select(n => n!).ToList();
        Assert.Equal(["n1", "n2", "n3", "n4", "n5"], nodes.Select(n => (string)n["metadata"]!["name"]!).Order().ToArray());
        foreach (var n in nodes)
        {
            var name = (string)n["metadata"]!["name"]!;
            Assert.Contains(n["status"]!["conditions"]!.AsArray(), c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True");
            bool cp = name is "n1" or "n2" or "n3";
            var labels = n["metadata"]!["labels"]!.AsObject();
            Assert.Equal(cp, labels.ContainsKey("node-role.kubernetes.io/control-plane"));
            var taints = n["spec"]?["taints"]?.AsArray() ?? [];
            Assert.Equal(cp, taints.Any(t => (string?)t!["key"] == "node-role.kubernetes.io/control-plane" && (string?)t["effect"] == "NoSchedule"));
        }
        Assert.Matches(@"(?m)^n2\s+Ready\s+control-plane\s", table.Stdout);
        Assert.Matches(@"(?m)^n4\s+Ready\s+<none>\s", table.Stdout);
        Assert.All(fx.ControlPlaneJoins, r => Assert.Equal(JoinStatus.Joined, r.Status));
        Assert.All(fx.ControlPlaneJoins, r => Assert.True(r.Ready));
    }

    [Fact]
    public void Etcdctl_with_KubePS_certificates_sees_three_voting_healthy_members()
    {
        string Pki(string f) => fx.Node(1).UpperPath("/etc/kubernetes/pki/etcd/" + f);
        var endpoints = string.Join(",", Enumerable.Range(1, 3).Select(i => $"https://{fx.Node(i).Address}:2379"));
        string[] tls = ["--endpoints", endpoints, "--cacert", Pki("ca.crt"), "--cert", Pki("healthcheck-client.crt"), "--key", Pki("healthcheck-client.key")];
        var env = new Dictionary<string, string> { ["ETCDCTL_API"] = "3" };
        var list = LabTools.Run("etcdctl", [.. tls, "member", "list", "-w", "json"], env);
        Assert.True(list.ExitCode == 0, list.ToString());
        var members = JsonNode.Parse(list.Stdout)!["members"]!.AsArray();
        Assert.Equal(3, members.Count);
        Assert.Equal(["n1", "n2", "n3"], members.Select(m => (string)m!["name"]!).Order().ToArray());
        Assert.All(members, m => Assert.NotEqual(true, (bool?)m!["isLearner"]));
        var health = LabTools.Run("etcdctl", [.. tls, "endpoint", "health"], env);
        output.WriteLine(health.All);
        Assert.True(health.ExitCode == 0, health.ToString());
        Assert.Equal(3, health.All.Split('\n').Count(l => l.Contains("is healthy")));
        // The learner step happened where the version does it by default.
        Assert.Contains(fx.ControlPlaneSink.Verbose, v => v.Contains("promoted n2"));
    }

    [Fact]
    public void A_joined_control_plane_has_its_own_certificates_signed_by_the_shared_CA()
    {
        string N2(string f) => fx.Node(2).UpperPath("/etc/kubernetes/pki/" + f);
        string N1(string f) => fx.Node(1).UpperPath("/etc/kubernetes/pki/" + f);
        Assert.Equal(File.ReadAllBytes(N1("ca.crt")), File.ReadAllBytes(N2("ca.crt")));
        Assert.Equal(File.ReadAllBytes(N1("sa.key")), File.ReadAllBytes(N2("sa.key")));
        var verify = LabTools.Run("openssl", ["verify", "-CAfile", N2("ca.crt"), N2("apiserver.crt")]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var san = LabTools.Run("openssl", ["x509", "-in", N2("apiserver.crt"), "-noout", "-ext", "subjectAltName"]).Stdout;
        Assert.Contains($"IP Address:{fx.Node(2).Address}", san);
        Assert.Contains($"IP Address:{fx.Node(1).Address}", san);   // the controlPlaneEndpoint
        Assert.NotEqual(File.ReadAllBytes(N1("apiserver.crt")), File.ReadAllBytes(N2("apiserver.crt")));
        var mode = LabTools.Run("stat", ["-c", "%a", N2("ca.key")]).Stdout.Trim();
        Assert.Equal("600", mode);
        // bootstrap-kubelet.conf is gone after the TLS bootstrap, kubelet.conf points at the kubelet's own certificate.
        Assert.False(File.Exists(fx.Node(4).UpperPath("/etc/kubernetes/bootstrap-kubelet.conf")));
        Assert.Contains("kubelet-client-current.pem", File.ReadAllText(fx.Node(4).UpperPath("/etc/kubernetes/kubelet.conf")));
    }

    [Fact]
    public void A_worker_whose_link_was_cut_mid_join_failed_alone_and_the_re_run_completed_it()
    {
        var error = Assert.Single(fx.WorkerSink.Errors);
        output.WriteLine(error.Message);
        Assert.Contains(error.ErrorId, new[] { "Node.ConnectionLost", "Node.Unreachable", "Node.CommandTimeout" });
        Assert.Contains("phase kubelet-start", error.Message);
        var n4 = Assert.Single(fx.WorkerJoins);
        Assert.Equal("n4", n4.Name);
        Assert.Equal(JoinStatus.Joined, n4.Status);
        Assert.True(n4.Ready);
        Assert.Equal(JoinStatus.Joined, fx.WorkerRejoin.Status);
        Assert.True(fx.WorkerRejoin.Ready);
        // The files the first attempt wrote were kept: the re-run wrote none of them again.
        Assert.DoesNotContain(fx.WorkerRejoin.Changes, c => c.Action.Contains("/var/lib/kubelet/config.yaml"));
        Assert.Contains(fx.WorkerRejoin.Changes, c => c.Action.Contains("restart kubelet"));
    }

    [Fact]
    public void Kubectl_drains_and_uncordons_a_joined_worker()
    {
        var drain = Kubectl("drain", "n4", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=60s");
        output.WriteLine(drain.All);
        Assert.True(drain.ExitCode == 0, drain.ToString());
        Assert.Contains("drained", drain.All);
        Assert.True((bool?)KubectlJson("get", "node", "n4")["spec"]!["unschedulable"] == true);
        Assert.Equal(0, Kubectl("uncordon", "n4").ExitCode);
    }

    [Fact]
    public async Task Joining_a_member_again_changes_nothing()
    {
        var again = (await JoinWorkflow.RunAsync([fx.SessionOf(4)], fx.Request(), new CapturingSink(), CancellationToken.None)).Single();
        foreach (var c in again.Changes) output.WriteLine(c.ToString());
        Assert.Equal(JoinStatus.AlreadyMember, again.Status);
        Assert.Empty(again.Changes);
        var cp = (await JoinWorkflow.RunAsync([fx.SessionOf(2)], fx.Request(controlPlane: true), new CapturingSink(), CancellationToken.None)).Single();
        foreach (var c in cp.Changes) output.WriteLine(c.ToString());
        Assert.Equal(JoinStatus.AlreadyMember, cp.Status);
    }

    // ------------------------------------------------------------------ refusals leave the node untouched

    LabNode Outside => fx.Node(6);

    async Task<string> Snapshot() =>
        (await fx.Lab.ExecAsync(Outside, "find /etc/kubernetes /var/lib/kubelet /var/lib/etcd -type f 2>/dev/null | sort | xargs -r sha256sum; systemctl is-active kubelet || true"))
        .EnsureSuccess("snapshot").Output;

    /// <summary>
    /// Runs a join of node 6 that must be refused: before any node is touched (thrown), or for node 6 alone (its error,
    /// as a fleet reports it). Either way node 6's kubeadm files and kubelet are as they were.
    /// </summary>
    async Task<KubeException> RefusedUntouched(JoinRequest request)
    {
        var before = await Snapshot();
        var sink = new CapturingSink();
        KubeException e;
        try
        {
            var results = await JoinWorkflow.RunAsync([fx.SessionOf(6)], request, sink, CancellationToken.None);
            Assert.Empty(results);
            e = Assert.Single(sink.Errors);
        }
        catch (KubeException thrown) { e = thrown; }
        output.WriteLine($"{e.ErrorId}: {e.Message}");
        Assert.Equal(before, await Snapshot());
        Assert.DoesNotContain(fx.ControlPlane.BootstrapToken!.Reveal(), CapturingSink.Describe(e) + sink.AllText());
        return e;
    }

    [Fact]
    public async Task WhatIf_describes_a_workers_join_and_changes_nothing()
    {
        var before = await Snapshot();
        var sink = new CapturingSink(answer: false);
        var result = Assert.Single(await JoinWorkflow.RunAsync([fx.SessionOf(6)], fx.Request(), sink, CancellationToken.None));
        foreach (var q in sink.Questions) output.WriteLine(q.ToString());
        Assert.Equal(JoinStatus.NotMade, result.Status);
        Assert.Equal(0, result.ChangeCount);
        Assert.Contains(sink.Questions, q => q.Action.Contains("create /etc/kubernetes/bootstrap-kubelet.conf (0600)") && q.Action.Contains("create /var/lib/kubelet/config.yaml"));
        Assert.Contains(result.Changes, c => c.Action.Contains("systemctl restart kubelet") && !c.Applied);
        Assert.Equal(before, await Snapshot());
        Assert.Contains("NotFound", Kubectl("get", "node", "n6").All);
        Assert.DoesNotContain(fx.ControlPlane.BootstrapToken!.Reveal(), sink.AllText());
    }

    [Fact]
    public async Task A_join_by_discovery_file_against_the_live_cluster_records_a_bootstrap_kubeconfig_for_its_server()
    {
        var work = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(work);
            var server = $"https://{fx.Node(1).Address}:6443";
            var file = Path.Combine(work, "discovery.conf");
            File.WriteAllText(file, $"apiVersion: v1\nkind: Config\nclusters:\n- name: kubernetes\n  cluster:\n    server: {server}\n" +
                                    $"    certificate-authority-data: {Convert.ToBase64String(File.ReadAllBytes(fx.Node(1).UpperPath("/etc/kubernetes/pki/ca.crt")))}\n");
            var token = fx.ControlPlane.BootstrapToken!.Token;
            var named = new KubePS.Core.Nodes.KubeNodeSession("w-file", KubePS.Core.Nodes.NodeTransportKind.DryRun,
                new KubePS.Core.Nodes.DryRunTransport("w-file", work));
            var result = Assert.Single(await JoinWorkflow.RunAsync([named], new JoinRequest
            {
                DiscoveryFile = file, Token = token, DryRunPath = Path.Combine(work, "out"), DiscoveryTimeout = TimeSpan.FromSeconds(10),
            }, new CapturingSink(), CancellationToken.None));
            Assert.Equal(JoinStatus.DryRun, result.Status);
            var conf = Path.Combine(work, "out", "w-file", "etc/kubernetes/bootstrap-kubelet.conf");
            var view = LabTools.Run("kubectl", ["config", "view", "--raw", "--kubeconfig", conf, "-o", "jsonpath={.clusters[0].cluster.server} {.users[0].user.token}"]);
            Assert.Equal($"{server} {token.Reveal()}", view.Stdout.Trim());
            // Without a token, a discovery file without credentials cannot bootstrap a kubelet: refused before any node.
            var e = await Assert.ThrowsAnyAsync<KubeException>(() => JoinWorkflow.RunAsync([named], new JoinRequest
            {
                DiscoveryFile = file, DryRunPath = Path.Combine(work, "out2"), DiscoveryTimeout = TimeSpan.FromSeconds(10),
            }, new CapturingSink(), CancellationToken.None));
            Assert.Equal("Discovery.NoCredentials", e.ErrorId);
            Assert.False(Directory.Exists(Path.Combine(work, "out2", "w-file")));
        }
        finally { Directory.Delete(work, true); }
    }

    [Fact]
    public async Task A_wrong_pin_is_refused_and_the_node_is_untouched()
    {
        var other = JoinLab.OpenSslPin(fx.Node(1).UpperPath("/etc/kubernetes/pki/front-proxy-ca.crt"));
        var e = await RefusedUntouched(fx.Request() with
        {
            ControlPlane = null, ApiServerEndpoint = $"{fx.Node(1).Address}:6443", Token = fx.ControlPlane.BootstrapToken!.Token, CACertHashes = [other],
        });
        Assert.Equal("Discovery.CAPinMismatch", e.ErrorId);
    }

    [Fact]
    public async Task A_man_in_the_middle_presenting_another_CA_is_refused_and_the_node_is_untouched()
    {
        var genuine = JsonNode.Parse(LabTools.Run("curl", ["-sk", $"https://{fx.Node(1).Address}:6443/api/v1/namespaces/kube-public/configmaps/cluster-info"]).Stdout)!;
        var work = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var otherCA = Path.Combine(work, "ca");
            Directory.CreateDirectory(otherCA);
            LabTools.Bash("openssl req -x509 -new -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=kubernetes " +
                          "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null", workDir: otherCA);
            using var mitm = new TlsTestServer(TlsTestServer.IssueServerCertificate(otherCA, work, "mitm"), (path, _) => (200, genuine.ToJsonString()));
            var e = await RefusedUntouched(fx.Request() with
            {
                ControlPlane = null, ApiServerEndpoint = mitm.Endpoint, Token = fx.ControlPlane.BootstrapToken!.Token, CACertHashes = [fx.ControlPlane.CACertHash!],
            });
            Assert.Equal("Discovery.ServerNotTrusted", e.ErrorId);
        }
        finally { Directory.Delete(work, true); }
    }

    [Fact]
    public async Task An_expired_token_is_refused_and_the_node_is_untouched()
    {
        var expired = DateTimeOffset.UtcNow.AddMinutes(-1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        var apply = LabTools.Run("kubectl", ["--kubeconfig", fx.AdminConf, "apply", "-f", "-"], new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent" }, $"""
            apiVersion: v1
            kind: Secret
            metadata:
              name: bootstrap-token-old001
              namespace: kube-system
            type: bootstrap.kubernetes.io/token
            stringData:
              token-id: old001
              token-secret: 0123456789abcdef
              expiration: "{expired}"
              usage-bootstrap-signing: "true"
              usage-bootstrap-authentication: "true"
            """);
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var e = await RefusedUntouched(fx.Request() with
        {
            ControlPlane = null, ApiServerEndpoint = $"{fx.Node(1).Address}:6443", Token = BootstrapTokenString.Parse("old001.0123456789abcdef"),
            CACertHashes = [fx.ControlPlane.CACertHash!], DiscoveryTimeout = TimeSpan.FromSeconds(3),
        });
        Assert.Equal("Discovery.TokenExpired", e.ErrorId);
    }

    [Fact]
    public async Task A_wrong_certificate_key_is_refused_and_the_node_is_untouched()
    {
        var e = await RefusedUntouched(fx.Request(controlPlane: true) with { CertificateKey = CertificateKey.Generate() });
        Assert.Equal("Bootstrap.CertificateKeyMismatch", e.ErrorId);
    }

    [Fact]
    public async Task A_node_of_another_cluster_is_refused_and_left_as_it_was()
    {
        // Node 6 gets a kubelet.conf of another cluster (another CA), as a node of another kubeadm cluster has.
        var script = """
            set -e
            d=$(mktemp -d); cd $d
            openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=kubernetes 2>/dev/null
            mkdir -p /etc/kubernetes
            cat > /etc/kubernetes/kubelet.conf <<EOF
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: $(base64 -w0 ca.crt)
                server: https://10.9.9.9:6443
              name: default-cluster
            contexts:
            - context: {cluster: default-cluster, user: default-auth}
              name: default-context
            current-context: default-context
            kind: Config
            users: []
            EOF
            rm -rf $d
            """;
        (await fx.Lab.ExecAsync(Outside, script)).EnsureSuccess("another cluster's kubelet.conf");
        try
        {
            var e = await RefusedUntouched(fx.Request());
            Assert.Equal("Join.OtherCluster", e.ErrorId);
        }
        finally
        {
            (await fx.Lab.ExecAsync(Outside, "rm -f /etc/kubernetes/kubelet.conf")).EnsureSuccess("cleanup");
        }
    }
}
