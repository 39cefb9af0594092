using KubePS.Core;
using KubePS.Core.Cluster;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows.Upgrade;
using Xunit;
using static KubePS.Tests.Day2.UpgradePlanTests;

namespace KubePS.Tests.Day2;

/// <summary>
/// Update-KubeCluster's order and refusals, decided from the cluster's state before any node is touched (kubeadm-facts
/// §8: control planes first, one at a time, then workers; a kubelet never newer than the API server).
/// </summary>
public sealed class UpgradeOrderTests
{
    static UpgradeRequest Request(string maxUnavailable = "1", params string[] nodes) =>
        new() { Version = KubeVersion.Parse("1.19.5"), MaxUnavailable = maxUnavailable, Nodes = nodes };

    static ClusterState Workers(int count)
    {
        var c = Cluster();
        var nodes = new List<KubeNode> { c.Nodes.Single(n => n.IsControlPlane) };
        for (int i = count; i >= 1; i--) nodes.Add(Node($"w{i}", false, "v1.18.5"));   // listed out of order on purpose
        return new ClusterState
        {
            ApiServerVersion = c.ApiServerVersion, Nodes = nodes, StaticPodTags = c.StaticPodTags, KubeProxyTag = c.KubeProxyTag, CoreDnsTag = c.CoreDnsTag,
        };
    }

    [Fact]
    public void Control_planes_come_first_then_workers_by_name_in_batches_of_MaxUnavailable()
    {
        var order = UpgradeOrder.Of(Workers(5), Request("2"));
        Assert.Equal("v1.19.5", order.Target.ToString());
        Assert.Equal(["cp1"], order.SelectedControlPlanes.Select(n => n.Name));
        Assert.False(order.Applied);
        Assert.Equal(["w1,w2", "w3,w4", "w5"], order.WorkerBatches.Select(b => string.Join(",", b.Select(n => n.Name))));
    }

    [Theory]
    [InlineData("25%", 4, 1)]
    [InlineData("50%", 5, 3)]   // rounded up
    [InlineData("100%", 5, 5)]
    [InlineData("1%", 3, 1)]    // at least one
    public void A_percentage_is_of_the_workers_rounded_up(string maxUnavailable, int workers, int batch) =>
        Assert.Equal(batch, UpgradeOrder.Of(Workers(workers), Request(maxUnavailable)).BatchSize);

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("0%")]
    [InlineData("150%")]
    public void A_MaxUnavailable_that_is_no_positive_count_or_percentage_is_refused(string maxUnavailable)
    {
        var e = Assert.Throws<KubeException>(() => UpgradeOrder.Of(Workers(3), Request(maxUnavailable)));
        Assert.Equal("Upgrade.InvalidMaxUnavailable", e.ErrorId);
        Assert.Contains($"'{maxUnavailable}'", e.Message);
        Assert.Contains("25%", e.RecommendedAction);
    }

    [Fact]
    public void A_node_the_cluster_does_not_have_is_refused_with_the_nodes_it_has()
    {
        var e = Assert.Throws<KubeException>(() => UpgradeOrder.Of(Cluster(), Request("1", "cp1", "w9")));
        Assert.Equal("Upgrade.NodeNotFound", e.ErrorId);
        Assert.Equal("w9", e.Target);
        Assert.Contains("cp1, w1, w2", e.Message);
    }

    [Fact]
    public void Workers_alone_are_refused_while_a_control_plane_is_behind()
    {
        var e = Assert.Throws<KubeException>(() => UpgradeOrder.Of(Cluster(), Request("1", "w1", "w2")));
        Assert.Equal("Upgrade.ControlPlaneFirst", e.ErrorId);
        Assert.Equal("cp1", e.Target);
    }

    [Fact]
    public void Workers_alone_go_once_the_control_planes_are_at_the_version()
    {
        var c = Cluster();
        var tags = c.StaticPodTags.ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var component in new[] { "kube-apiserver", "kube-controller-manager", "kube-scheduler" }) tags[(component, "cp1")] = "v1.19.5";
        var upgraded = new ClusterState
        {
            ApiServerVersion = KubeVersion.Parse("1.19.5"),
            Nodes = [Node("cp1", true, "v1.19.5"), Node("w1", false, "v1.18.5"), Node("w2", false, "v1.18.5")],
            StaticPodTags = tags, KubeProxyTag = "v1.19.5", CoreDnsTag = "1.7.0",
        };
        var order = UpgradeOrder.Of(upgraded, Request("1", "w2", "w1"));
        Assert.True(order.Applied);
        Assert.Empty(order.SelectedControlPlanes);
        Assert.Equal(["w1", "w2"], order.Workers.Select(n => n.Name));
    }

    [Fact]
    public void A_timeout_that_is_not_positive_is_refused()
    {
        var e = Assert.Throws<KubeException>(() => UpgradeOrder.Of(Cluster(), Request() with { ComponentTimeout = TimeSpan.Zero }));
        Assert.Equal("Upgrade.InvalidTimeout", e.ErrorId);
    }
}
