using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.ClusterObjects;
using Xunit;

namespace KubePS.Tests.ClusterObjects;

public sealed class KubeProxyTests : ClusterObjectsTestBase
{
    /// <summary>PyYAML (a YAML 1.1 reader, like the go-yaml under sigs.k8s.io/yaml) parses config.conf into JSON.</summary>
    static JsonObject ParseYaml(string yaml) =>
        JsonNode.Parse(Tool.Run("python3", ["-c", "import sys,yaml,json; print(json.dumps(yaml.safe_load(sys.stdin.read())))"], yaml)
            .OrThrow("python yaml").Output)!.AsObject();

    [Fact]
    public void Config_conf_carries_kubeadms_defaults_and_the_users_ipvs_mode()
    {
        // Facts §5.5: KubeProxyConfiguration with clientConnection.kubeconfig /var/lib/kube-proxy/kubeconfig.conf,
        // clusterCIDR = podSubnet, bindAddress 0.0.0.0; the user's mode: ipvs on top.
        var cluster = Cluster("1.30.14", podSubnet: "10.244.0.0/16");
        var objs = KubeProxyObjects.Render(cluster, new KubeProxySettings { Mode = "ipvs" });
        var cm = Find(objs, "ConfigMap", "kube-proxy");
        Assert.Equal("kube-system", (string?)cm["metadata"]!["namespace"]);
        Assert.Equal("kube-proxy", (string?)cm["metadata"]!["labels"]!["app"]);
        Assert.Equal(["config.conf", "kubeconfig.conf"], ((JsonObject)cm["data"]!).Select(p => p.Key).Order(StringComparer.Ordinal));

        string conf = (string)cm["data"]!["config.conf"]!;
        var parsed = ParseYaml(conf);
        Assert.Equal("kubeproxy.config.k8s.io/v1alpha1", (string?)parsed["apiVersion"]);
        Assert.Equal("KubeProxyConfiguration", (string?)parsed["kind"]);
        Assert.Equal("ipvs", (string?)parsed["mode"]);
        Assert.Equal("10.244.0.0/16", (string?)parsed["clusterCIDR"]);
        Assert.Equal("0.0.0.0", (string?)parsed["bindAddress"]);
        Assert.Equal("/var/lib/kube-proxy/kubeconfig.conf", (string?)parsed["clientConnection"]!["kubeconfig"]);
        // Stored as a |- block in kubeadm's template: no trailing newline; keys sorted as sigs.k8s.io/yaml writes them.
        Assert.False(conf.EndsWith('\n'));
        var topKeys = conf.Split('\n').Where(l => l.Length > 0 && l[0] != ' ').Select(l => l[..l.IndexOf(':')]).ToList();
        Assert.Equal(topKeys.Order(StringComparer.Ordinal), topKeys);
    }

    [Fact]
    public void Users_extra_fields_merge_over_the_defaults_and_win_where_set()
    {
        var settings = KubeProxySettings.FromYaml(
            "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nclusterCIDR: 192.168.0.0/16\n" +
            "ipvs:\n  strictARP: true\n  scheduler: \"rr\"\nnodePortAddresses:\n- 10.0.0.0/8\nconntrack:\n  maxPerCore: 0\nmetricsBindAddress: \"0.0.0.0:10249\"\n" +
            "featureGates:\n  SomeGate: false\n");
        var conf = KubeProxyObjects.Configuration(Cluster("1.30.14", podSubnet: "10.244.0.0/16"), settings);
        var parsed = ParseYaml(conf);
        Assert.Equal("192.168.0.0/16", (string?)parsed["clusterCIDR"]);
        Assert.True((bool)parsed["ipvs"]!["strictARP"]!);
        Assert.Equal("rr", (string?)parsed["ipvs"]!["scheduler"]);
        Assert.Equal(["10.0.0.0/8"], StringList(parsed["nodePortAddresses"]));
        Assert.Equal(0, (int)parsed["conntrack"]!["maxPerCore"]!);
        Assert.Equal("0.0.0.0:10249", (string?)parsed["metricsBindAddress"]);
        Assert.False((bool)parsed["featureGates"]!["SomeGate"]!);
        Assert.Equal("/var/lib/kube-proxy/kubeconfig.conf", (string?)parsed["clientConnection"]!["kubeconfig"]);

        // An IPv6 control plane binds to '::'.
        var v6 = ParseYaml(KubeProxyObjects.Configuration(Cluster("1.30.14", advertise: "fd00::10", endpoint: "https://[fd00::10]:6443")));
        Assert.Equal("::", (string?)v6["bindAddress"]);
        Assert.Null(v6["clusterCIDR"]);
    }

    [Theory]
    [InlineData("mode: turbo\n", "ClusterObjects.InvalidKubeProxyMode")]
    [InlineData("mode: [ipvs]\n", "ClusterObjects.InvalidKubeProxyMode")]
    [InlineData("apiVersion: kubeproxy.config.k8s.io/v1alpha2\n", "ClusterObjects.InvalidKubeProxyConfiguration")]
    [InlineData("mode: ipvs\n  bad: [indent\n", "ClusterObjects.InvalidYaml")]
    [InlineData("- a\n- b\n", "ClusterObjects.InvalidKubeProxyConfiguration")]
    public void Bad_kube_proxy_settings_are_refused_before_anything_is_rendered(string yaml, string errorId)
    {
        var ex = Assert.Throws<KubeException>(() => KubeProxyObjects.Render(Cluster("1.30"), KubeProxySettings.FromYaml(yaml)));
        Assert.Equal(errorId, ex.ErrorId);
    }

    [Fact]
    public void Kubeconfig_conf_points_kube_proxy_at_the_control_plane_with_its_service_account()
    {
        // Facts §5.5: cluster "default" with the control-plane endpoint and the SA-mounted ca.crt, user "default"
        // with the SA token file, context "default" (namespace default). kubectl parses it.
        var cm = Find(KubeProxyObjects.Render(Cluster("1.30.14", endpoint: "https://api.example.com:6443")), "ConfigMap", "kube-proxy");
        var file = Kubectl.WriteTemp(Dir, "kube-proxy.conf", (string)cm["data"]!["kubeconfig.conf"]!);
        var parsed = Kubectl.Run("config", "view", "--raw", "-o", "json", "--kubeconfig", file);
        var cluster = Assert.Single((JsonArray)parsed["clusters"]!)!;
        Assert.Equal("default", (string?)cluster["name"]);
        Assert.Equal("https://api.example.com:6443", (string?)cluster["cluster"]!["server"]);
        Assert.Equal("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", (string?)cluster["cluster"]!["certificate-authority"]);
        var user = Assert.Single((JsonArray)parsed["users"]!)!;
        Assert.Equal("default", (string?)user["name"]);
        Assert.Equal("/var/run/secrets/kubernetes.io/serviceaccount/token", (string?)user["user"]!["tokenFile"]);
        var context = Assert.Single((JsonArray)parsed["contexts"]!)!;
        Assert.Equal("default", (string?)context["context"]!["namespace"]);
        Assert.Equal("default", (string?)parsed["current-context"]);
    }

    [Theory]
    [InlineData("1.18.2", null, "k8s.gcr.io/kube-proxy:v1.18.2", true)]
    [InlineData("1.21.14", null, "k8s.gcr.io/kube-proxy:v1.21.14", true)]
    [InlineData("1.22.17", null, "registry.k8s.io/kube-proxy:v1.22.17", false)]
    [InlineData("1.24.0", null, "k8s.gcr.io/kube-proxy:v1.24.0", false)]
    [InlineData("1.30.14", null, "registry.k8s.io/kube-proxy:v1.30.14", false)]
    [InlineData("1.30.14", "registry.aliyuncs.com/google_containers", "registry.aliyuncs.com/google_containers/kube-proxy:v1.30.14", false)]
    public void Kube_proxy_daemonset_runs_privileged_on_every_linux_node(string version, string? repo, string image, bool criticalAddonsToleration)
    {
        // Facts §5.5: DaemonSet kube-proxy, k8s-app label/selector, RollingUpdate, system-node-critical, hostNetwork,
        // SA kube-proxy, tolerations Exists (plus CriticalAddonsOnly until 1.22, kubernetes/kubernetes#101966),
        // nodeSelector linux, privileged, command with --config and --hostname-override=$(NODE_NAME), NODE_NAME from
        // spec.nodeName, volumes kube-proxy ConfigMap, /run/xtables.lock FileOrCreate rw, /lib/modules ro.
        var ds = Find(KubeProxyObjects.Render(Cluster(version, repo)), "DaemonSet", "kube-proxy");
        Kubectl.AssertTypedRoundTrip(ds, Dir);
        Assert.Equal("kube-system", (string?)ds["metadata"]!["namespace"]);
        Assert.Equal("kube-proxy", (string?)ds["spec"]!["selector"]!["matchLabels"]!["k8s-app"]);
        Assert.Equal("RollingUpdate", (string?)ds["spec"]!["updateStrategy"]!["type"]);
        var pod = ds["spec"]!["template"]!["spec"]!;
        Assert.Equal("system-node-critical", (string?)pod["priorityClassName"]);
        Assert.True((bool)pod["hostNetwork"]!);
        Assert.Equal("kube-proxy", (string?)pod["serviceAccountName"]);
        Assert.Equal("linux", (string?)pod["nodeSelector"]!["kubernetes.io/os"]);
        var tolerations = ((JsonArray)pod["tolerations"]!).Select(t => t!.ToJsonString()).ToList();
        Assert.Equal(criticalAddonsToleration ? ["{\"key\":\"CriticalAddonsOnly\",\"operator\":\"Exists\"}", "{\"operator\":\"Exists\"}"] : ["{\"operator\":\"Exists\"}"], tolerations);

        var c = pod["containers"]![0]!;
        Assert.Equal(image, (string?)c["image"]);
        Assert.True((bool)c["securityContext"]!["privileged"]!);
        Assert.Equal(["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=$(NODE_NAME)"], StringList(c["command"]));
        Assert.Equal("spec.nodeName", (string?)c["env"]![0]!["valueFrom"]!["fieldRef"]!["fieldPath"]);
        var volumes = ((JsonArray)pod["volumes"]!).ToDictionary(v => (string)v!["name"]!, v => v!);
        Assert.Equal("kube-proxy", (string?)volumes["kube-proxy"]["configMap"]!["name"]);
        Assert.Equal("FileOrCreate", (string?)volumes["xtables-lock"]["hostPath"]!["type"]);
        Assert.Equal("/lib/modules", (string?)volumes["lib-modules"]["hostPath"]!["path"]);
        var mounts = ((JsonArray)c["volumeMounts"]!).ToDictionary(v => (string)v!["name"]!, v => v!);
        Assert.True((bool)mounts["lib-modules"]["readOnly"]!);
        Assert.False((bool)mounts["xtables-lock"]["readOnly"]!);
        Assert.Equal("/var/lib/kube-proxy", (string?)mounts["kube-proxy"]["mountPath"]);
    }

    [Fact]
    public void Kube_proxy_RBAC_binds_the_node_proxier_role_and_lets_joining_nodes_read_the_config()
    {
        // Facts §5.2: SA kube-proxy; CRB kubeadm:node-proxier → ClusterRole system:node-proxier, SA kube-system/kube-proxy;
        // Role + RoleBinding kube-proxy (get configmaps kube-proxy) for the bootstrap-token group.
        var objs = KubeProxyObjects.Render(Cluster("1.30.14"));
        Assert.Equal(["ServiceAccount", "ConfigMap", "DaemonSet", "ClusterRoleBinding", "Role", "RoleBinding"], objs.Select(o => (string)o["kind"]!));
        var crb = Find(objs, "ClusterRoleBinding", "kubeadm:node-proxier");
        var expected = Kubectl.Run("create", "clusterrolebinding", "kubeadm:node-proxier", "--clusterrole=system:node-proxier",
            "--serviceaccount=kube-system:kube-proxy", "--dry-run=client", "-o", "json");
        Assert.True(JsonNode.DeepEquals(expected["subjects"], crb["subjects"]), crb["subjects"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(expected["roleRef"], crb["roleRef"]));
        var role = Find(objs, "Role", "kube-proxy");
        Assert.Equal(["kube-proxy"], StringList(role["rules"]![0]!["resourceNames"]));
        var rb = Find(objs, "RoleBinding", "kube-proxy");
        Kubectl.AssertTypedRoundTrip(rb, Dir);
        Assert.Equal("system:bootstrappers:kubeadm:default-node-token", (string?)rb["subjects"]![0]!["name"]);
    }

    [Fact]
    public void Component_config_hash_is_computed_by_the_caller_over_the_config_map_data()
    {
        IReadOnlyDictionary<string, string>? seen = null;
        const string hash = "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        var cm = Find(KubeProxyObjects.Render(Cluster("1.30.14"), null, d => { seen = d; return hash; }), "ConfigMap", "kube-proxy");
        Assert.Equal(hash, (string?)cm["metadata"]!["annotations"]!["kubeadm.kubernetes.io/component-config.hash"]);
        Assert.Equal((string?)cm["data"]!["config.conf"], seen!["config.conf"]);
        Assert.Equal((string?)cm["data"]!["kubeconfig.conf"], seen["kubeconfig.conf"]);
    }
}
