using System.Text.Json.Nodes;
using KubePS.Core.Cluster;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows.Upgrade;
using Xunit;

namespace KubePS.Tests.Day2;

/// <summary>
/// Get-KubeUpgradePlan's rules against kubeadm-facts §8 (one minor at a time, no downgrade, kubelets never newer
/// than the API server, targets = newest patch of the current minor and of the next minor, etcd never downgraded)
/// and the catalog's component tags (etcd 3.4.13-0 and CoreDNS 1.7.0 for 1.19.x, as kubeadm 1.19 deploys them).
/// </summary>
public sealed class UpgradePlanTests
{
    internal static KubeNode Node(string name, bool cp, string kubelet, bool ready = true)
    {
        var labels = new JsonObject();
        if (cp) labels["node-role.kubernetes.io/master"] = "";
        return KubeNode.FromObject(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels },
            ["status"] = new JsonObject
            {
                ["nodeInfo"] = new JsonObject { ["kubeletVersion"] = kubelet },
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["reason"] = "KubeletReady" }),
            },
        });
    }

    internal static ClusterState Cluster(string version = "1.18.5", bool cpReady = true, string workerKubelet = "v1.18.5")
    {
        var tags = new Dictionary<(string, string), string>();
        foreach (var c in new[] { "kube-apiserver", "kube-controller-manager", "kube-scheduler" }) tags[(c, "cp1")] = "v" + version;
        tags[("etcd", "cp1")] = "3.4.3-0";
        return new ClusterState
        {
            ApiServerVersion = KubeVersion.Parse(version),
            Nodes = [Node("cp1", true, "v" + version, cpReady), Node("w1", false, workerKubelet), Node("w2", false, workerKubelet)],
            StaticPodTags = tags, KubeProxyTag = "v" + version, CoreDnsTag = "1.6.7",
        };
    }

    [Fact]
    public void Without_a_version_the_plan_offers_the_newest_patch_and_the_next_minor()
    {
        var plans = UpgradePlanner.Plan(Cluster(), null);
        Assert.Equal(["v1.18.20", "v1.19.16"], plans.Select(p => p.TargetVersion.ToString()));
        Assert.All(plans, p => Assert.Equal("v1.18.20", p.LatestPatch!.ToString()));
        Assert.All(plans, p => Assert.Equal("v1.19.16", p.NextMinor!.ToString()));
    }

    [Fact]
    public void A_plan_to_1_19_5_lists_every_component_with_kubeadms_tags()
    {
        var plan = Assert.Single(UpgradePlanner.Plan(Cluster(), KubeVersion.Parse("1.19.5")));
        Assert.True(plan.CanUpgrade, string.Join("\n", plan.Blockers));
        Assert.Contains(new KubeUpgradeComponent("kube-apiserver", "cp1", "v1.18.5", "v1.19.5"), plan.Components);
        Assert.Contains(new KubeUpgradeComponent("kube-proxy", null, "v1.18.5", "v1.19.5"), plan.Components);
        Assert.Contains(new KubeUpgradeComponent("etcd", "cp1", "3.4.3-0", "3.4.13-0"), plan.Components);
        Assert.Contains(new KubeUpgradeComponent("CoreDNS", null, "1.6.7", "1.7.0"), plan.Components);
        Assert.Equal(3, plan.Components.Count(c => c.Component == "kubelet" && c.Target == "v1.19.5"));
    }

    [Theory]
    [InlineData("1.18.5", "1.20.15", "Version.SkipsMinor")]
    [InlineData("1.19.5", "1.18.20", "Version.Downgrade")]
    [InlineData("1.18.5", "1.5.0", "Version.Unsupported")]
    public void Skipping_a_minor_a_downgrade_and_an_unknown_version_are_blocked(string from, string to, string id)
    {
        var plan = Assert.Single(UpgradePlanner.Plan(Cluster(from, workerKubelet: "v" + from), KubeVersion.Parse(to)));
        Assert.False(plan.CanUpgrade);
        Assert.Contains(plan.Blockers, b => b.StartsWith(id + ":", StringComparison.Ordinal));
        var e = Assert.ThrowsAny<KubePS.Core.KubeException>(() => UpgradePlanner.EnsureCanUpgrade(plan));
        Assert.Contains(id, e.ErrorId + e.Message);
    }

    [Fact]
    public void A_NotReady_control_plane_blocks_the_upgrade()
    {
        var plan = Assert.Single(UpgradePlanner.Plan(Cluster(cpReady: false), KubeVersion.Parse("1.19.5")));
        Assert.Contains(plan.Blockers, b => b.StartsWith("Upgrade.ControlPlaneNotReady:") && b.Contains("cp1"));
    }

    [Fact]
    public void A_kubelet_newer_than_the_target_blocks_it()
    {
        var plan = Assert.Single(UpgradePlanner.Plan(Cluster(workerKubelet: "v1.20.1"), KubeVersion.Parse("1.19.5")));
        Assert.Contains(plan.Blockers, b => b.StartsWith("Version.KubeletNewerThanApiServer:"));
    }

    [Fact]
    public void Etcd_is_never_downgraded()
    {
        Assert.Equal("3.5.6-0", UpgradePlanner.NewerEtcd("3.5.6-0", "3.4.13-0"));
        Assert.Equal("3.4.13-0", UpgradePlanner.NewerEtcd("3.4.3-0", "3.4.13-0"));
    }
}
