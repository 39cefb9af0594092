using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.ClusterObjects;

public sealed class UploadConfigTests : ClusterObjectsTestBase
{
    const string ClusterConfig = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.30.14\n";
    const string Hash = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void Kubeadm_config_map_holds_the_ClusterConfiguration_and_bootstrap_tokens_and_nodes_may_get_it()
    {
        // Facts §5.1: kubeadm-config/kube-system, key ClusterConfiguration, no ClusterStatus since 1.22.
        // Facts §5.2: Role kubeadm:nodes-kubeadm-config (get configmaps kubeadm-config), RoleBinding to the
        // default bootstrap-token group and system:nodes.
        var objs = UploadConfigObjects.Kubeadm(KubeVersion.Parse("1.30.14"), ClusterConfig);
        var cm = Find(objs, "ConfigMap", "kubeadm-config");
        Assert.Equal("kube-system", (string?)cm["metadata"]!["namespace"]);
        Assert.Equal(["ClusterConfiguration"], ((JsonObject)cm["data"]!).Select(p => p.Key));
        Assert.Equal(ClusterConfig, (string?)cm["data"]!["ClusterConfiguration"]);

        var role = Find(objs, "Role", "kubeadm:nodes-kubeadm-config");
        Assert.Equal("kube-system", (string?)role["metadata"]!["namespace"]);
        var rule = Assert.Single((JsonArray)role["rules"]!)!;
        Assert.Equal(["get"], StringList(rule["verbs"]));
        Assert.Equal([""], StringList(rule["apiGroups"]));
        Assert.Equal(["configmaps"], StringList(rule["resources"]));
        Assert.Equal(["kubeadm-config"], StringList(rule["resourceNames"]));

        var rb = Find(objs, "RoleBinding", "kubeadm:nodes-kubeadm-config");
        // kubectl's own generator, from the same facts, is the judge of roleRef and subjects.
        var expected = Kubectl.Run("create", "rolebinding", "kubeadm:nodes-kubeadm-config", "-n", "kube-system",
            "--role=kubeadm:nodes-kubeadm-config", "--group=system:bootstrappers:kubeadm:default-node-token", "--group=system:nodes",
            "--dry-run=client", "-o", "json");
        Assert.True(JsonNode.DeepEquals(expected["roleRef"], rb["roleRef"]), rb["roleRef"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(expected["subjects"], rb["subjects"]), rb["subjects"]!.ToJsonString());
        Kubectl.AssertTypedRoundTrip(rb, Dir);
    }

    [Fact]
    public void Kubeadm_config_of_1_18_to_1_21_also_lists_every_control_plane_in_ClusterStatus()
    {
        // Facts §5.1: the ClusterStatus key existed until it was removed in 1.22; its apiEndpoints map node name to
        // advertiseAddress and bindPort, in the config API kubeadm writes (v1beta2 for 1.18-1.21).
        var objs = UploadConfigObjects.Kubeadm(KubeVersion.Parse("1.18.2"), ClusterConfig,
            [new ControlPlaneApiEndpoint("master", "192.168.162.131"), new ControlPlaneApiEndpoint("cp2", "192.168.162.132", 6443)]);
        var cm = Find(objs, "ConfigMap", "kubeadm-config");
        Assert.Equal(
            "apiEndpoints:\n  cp2:\n    advertiseAddress: 192.168.162.132\n    bindPort: 6443\n  master:\n    advertiseAddress: 192.168.162.131\n    bindPort: 6443\n" +
            "apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterStatus\n",
            (string?)cm["data"]!["ClusterStatus"]);

        var ex = Assert.Throws<KubeException>(() => UploadConfigObjects.Kubeadm(KubeVersion.Parse("1.21"), ClusterConfig));
        Assert.Equal("ClusterObjects.ClusterStatusRequired", ex.ErrorId);

        var v122 = Find(UploadConfigObjects.Kubeadm(KubeVersion.Parse("1.22"), ClusterConfig, [new ControlPlaneApiEndpoint("m", "10.0.0.1")]), "ConfigMap", "kubeadm-config");
        Assert.False(((JsonObject)v122["data"]!).ContainsKey("ClusterStatus"));
    }

    [Theory]
    [InlineData("1.18.2", "kubelet-config-1.18")]
    [InlineData("1.23.17", "kubelet-config-1.23")]
    [InlineData("1.24.0", "kubelet-config")]
    [InlineData("1.30.14", "kubelet-config")]
    public void Kubelet_config_map_name_is_versioned_before_1_24_and_its_Role_follows_the_name(string version, string name)
    {
        // kubeadm-versions.md §3: kubelet-config-1.NN up to 1.23, kubelet-config from 1.24; key "kubelet";
        // facts §5.1: hash annotation kubeadm.kubernetes.io/component-config.hash; §5.2: Role kubeadm:<name>.
        var objs = UploadConfigObjects.Kubelet(KubeVersion.Parse(version), "kind: KubeletConfiguration\n", Hash);
        var cm = Find(objs, "ConfigMap", name);
        Assert.Equal("kube-system", (string?)cm["metadata"]!["namespace"]);
        Assert.Equal("kind: KubeletConfiguration\n", (string?)cm["data"]!["kubelet"]);
        Assert.Equal(Hash, (string?)cm["metadata"]!["annotations"]!["kubeadm.kubernetes.io/component-config.hash"]);

        var role = Find(objs, "Role", "kubeadm:" + name);
        Assert.Equal([name], StringList(role["rules"]![0]!["resourceNames"]));
        var rb = Find(objs, "RoleBinding", "kubeadm:" + name);
        Assert.Equal("kubeadm:" + name, (string?)rb["roleRef"]!["name"]);
        Assert.Equal(["system:bootstrappers:kubeadm:default-node-token", "system:nodes"], ((JsonArray)rb["subjects"]!).Select(s => (string)s!["name"]!));
    }

    [Fact]
    public void Kubelet_config_without_a_hash_has_no_annotation_and_a_malformed_hash_is_refused()
    {
        var cm = UploadConfigObjects.Kubelet(KubeVersion.Parse("1.30"), "kind: KubeletConfiguration\n", null)[0];
        Assert.Null(cm["metadata"]!["annotations"]);
        var ex = Assert.Throws<KubeException>(() => UploadConfigObjects.Kubelet(KubeVersion.Parse("1.30"), "kind: KubeletConfiguration\n", "md5:abc"));
        Assert.Equal("ClusterObjects.InvalidConfigHash", ex.ErrorId);
        Assert.Contains("md5:abc", ex.Message);
    }
}
