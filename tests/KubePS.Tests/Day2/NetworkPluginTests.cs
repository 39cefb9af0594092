using KubePS.Core;
using KubePS.Core.Network;
using KubePS.Core.Versioning;
using KubePS.Tests.LabControlPlane;
using Xunit;

namespace KubePS.Tests.Day2;

/// <summary>
/// Install-KubeNetworkPlugin's manifests: flannel applied by KubePS to the lab API server and read back with kubectl;
/// Calico's built-in objects applied with kubectl itself (server-side) and read back; the versions and the Calico CRD
/// set checked against the catalog's sources (Calico's own calico.yaml of that release).
/// </summary>
[Collection(Day2ClusterCollection.Name)]
public sealed class NetworkPluginTests(LabCluster lab)
{
    static NetworkPluginManifest Render(NetworkPluginKind plugin, string k8s, string subnet = "10.244.0.0/16", string? mirror = null) =>
        NetworkPlugins.Render(new NetworkPluginRequest { Plugin = plugin, KubernetesVersion = KubeVersion.Parse(k8s), PodSubnet = subnet, ImageRepository = mirror });

    string Get(params string[] args) => lab.KubectlOk(args).Trim();

    [Fact]
    public async Task Flannel_is_applied_with_the_clusters_pod_network_and_a_mirror_and_a_second_run_changes_nothing()
    {
        lab.KubectlAs(null, """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: kubeadm-config
              namespace: kube-system
            data:
              ClusterConfiguration: |
                apiVersion: kubeadm.k8s.io/v1beta3
                kind: ClusterConfiguration
                kubernetesVersion: v1.32.4
                networking:
                  dnsDomain: cluster.local
                  podSubnet: 10.244.0.0/16
                  serviceSubnet: 10.96.0.0/12
            """, "apply", "-f", "-");
        using var api = LabApi.Client(lab);

        var result = await NetworkPluginInstaller.InstallAsync(api, NetworkPluginKind.Flannel, null, null, "registry.example.com/mirror", new CapturingSink(), default);

        Assert.NotNull(result);
        Assert.Equal("v0.26.1", result.Version);
        Assert.Equal("10.244.0.0/16", result.PodSubnet);
        var netConf = System.Text.Json.Nodes.JsonNode.Parse(Get("get", "cm", "kube-flannel-cfg", "-n", "kube-flannel", "-o", "jsonpath={.data.net-conf\\.json}"))!;
        Assert.Equal("10.244.0.0/16", (string?)netConf["Network"]);
        Assert.Equal("vxlan", (string?)netConf["Backend"]!["Type"]);
        var cni = System.Text.Json.Nodes.JsonNode.Parse(Get("get", "cm", "kube-flannel-cfg", "-n", "kube-flannel", "-o", "jsonpath={.data.cni-conf\\.json}"))!;
        Assert.Equal("flannel", (string?)cni["plugins"]![0]!["type"]);
        Assert.Equal("registry.example.com/mirror/flannel-cni-plugin:v1.5.1-flannel2 registry.example.com/mirror/flannel:v0.26.1",
            Get("get", "ds", "kube-flannel-ds", "-n", "kube-flannel", "-o", "jsonpath={.spec.template.spec.initContainers[*].image}"));
        Assert.Equal("registry.example.com/mirror/flannel:v0.26.1", Get("get", "ds", "kube-flannel-ds", "-n", "kube-flannel", "-o", "jsonpath={.spec.template.spec.containers[0].image}"));
        Assert.Equal("--ip-masq --kube-subnet-mgr", Get("get", "ds", "kube-flannel-ds", "-n", "kube-flannel", "-o", "jsonpath={.spec.template.spec.containers[0].args[*]}"));
        Assert.Equal("privileged", Get("get", "ns", "kube-flannel", "-o", "jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}"));
        // The flannel service account may patch node status, as flanneld needs.
        Assert.Equal("yes", lab.Kubectl("auth", "can-i", "patch", "nodes", "--subresource=status", "--as", "system:serviceaccount:kube-flannel:flannel").Stdout.Trim());

        var version = Get("get", "ds", "kube-flannel-ds", "-n", "kube-flannel", "-o", "jsonpath={.metadata.resourceVersion}");
        await NetworkPluginInstaller.InstallAsync(api, NetworkPluginKind.Flannel, null, null, "registry.example.com/mirror", new CapturingSink(), default);
        Assert.Equal(version, Get("get", "ds", "kube-flannel-ds", "-n", "kube-flannel", "-o", "jsonpath={.metadata.resourceVersion}"));
    }

    [Fact]
    public void Calicos_built_in_objects_are_accepted_by_the_API_server_and_carry_the_pod_network()
    {
        var manifest = Render(NetworkPluginKind.Calico, "1.30.4", "10.200.0.0/16");
        Assert.Equal("v3.29.2", manifest.Version);
        var yaml = string.Join("---\n", manifest.Objects.Where(o => (string?)o["kind"] != "CustomResourceDefinition").Select(o => KubePS.Core.ClusterObjects.YamlTree.Write(o)));

        var r = lab.KubectlAs(null, yaml, "apply", "--server-side", "--field-manager=calico-test", "-f", "-");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("10.200.0.0/16", Get("get", "ds", "calico-node", "-n", "kube-system", "-o",
            "jsonpath={.spec.template.spec.containers[0].env[?(@.name==\"CALICO_IPV4POOL_CIDR\")].value}"));
        Assert.Equal("docker.io/calico/cni:v3.29.2 docker.io/calico/cni:v3.29.2",
            Get("get", "ds", "calico-node", "-n", "kube-system", "-o", "jsonpath={.spec.template.spec.initContainers[*].image}"));
        Assert.Equal("docker.io/calico/kube-controllers:v3.29.2",
            Get("get", "deploy", "calico-kube-controllers", "-n", "kube-system", "-o", "jsonpath={.spec.template.spec.containers[0].image}"));
        var cniConf = System.Text.Json.Nodes.JsonNode.Parse(Get("get", "cm", "calico-config", "-n", "kube-system", "-o", "jsonpath={.data.cni_network_config}")
            .Replace("__CNI_MTU__", "1440"))!;
        Assert.Equal("calico-ipam", (string?)cniConf["plugins"]![0]!["ipam"]!["type"]);
        Assert.Equal("yes", lab.Kubectl("auth", "can-i", "create", "serviceaccounts/calico-cni-plugin", "--subresource=token", "-n", "kube-system",
            "--as", "system:serviceaccount:kube-system:calico-node").Stdout.Trim().Split('\n')[0]);
        Assert.Equal("1", Get("get", "pdb", "calico-kube-controllers", "-n", "kube-system", "-o", "jsonpath={.spec.maxUnavailable}"));
    }

    [Fact]
    public void Calicos_CRDs_are_those_of_its_calico_yaml_with_an_open_schema()
    {
        // calico.yaml v3.26 (Kubernetes API datastore) defines these 18 CRDs.
        string[] v326 = ["bgpconfigurations", "bgpfilters", "bgppeers", "blockaffinities", "caliconodestatuses", "clusterinformations", "felixconfigurations",
            "globalnetworkpolicies", "globalnetworksets", "hostendpoints", "ipamblocks", "ipamconfigs", "ipamhandles", "ippools", "ipreservations",
            "kubecontrollersconfigurations", "networkpolicies", "networksets"];
        var crds = Render(NetworkPluginKind.Calico, "1.26.15").Objects.Where(o => (string?)o["kind"] == "CustomResourceDefinition").ToList();
        Assert.Equal(v326.Select(p => p + ".crd.projectcalico.org"), crds.Select(c => (string?)c["metadata"]!["name"]).Order(StringComparer.Ordinal));
        Assert.All(crds, c =>
        {
            Assert.Equal(((string?)c["metadata"]!["name"])!.Split('.')[0], (string?)c["spec"]!["names"]!["plural"]);
            Assert.True((bool)c["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["x-kubernetes-preserve-unknown-fields"]!);
        });
        Assert.Equal("Namespaced", (string?)crds.Single(c => (string?)c["metadata"]!["name"] == "networkpolicies.crd.projectcalico.org")["spec"]!["scope"]);
        Assert.Equal("Cluster", (string?)crds.Single(c => (string?)c["metadata"]!["name"] == "ippools.crd.projectcalico.org")["spec"]!["scope"]);
    }

    [Theory]
    [InlineData("1.18.5", "v3.18.6", false, false)]
    [InlineData("1.22.17", "v3.24.6", true, false)]
    [InlineData("1.28.15", "v3.28.2", true, true)]
    public void Calico_follows_its_per_Kubernetes_version_compatibility(string k8s, string calico, bool pdb, bool cniPluginAccount)
    {
        var m = Render(NetworkPluginKind.Calico, k8s);
        Assert.Equal(calico, m.Version);
        Assert.Equal(pdb, m.ObjectNames.Contains("PodDisruptionBudget/kube-system/calico-kube-controllers"));
        Assert.Equal(cniPluginAccount, m.ObjectNames.Contains("ServiceAccount/kube-system/calico-cni-plugin"));
        Assert.All(m.Images, i => Assert.EndsWith(":" + calico, i));
    }

    [Theory]
    [InlineData("10.244.0.0", "Network.InvalidPodSubnet")]
    [InlineData("fd00::/64", "Network.InvalidPodSubnet")]
    [InlineData("10.244.0.0/25", "Network.InvalidPodSubnet")]
    public void A_bad_pod_network_fails_before_anything_is_rendered(string subnet, string id)
    {
        var e = Assert.Throws<KubeException>(() => Render(NetworkPluginKind.Flannel, "1.30.4", subnet));
        Assert.Equal(id, e.ErrorId);
        Assert.Contains(subnet, e.Message);
    }

    [Fact]
    public void An_unknown_Kubernetes_version_is_refused()
    {
        var e = Assert.Throws<KubeException>(() => Render(NetworkPluginKind.Calico, "1.12.0"));
        Assert.Equal("Version.Unsupported", e.ErrorId);
    }

    [Fact]
    public void The_manifest_reads_back_as_kubectl_yaml_documents()
    {
        var m = Render(NetworkPluginKind.Flannel, "1.20.15");
        var path = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N") + ".yaml");
        try
        {
            File.WriteAllText(path, m.ToYaml());
            var r = lab.Kubectl("apply", "--dry-run=server", "-f", path, "-o", "name");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal(m.ObjectNames.Count(), r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Equal("v0.22.0", m.Version);
        }
        finally { File.Delete(path); }
    }
}
