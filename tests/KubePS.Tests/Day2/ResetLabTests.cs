using KubePS.Core.Nodes;
using KubePS.Core.Preflight;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows.Reset;
using KubePS.Tests.Lab;
using KubePS.Tests.LabControlPlane;
using Xunit;

namespace KubePS.Tests.Day2;

/// <summary>A lab of two nodes for the day-2 tests (reset, upgrade).</summary>
public sealed class Day2LabFixture : LabFixture
{
    protected override int NodeCount => 2;
}


/// <summary>
/// Reset-KubeNode on lab nodes made into stacked-etcd control-plane nodes (two etcd members, the lab kubelet running
/// them) with a Node object on the lab API server: judged inside the nodes (nsenter), with etcdctl (the member list),
/// kubectl (the Node and its pod) and preflight (the checks that kubeadm's leftovers fail pass again).
/// </summary>
[Collection(Day2ClusterCollection.Name)]
public sealed class ResetLabTests(Day2LabFixture fixture, LabCluster cluster) : IClassFixture<Day2LabFixture>
{
    NodeLab Lab => fixture.Lab;

    static KubePreflightRequest Preflight(LabNode n) => new()
    {
        Role = PreflightRole.ControlPlane, KubernetesVersion = KubeVersion.Parse("1.32.4"), AdvertiseAddress = n.Address, NodeName = n.Name,
    };

    /// <summary>The preflight checks kubeadm's leftovers make fail: ports, files and folders.</summary>
    static IEnumerable<KubePreflightResult> StateChecks(KubePreflightReport r) =>
        r.Results.Where(x => x.Check.StartsWith("Port-") || x.Check.StartsWith("FileAvailable-") || x.Check.StartsWith("DirAvailable-"));

    async Task<string> On(LabNode n, string script) => (await Lab.ExecAsync(n, script)).Output.Trim();

    [Fact]
    public async Task Reset_removes_the_member_the_Node_and_every_leftover_and_preflight_passes_again()
    {
        var (n1, n2) = (Lab.Nodes[0], Lab.Nodes[1]);
        using var etcd = new EtcdLabNodes(Lab);
        await etcd.StartAsync(n1);
        await etcd.StartAsync(n2, first: n1);
        Assert.Equal(2, etcd.Etcdctl(n1, "member", "list").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        // The cluster side: a Node n2 with a pod, on the lab API server.
        cluster.KubectlAs(null, """{"apiVersion":"v1","kind":"Node","metadata":{"name":"n2"}}""", "create", "-f", "-");
        cluster.KubectlAs(null, """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-n2","namespace":"default","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"0c8e7b5e-1111-4222-8333-944455556666","controller":true}]},"spec":{"nodeName":"n2","containers":[{"name":"c","image":"registry.k8s.io/pause:3.9"}]}}""",
            "create", "-f", "-");
        await using var s2 = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(n2));
        var before = await PreflightRunner.RunAsync(s2, Preflight(n2), new CapturingSink(), default);
        Assert.Contains(StateChecks(before), c => c.Check == "Port-2379" && !c.Passed);
        Assert.Contains(StateChecks(before), c => c.Check == "DirAvailable--var-lib-etcd" && !c.Passed);
        Assert.Contains(StateChecks(before), c => c.Check == "FileAvailable--etc-kubernetes-manifests-etcd.yaml" && !c.Passed);
        using var api = LabApi.Client(cluster);
        var sink = new CapturingSink();
        // kubeadm-config as 1.18–1.21 keep it: a ClusterStatus listing both control planes' API endpoints.
        cluster.Kubectl("create", "configmap", "kubeadm-config", "-n", "kube-system");
        var statusPatch = new System.Text.Json.Nodes.JsonObject { ["data"] = new System.Text.Json.Nodes.JsonObject { ["ClusterStatus"] =
            "apiEndpoints:\n  n1:\n    advertiseAddress: 10.0.0.1\n    bindPort: 6443\n  n2:\n    advertiseAddress: 10.0.0.2\n    bindPort: 6443\napiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterStatus\n" } };
        Assert.Equal(0, cluster.Kubectl("patch", "configmap", "kubeadm-config", "-n", "kube-system", "--type", "merge", "-p", statusPatch.ToJsonString()).ExitCode);
        // kube-proxy-like rules in the node's own network namespace (iptables is installed by .ci/run), for -CleanupIptables.
        Assert.Equal("", await On(n2, "iptables -t nat -N KUBE-SERVICES && iptables -t nat -A PREROUTING -j KUBE-SERVICES && iptables -A INPUT -p tcp --dport 10250 -j ACCEPT && ip6tables -A INPUT -p tcp --dport 10250 -j ACCEPT 2>&1"));
        Assert.Contains("KUBE-SERVICES", await On(n2, "iptables-save"));

        var result = await ResetWorkflow.RunAsync(s2, new ResetRequest { RemoveFromCluster = true, Api = api, CleanupIptables = true }, sink, default);

        Assert.NotNull(result);
        Assert.Equal("n2", result.NodeName);
        Assert.True(result.ControlPlane);
        Assert.True(result.NodeDeleted);
        Assert.StartsWith("n2 (", result.EtcdMemberRemoved);
        Assert.Empty(result.Warnings);
        // iptables-save and ip6tables-save in the node's namespace: no rule and no chain of anybody's left.
        Assert.Equal("", await On(n2, "{ iptables-save; ip6tables-save; } | grep -E '^-A|^:KUBE' || true"));
        // kubeadm-config's ClusterStatus: n1 alone, as kubeadm reset's update-cluster-status leaves it (read by PyYAML).
        var status = Init.InitTestSupport.PyYamlText(cluster.KubectlOk("get", "cm", "kubeadm-config", "-n", "kube-system", "-o", "jsonpath={.data.ClusterStatus}"));
        Assert.Equal(["n1"], status["apiEndpoints"]!.AsObject().Select(e => e.Key));
        Assert.Equal("10.0.0.1", (string?)status["apiEndpoints"]!["n1"]!["advertiseAddress"]);
        Assert.Equal(6443, (int?)status["apiEndpoints"]!["n1"]!["bindPort"]);
        Assert.Equal("kubeadm.k8s.io/v1beta2 ClusterStatus", $"{status["apiVersion"]} {status["kind"]}");
        Assert.Contains("API endpoint of n2 in kubeadm-config's ClusterStatus", result.Removed);
        cluster.Kubectl("patch", "configmap", "kubeadm-config", "-n", "kube-system", "--type", "merge", "-p", """{"data":{"ClusterStatus":null}}""");
        // etcd: n1 alone.
        var members = etcd.Etcdctl(n1, "member", "list");
        Assert.Single(members.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(", n1, ", members.Stdout);
        Assert.Equal(0, etcd.Etcdctl(n1, "endpoint", "health").ExitCode);
        // The cluster: no Node n2, its pod evicted.
        Assert.Contains("NotFound", cluster.Kubectl("get", "node", "n2").All);
        Assert.Contains("NotFound", cluster.Kubectl("get", "pod", "web-n2", "-n", "default").All);
        // The node.
        Assert.Equal("", await On(n2, "ls -A /etc/kubernetes/manifests /etc/kubernetes/pki /var/lib/etcd /var/lib/kubelet /etc/cni/net.d /var/lib/cni 2>/dev/null | grep -v ':$' | grep -v '^$'"));
        Assert.Equal("", await On(n2, "ls /etc/kubernetes/*.conf 2>/dev/null"));
        Assert.Equal("", await On(n2, "grep ' /var/lib/kubelet/' /proc/mounts"));
        Assert.Equal("gone gone", await On(n2, "ip link show cni0 >/dev/null 2>&1 && echo there || echo gone; ip link show flannel.1 >/dev/null 2>&1 && echo there || echo gone").ContinueWith(t => t.Result.Replace('\n', ' ')));
        Assert.NotEqual("active", await On(n2, "systemctl is-active kubelet"));
        Assert.Contains("mount /var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/cache", result.Removed);
        Assert.Contains("link cni0", result.Removed);
        Assert.Contains("Node n2", result.Removed);
        Assert.Contains("/etc/kubernetes/manifests/etcd.yaml", result.Removed);

        var after = await PreflightRunner.RunAsync(s2, Preflight(n2), new CapturingSink(), default, refreshFacts: true);
        Assert.All(StateChecks(after), c => Assert.True(c.Passed, $"{c.Check}: {c.Message}"));

        // n1, now the only member: its member is kept (the data goes with the reset), everything else goes.
        await using var s1 = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(n1));
        var r1 = await ResetWorkflow.RunAsync(s1, new ResetRequest(), new CapturingSink(), default);
        Assert.NotNull(r1);
        Assert.Null(r1.EtcdMemberRemoved);
        Assert.Empty(r1.Warnings);
        Assert.Equal("", await On(n1, "ls -A /var/lib/etcd /etc/kubernetes/manifests | grep -v ':$' | grep -v '^$'"));
        var after1 = await PreflightRunner.RunAsync(s1, Preflight(n1), new CapturingSink(), default, refreshFacts: true);
        Assert.All(StateChecks(after1), c => Assert.True(c.Passed, $"{c.Check}: {c.Message}"));
    }

    [Fact]
    public async Task A_declined_reset_changes_nothing()
    {
        var n = Lab.Nodes[0];
        await Lab.ExecAsync(n, "mkdir -p /etc/kubernetes && echo keep > /etc/kubernetes/admin.conf");
        await using var s = await NodeSessionFactory.OpenAsync(Lab.SessionOptions(n));
        var r = await ResetWorkflow.RunAsync(s, new ResetRequest(), new CapturingSink(answer: false), default);
        Assert.Null(r);
        Assert.Equal("keep", await On(n, "cat /etc/kubernetes/admin.conf"));
        await Lab.ExecAsync(n, "rm -f /etc/kubernetes/admin.conf");
    }
}
