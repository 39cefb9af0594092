using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.ClusterObjects;

/// <summary>
/// mark-control-plane labels and taints per version (kubeadm-versions.md §2, facts §5.4), judged by applying the
/// rendered merge patch to a Node with `kubectl patch --local --type merge`, i.e. with JSON merge patch semantics.
/// </summary>
public sealed class MarkControlPlaneTests : ClusterObjectsTestBase
{
    const string Master = "node-role.kubernetes.io/master";
    const string ControlPlane = "node-role.kubernetes.io/control-plane";
    const string ExcludeLB = "node.kubernetes.io/exclude-from-external-load-balancers";

    static JsonObject Node(params JsonObject[] taints)
    {
        var node = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject
            {
                ["name"] = "cp1",
                ["resourceVersion"] = "4711",
                ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = "cp1" },
            },
            ["spec"] = new JsonObject(),
        };
        if (taints.Length > 0) node["spec"]!["taints"] = new JsonArray(taints);
        return node;
    }

    JsonObject Patched(JsonObject node, JsonObject patch)
    {
        var file = Kubectl.WriteTemp(Dir, $"node-{Guid.NewGuid():N}.json", node.ToJsonString());
        return Kubectl.Run("patch", "--local", "-f", file, "--type", "merge", "-p", patch.ToJsonString(), "-o", "json");
    }

    static string[] Labels(JsonObject node, params string[] candidates) =>
        candidates.Where(c => ((JsonObject)node["metadata"]!["labels"]!).ContainsKey(c)).ToArray();

    static string[] Taints(JsonObject node) =>
        ((JsonArray?)node["spec"]!["taints"] ?? []).Select(t => $"{t!["key"]}:{t["effect"]}").ToArray();

    [Theory]
    // 1.18: master label and master taint.
    [InlineData("1.18.2", new[] { Master }, new[] { Master + ":NoSchedule" })]
    // 1.20: both labels, master taint.
    [InlineData("1.20.15", new[] { Master, ControlPlane }, new[] { Master + ":NoSchedule" })]
    // 1.21: plus the exclude-from-external-load-balancers label.
    [InlineData("1.21.14", new[] { Master, ControlPlane, ExcludeLB }, new[] { Master + ":NoSchedule" })]
    // 1.24: control-plane label (master dropped), both taints.
    [InlineData("1.24.17", new[] { ControlPlane, ExcludeLB }, new[] { Master + ":NoSchedule", ControlPlane + ":NoSchedule" })]
    // 1.25+: control-plane only.
    [InlineData("1.25.0", new[] { ControlPlane, ExcludeLB }, new[] { ControlPlane + ":NoSchedule" })]
    [InlineData("1.30.14", new[] { ControlPlane, ExcludeLB }, new[] { ControlPlane + ":NoSchedule" })]
    public void Control_plane_node_gets_the_labels_and_taints_of_its_version(string version, string[] labels, string[] taints)
    {
        var patch = NodeObjects.MarkControlPlanePatch(KubeVersion.Parse(version), Node());
        var node = Patched(Node(), patch);
        Assert.Equal(labels, Labels(node, Master, ControlPlane, ExcludeLB));
        foreach (var l in labels) Assert.Equal("", (string?)node["metadata"]!["labels"]![l]);
        Assert.Equal("cp1", (string?)node["metadata"]!["labels"]!["kubernetes.io/hostname"]);
        Assert.Equal(taints, Taints(node));
    }

    [Fact]
    public void Existing_taints_are_kept_and_only_missing_ones_added()
    {
        // kubeadm's addTaints: a taint with the same key and effect counts as present; others are appended.
        var custom = new JsonObject { ["key"] = "dedicated", ["value"] = "infra", ["effect"] = "NoExecute", ["timeAdded"] = "2024-01-01T00:00:00Z" };
        var present = new JsonObject { ["key"] = ControlPlane, ["effect"] = "NoSchedule" };
        var current = Node(custom, present);
        var patch = NodeObjects.MarkControlPlanePatch(KubeVersion.Parse("1.24.17"), current);
        var node = Patched(current, patch);
        Assert.Equal(["dedicated:NoExecute", ControlPlane + ":NoSchedule", Master + ":NoSchedule"], Taints(node));
        Assert.Equal("infra", (string?)node["spec"]!["taints"]![0]!["value"]);
        Assert.Equal("2024-01-01T00:00:00Z", (string?)node["spec"]!["taints"]![0]!["timeAdded"]);
        // A full-list patch carries the Node's resourceVersion so a concurrent change is a conflict, not a lost update.
        Assert.Equal("4711", (string?)patch["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public void Nothing_to_add_leaves_the_taints_alone_and_empty_taints_add_none()
    {
        var present = new JsonObject { ["key"] = ControlPlane, ["effect"] = "NoSchedule" };
        var patch = NodeObjects.MarkControlPlanePatch(KubeVersion.Parse("1.30"), Node(present));
        Assert.Null(patch["spec"]);
        Assert.Null(patch["metadata"]!["resourceVersion"]);

        var none = NodeObjects.MarkControlPlanePatch(KubeVersion.Parse("1.30"), Node(), taints: []);
        Assert.Null(none["spec"]);

        var custom = NodeObjects.MarkControlPlanePatch(KubeVersion.Parse("1.30"), Node(), [NodeTaint.Parse("example.com/gpu=true:PreferNoSchedule")]);
        var node = Patched(Node(), custom);
        Assert.Equal(["example.com/gpu:PreferNoSchedule"], Taints(node));
        Assert.Equal("true", (string?)node["spec"]!["taints"]![0]!["value"]);

        var ex = Assert.Throws<KubeException>(() => NodeTaint.Parse("bad key:Sometimes"));
        Assert.Equal("ClusterObjects.InvalidTaint", ex.ErrorId);
    }

    [Theory]
    [InlineData("1.18.2", "/var/run/dockershim.sock", true)]
    [InlineData("1.30.14", "unix:///var/run/containerd/containerd.sock", true)]
    [InlineData("1.33.0", "unix:///var/run/containerd/containerd.sock", true)]
    [InlineData("1.34.0", "unix:///var/run/containerd/containerd.sock", false)]
    public void Cri_socket_annotation_is_written_until_NodeLocalCRISocket_takes_over(string version, string socket, bool annotated)
    {
        // kubeadm-versions.md §3: annotation kubeadm.alpha.kubernetes.io/cri-socket until NodeLocalCRISocket
        // (beta, on by default in 1.34) moves the socket to /var/lib/kubelet/instance-config.yaml.
        var patch = NodeObjects.CriSocketAnnotationPatch(KubeVersion.Parse(version), socket);
        if (!annotated) { Assert.Null(patch); return; }
        var node = Patched(Node(), patch!);
        Assert.Equal(socket, (string?)node["metadata"]!["annotations"]!["kubeadm.alpha.kubernetes.io/cri-socket"]);
    }
}
