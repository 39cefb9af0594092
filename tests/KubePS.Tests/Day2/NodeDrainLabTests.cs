using KubePS.Core;
using KubePS.Core.Cluster;
using KubePS.Tests.LabControlPlane;
using Xunit;

namespace KubePS.Tests.Day2;

/// <summary>
/// Get-KubeNode, cordon, uncordon and drain against the lab API server stand-in, judged with kubectl 1.32: the nodes
/// kubectl lists, spec.unschedulable, which pods are left, and PodDisruptionBudget refusals (429) retried until the
/// budget allows. Extra nodes are Node objects made with kubectl; their pods are bound to them and marked Running.
/// </summary>
[Collection(Day2ClusterCollection.Name)]
public sealed class NodeDrainLabTests(LabCluster lab)
{
    /// <summary>Fills «0», «1», ... in a JSON template (JSON's braces make interpolated strings unreadable).</summary>
    static string T(string template, params object?[] args)
    {
        for (int i = 0; i < args.Length; i++) template = template.Replace($"«{i}»", args[i]?.ToString());
        return template;
    }

    static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..6];

    void Create(string json)
    {
        var r = lab.KubectlAs(null, json, "create", "-f", "-");
        Assert.True(r.ExitCode == 0, r.ToString() + "\n" + json);
    }

    void Node(string name, string labels = "", bool ready = false)
    {
        Create(T("""{"apiVersion":"v1","kind":"Node","metadata":{"name":"«0»","labels":{"kubernetes.io/hostname":"«1»"«2»}}}""", name, name, labels));
        var conditions = ready ? """,{"type":"Ready","status":"True","reason":"KubeletReady","lastHeartbeatTime":null}""" : "";
        var r = lab.Kubectl("patch", "node", name, "--subresource=status", "--type=merge", "-p",
            T("""{"status":{"nodeInfo":{"kubeletVersion":"v1.31.2","osImage":"Lab Linux","containerRuntimeVersion":"containerd://1.7.22"},"addresses":[{"type":"InternalIP","address":"10.9.9.9"},{"type":"Hostname","address":"«0»"}],"conditions":[{"type":"MemoryPressure","status":"False"}«1»]}}""", name, conditions));
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    string Namespace()
    {
        var ns = Unique("drain");
        lab.KubectlOk("create", "namespace", ns);
        return ns;
    }

    /// <summary>A pod bound to <paramref name="node"/>, owned as given, marked Running and Ready.</summary>
    void Pod(string ns, string name, string node, string? ownerKind = null, string? ownerName = null, bool emptyDir = false, string app = "web")
    {
        var owner = ownerKind is null ? "" :
            T(""","ownerReferences":[{"apiVersion":"apps/v1","kind":"«0»","name":"«1»","uid":"«2»","controller":true}]""", ownerKind, ownerName, Guid.NewGuid());
        var volumes = emptyDir ? ""","volumes":[{"name":"scratch","emptyDir":{}}]""" : "";
        Create(T("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"«0»","namespace":"«1»","labels":{"app":"«2»"}«4»},"spec":{"nodeName":"«3»","containers":[{"name":"c","image":"registry.k8s.io/pause:3.9"}]«5»}}""", name, ns, app, node, owner, volumes));
        var r = lab.Kubectl("patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge", "-p",
            """{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}""");
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    string[] PodsLeft(string ns) => lab.KubectlOk("get", "pods", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}")
        .Split(' ', StringSplitOptions.RemoveEmptyEntries).Order().ToArray();

    string Unschedulable(string node) => lab.KubectlOk("get", "node", node, "-o", "jsonpath={.spec.unschedulable}").Trim();

    [Fact]
    public async Task Get_KubeNode_lists_what_kubectl_lists_with_roles_from_master_and_control_plane_labels()
    {
        string old = Unique("oldcp"), worker = Unique("worker");
        Node(old, labels: ""","node-role.kubernetes.io/master":"" """);
        Node(worker, labels: ""","node-role.kubernetes.io/ingress":"" """);
        lab.KubectlOk("label", "node", lab.NodeName, "node-role.kubernetes.io/control-plane=", "--overwrite");
        using var client = LabApi.Client(lab);

        var nodes = await NodeInventory.ListAsync(client, null, default);

        var kubectlNames = lab.KubectlOk("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}").Split(' ').Order(StringComparer.Ordinal);
        Assert.Equal(kubectlNames, nodes.Select(n => n.Name));
        var cp = Assert.Single(nodes, n => n.Name == lab.NodeName);
        Assert.True(cp.IsControlPlane);
        Assert.Equal(["control-plane"], cp.Roles);
        Assert.True(cp.Ready);
        Assert.Equal(lab.KubectlOk("get", "node", lab.NodeName, "-o", "jsonpath={.status.nodeInfo.kubeletVersion}").Trim(), cp.KubeletVersion);
        Assert.Equal("127.0.0.1", cp.InternalIP);
        var o = Assert.Single(nodes, n => n.Name == old);
        Assert.True(o.IsControlPlane);
        Assert.Equal(["master"], o.Roles);
        Assert.False(o.Ready);
        var w = Assert.Single(nodes, n => n.Name == worker);
        Assert.False(w.IsControlPlane);
        Assert.Equal(["ingress"], w.Roles);
        Assert.Equal("v1.31.2", w.KubeletVersion);
        Assert.Equal("10.9.9.9", w.InternalIP);
        Assert.Equal(worker, w.HostName);
        Assert.Equal("Lab Linux", w.OS);
        Assert.Equal("containerd://1.7.22", w.ContainerRuntime);

        var cps = await NodeInventory.ListAsync(client, KubeNodeRole.ControlPlane, default);
        Assert.Contains(cps, n => n.Name == old);
        Assert.Contains(cps, n => n.Name == lab.NodeName);
        Assert.DoesNotContain(cps, n => n.Name == worker);
        var workers = await NodeInventory.ListAsync(client, KubeNodeRole.Worker, default);
        Assert.Contains(workers, n => n.Name == worker);
        Assert.DoesNotContain(workers, n => n.IsControlPlane);
    }

    [Fact]
    public async Task Cordon_then_uncordon_is_what_kubectl_sees_and_WhatIf_changes_nothing()
    {
        var node = Unique("cordon");
        Node(node, ready: true);
        using var client = LabApi.Client(lab);

        var declined = await NodeDrain.SuspendAsync(client, node, drain: false, new DrainOptions(), new CapturingSink(answer: false), default);
        Assert.Null(declined);
        Assert.Equal("", Unschedulable(node));

        var result = await NodeDrain.SuspendAsync(client, node, drain: false, new DrainOptions(), new CapturingSink(), default);
        Assert.NotNull(result);
        Assert.True(result.Cordoned);
        Assert.False(result.WasCordoned);
        Assert.Equal("true", Unschedulable(node));
        Assert.Contains("SchedulingDisabled", lab.KubectlOk("get", "node", node));

        var again = await NodeDrain.SuspendAsync(client, node, drain: false, new DrainOptions(), new CapturingSink(), default);
        Assert.True(again!.WasCordoned);

        var resumed = await NodeDrain.ResumeAsync(client, node, new CapturingSink(), default);
        Assert.False(resumed!.Unschedulable);
        Assert.Equal("", Unschedulable(node));
        Assert.DoesNotContain("SchedulingDisabled", lab.KubectlOk("get", "node", node));
    }

    [Fact]
    public async Task Drain_refuses_DaemonSet_unmanaged_and_emptyDir_pods_and_evicts_nothing()
    {
        var node = Unique("refuse");
        Node(node, ready: true);
        var ns = Namespace();
        Create(T("""{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"agent","namespace":"«0»"},"spec":{"selector":{"matchLabels":{"app":"agent"}},"template":{"metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"name":"c","image":"registry.k8s.io/pause:3.9"}]}}}}""", ns));
        Pod(ns, "agent-x", node, "DaemonSet", "agent", app: "agent");
        Pod(ns, "bare", node);
        Pod(ns, "cache", node, "ReplicaSet", "cache-rs", emptyDir: true);
        Pod(ns, "web", node, "ReplicaSet", "web-rs");
        using var client = LabApi.Client(lab);

        var e = await Assert.ThrowsAsync<KubeException>(() =>
            NodeDrain.SuspendAsync(client, node, drain: true, new DrainOptions { Timeout = TimeSpan.FromSeconds(20) }, new CapturingSink(), default));

        Assert.Equal("Drain.PodsRefused", e.ErrorId);
        Assert.Contains($"DaemonSet-managed Pods (use -IgnoreDaemonSets to ignore): {ns}/agent-x", e.Message);
        Assert.Contains($"no controller (use -Force to override): {ns}/bare", e.Message);
        Assert.Contains($"local storage (use -DeleteEmptyDirData to override): {ns}/cache", e.Message);
        Assert.Equal(["agent-x", "bare", "cache", "web"], PodsLeft(ns));
        Assert.Equal("true", Unschedulable(node));
    }

    [Fact]
    public async Task Drain_with_the_switches_evicts_all_but_DaemonSet_pods()
    {
        var node = Unique("drain");
        Node(node, ready: true);
        var ns = Namespace();
        Create(T("""{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"agent","namespace":"«0»"},"spec":{"selector":{"matchLabels":{"app":"agent"}},"template":{"metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"name":"c","image":"registry.k8s.io/pause:3.9"}]}}}}""", ns));
        Pod(ns, "agent-x", node, "DaemonSet", "agent", app: "agent");
        Pod(ns, "bare", node);
        Pod(ns, "cache", node, "ReplicaSet", "cache-rs", emptyDir: true);
        Pod(ns, "web", node, "ReplicaSet", "web-rs");
        using var client = LabApi.Client(lab);
        var options = new DrainOptions { Timeout = TimeSpan.FromSeconds(20), IgnoreDaemonSets = true, Force = true, DeleteEmptyDirData = true };

        var result = await NodeDrain.SuspendAsync(client, node, drain: true, options, new CapturingSink(), default);

        Assert.Equal(["agent-x"], PodsLeft(ns));
        Assert.Equal([$"{ns}/bare", $"{ns}/cache", $"{ns}/web"], result!.Evicted.Order());
        Assert.Equal([$"{ns}/agent-x"], result.Ignored);
        Assert.Equal("true", Unschedulable(node));
    }

    [Fact]
    public async Task Drain_retries_while_a_disruption_budget_refuses_and_finishes_once_it_allows()
    {
        var node = Unique("pdb");
        Node(node, ready: true);
        var ns = Namespace();
        Pod(ns, "db-0", node, "StatefulSet", "db", app: "db");
        Pod(ns, "db-1", node, "StatefulSet", "db", app: "db");
        Create(T("""{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"db","namespace":"«0»"},"spec":{"minAvailable":2,"selector":{"matchLabels":{"app":"db"}}}}""", ns));
        using var client = LabApi.Client(lab);
        var sink = new CapturingSink();
        var options = new DrainOptions { Timeout = TimeSpan.FromSeconds(40), RetryInterval = TimeSpan.FromMilliseconds(300) };

        var drain = NodeDrain.SuspendAsync(client, node, drain: true, options, sink, default);
        LabTools.WaitFor("an eviction refused by the budget", TimeSpan.FromSeconds(20),
            () => (sink.Verbose.Any(v => v.Contains("refused by its PodDisruptionBudget")), string.Join("\n", sink.Verbose)));
        Assert.False(drain.IsCompleted);
        Assert.Equal(["db-0", "db-1"], PodsLeft(ns));

        lab.KubectlOk("patch", "pdb", "db", "-n", ns, "--type=merge", "-p", """{"spec":{"minAvailable":0}}""");
        var result = await drain;

        Assert.Empty(PodsLeft(ns));
        Assert.Equal(2, result!.Evicted.Count);
    }

    [Fact]
    public async Task Drain_gives_up_at_the_timeout_while_the_budget_refuses_and_leaves_the_pod()
    {
        var node = Unique("stuck");
        Node(node, ready: true);
        var ns = Namespace();
        Pod(ns, "only", node, "ReplicaSet", "only-rs", app: "only");
        Create(T("""{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"only","namespace":"«0»"},"spec":{"maxUnavailable":0,"selector":{"matchLabels":{"app":"only"}}}}""", ns));
        using var client = LabApi.Client(lab);

        var e = await Assert.ThrowsAsync<KubeException>(() => NodeDrain.SuspendAsync(client, node, drain: true,
            new DrainOptions { Timeout = TimeSpan.FromSeconds(2), RetryInterval = TimeSpan.FromMilliseconds(300) }, new CapturingSink(), default));

        Assert.Equal("Drain.Timeout", e.ErrorId);
        Assert.Contains($"{ns}/only", e.Message);
        Assert.Equal(["only"], PodsLeft(ns));
        Assert.Equal("true", Unschedulable(node));
    }

    [Fact]
    public async Task Drain_of_the_control_plane_node_leaves_its_mirror_pods()
    {
        using var client = LabApi.Client(lab);
        try
        {
            var result = await NodeDrain.SuspendAsync(client, lab.NodeName, drain: true,
                new DrainOptions { Timeout = TimeSpan.FromSeconds(20), IgnoreDaemonSets = true }, new CapturingSink(), default);

            var mirrors = lab.KubectlOk("get", "pods", "-n", "kube-system", "--field-selector", "spec.nodeName=" + lab.NodeName,
                "-o", "jsonpath={.items[*].metadata.name}").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains($"etcd-{lab.NodeName}", mirrors);
            Assert.Contains($"kube-apiserver-{lab.NodeName}", mirrors);
            Assert.Contains($"kube-system/etcd-{lab.NodeName}", result!.Ignored);
            Assert.DoesNotContain(result.Evicted, p => p.StartsWith("kube-system/", StringComparison.Ordinal));
        }
        finally
        {
            await NodeDrain.ResumeAsync(client, lab.NodeName, new CapturingSink(), default);
        }
        Assert.Equal("", Unschedulable(lab.NodeName));
    }
}
