using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.ClusterObjects;

public sealed class CoreDnsTests : ClusterObjectsTestBase
{
    static string PythonTenthAddress(string cidr) =>
        Tool.Run("python3", ["-c", "import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1], strict=False)[10])", cidr])
            .OrThrow("python ipaddress").Output.Trim();

    [Theory]
    [InlineData("10.96.0.0/12", "10.96.0.10")]
    [InlineData("10.96.0.0/12,fd00:10:96::/108", "10.96.0.10")]
    [InlineData("fd00:10:96::/108", "fd00:10:96::a")]
    [InlineData("fd00:10:96::/108,10.96.0.0/12", "fd00:10:96::a")]
    [InlineData("172.20.5.7/24", "172.20.5.10")]
    public void Dns_service_takes_the_tenth_address_of_the_first_service_subnet(string subnet, string ip)
    {
        // Facts §10.1 and §5.5: clusterIP = 10th address of the service subnet; dual-stack: the first CIDR.
        // Python's ipaddress module is the judge of the address arithmetic.
        Assert.Equal(PythonTenthAddress(subnet.Split(',')[0]), ip);
        var svc = Find(CoreDnsObjects.Render(Cluster("1.30.14", serviceSubnet: subnet)), "Service", "kube-dns");
        Assert.Equal(ip, (string?)svc["spec"]!["clusterIP"]);
    }

    [Theory]
    [InlineData("10.96.0.0/29")]
    [InlineData("10.96.0.0")]
    [InlineData("10.96.0.0/33")]
    [InlineData("10.96.0.0/12,10.97.0.0/16")]
    public void Service_subnet_too_small_or_malformed_is_refused_naming_the_value(string subnet)
    {
        var ex = Assert.Throws<KubeException>(() => CoreDnsObjects.Render(Cluster("1.30", serviceSubnet: subnet)));
        Assert.Equal("ClusterObjects.InvalidServiceSubnet", ex.ErrorId);
        Assert.Contains(subnet.Split(',')[0], ex.Message);
    }

    [Theory]
    [InlineData("1.30.14", null, "registry.k8s.io/coredns/coredns:v1.11.3")]
    [InlineData("1.30.14", "registry.aliyuncs.com/google_containers", "registry.aliyuncs.com/google_containers/coredns:v1.11.3")]
    [InlineData("1.30.4", null, "registry.k8s.io/coredns/coredns:v1.11.1")]
    [InlineData("1.18.2", null, "k8s.gcr.io/coredns:1.6.7")]
    [InlineData("1.18.2", "registry.aliyuncs.com/google_containers", "registry.aliyuncs.com/google_containers/coredns:1.6.7")]
    public void CoreDNS_image_follows_the_version_and_repository(string version, string? repo, string image)
    {
        // kubeadm-versions.md §1: CoreDNS tag per version; extra coredns/ path only on the default repository, 1.21+.
        var deploy = Find(CoreDnsObjects.Render(Cluster(version, repo)), "Deployment", "coredns");
        Assert.Equal(image, (string?)deploy["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
    }

    [Fact]
    public void Corefile_serves_the_clusters_dns_domain()
    {
        // Facts §5.5 Corefile outline, for dnsDomain corp.example (1.30: forward with max_concurrent, plain cache).
        var cm = Find(CoreDnsObjects.Render(Cluster("1.30.14", dnsDomain: "corp.example")), "ConfigMap", "coredns");
        Assert.Equal("kube-system", (string?)cm["metadata"]!["namespace"]);
        Assert.Equal(
            ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n" +
            "    kubernetes corp.example in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n" +
            "    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n",
            (string?)cm["data"]!["Corefile"]);

        // 1.18 forwards without max_concurrent (added with CoreDNS 1.7.0, kubeadm 1.19); 1.32+ stops caching the
        // cluster domain (kubernetes/kubernetes#128359).
        Assert.Contains("    forward . /etc/resolv.conf\n    cache 30\n", CoreDnsObjects.Corefile(KubeVersion.Parse("1.18"), "cluster.local"));
        Assert.Contains("    cache 30 {\n       disable success corp.example\n       disable denial corp.example\n    }\n",
            CoreDnsObjects.Corefile(KubeVersion.Parse("1.32"), "corp.example"));
        Assert.Equal("ClusterObjects.InvalidDnsDomain", Assert.Throws<KubeException>(() => CoreDnsObjects.Corefile(KubeVersion.Parse("1.30"), "Corp_Example")).ErrorId);
    }

    [Theory]
    [InlineData("1.18.2", true, false)]
    [InlineData("1.21.14", true, false)]
    [InlineData("1.22.0", true, true)]
    [InlineData("1.27.16", true, true)]
    [InlineData("1.28.0", false, true)]
    [InlineData("1.30.14", false, true)]
    public void CoreDNS_ClusterRole_rules_follow_the_version(string version, bool nodesGet, bool endpointSlices)
    {
        // Facts §5.2: list/watch endpoints, services, pods, namespaces; endpointslices (discovery.k8s.io) once CoreDNS
        // reads them (1.22, CoreDNS 1.8.4); "get nodes" in older versions (dropped 1.28, kubernetes/kubernetes#117521).
        var objs = CoreDnsObjects.Render(Cluster(version));
        var role = Find(objs, "ClusterRole", "system:coredns");
        var rules = ((JsonArray)role["rules"]!).Select(r => r!).ToList();
        Assert.Equal(["list", "watch"], StringList(rules[0]["verbs"]));
        Assert.Equal(["endpoints", "services", "pods", "namespaces"], StringList(rules[0]["resources"]));
        Assert.Equal(nodesGet, rules.Any(r => StringList(r["resources"]).SequenceEqual(["nodes"]) && StringList(r["verbs"]).SequenceEqual(["get"])));
        Assert.Equal(endpointSlices, rules.Any(r => StringList(r["apiGroups"]).SequenceEqual(["discovery.k8s.io"])
            && StringList(r["resources"]).SequenceEqual(["endpointslices"]) && StringList(r["verbs"]).SequenceEqual(["list", "watch"])));

        var crb = Find(objs, "ClusterRoleBinding", "system:coredns");
        var expected = Kubectl.Run("create", "clusterrolebinding", "system:coredns", "--clusterrole=system:coredns",
            "--serviceaccount=kube-system:coredns", "--dry-run=client", "-o", "json");
        Assert.True(JsonNode.DeepEquals(expected["subjects"], crb["subjects"]), crb["subjects"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(expected["roleRef"], crb["roleRef"]));
        var sa = Find(objs, "ServiceAccount", "coredns");
        Assert.Equal("kube-system", (string?)sa["metadata"]!["namespace"]);

        using var discovery = new DiscoveryStub();
        var kubectlRole = Kubectl.RunWithServer(discovery.Url, "create", "clusterrole", "system:coredns", "--verb=list,watch",
            "--resource=endpoints,services,pods,namespaces", "--dry-run=client", "-o", "json");
        Assert.True(JsonNode.DeepEquals(BootstrapTokenTests.Sorted(kubectlRole["rules"]![0]), BootstrapTokenTests.Sorted(rules[0])), rules[0].ToJsonString());
    }

    [Theory]
    [InlineData("1.18.2", new[] { "CriticalAddonsOnly", "node-role.kubernetes.io/master" }, false)]
    [InlineData("1.20.15", new[] { "CriticalAddonsOnly", "node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane" }, false)]
    [InlineData("1.25.16", new[] { "CriticalAddonsOnly", "node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane" }, true)]
    [InlineData("1.26.0", new[] { "CriticalAddonsOnly", "node-role.kubernetes.io/control-plane" }, true)]
    [InlineData("1.30.14", new[] { "CriticalAddonsOnly", "node-role.kubernetes.io/control-plane" }, true)]
    public void CoreDNS_deployment_tolerates_the_control_plane_taints_of_its_era(string version, string[] tolerationKeys, bool antiAffinity)
    {
        // kubeadm-versions.md §2: CoreDNS tolerates master before 1.20, both 1.20-1.25, control-plane only from 1.26.
        // Facts §5.5: preferred hostname anti-affinity (kubeadm added it in 1.25, kubernetes/kubernetes#110593).
        var deploy = Find(CoreDnsObjects.Render(Cluster(version)), "Deployment", "coredns");
        var spec = deploy["spec"]!["template"]!["spec"]!;
        Assert.Equal(tolerationKeys, ((JsonArray)spec["tolerations"]!).Select(t => (string)t!["key"]!));
        Assert.Equal("Exists", (string?)spec["tolerations"]![0]!["operator"]);
        Assert.All(((JsonArray)spec["tolerations"]!).Skip(1), t => Assert.Equal("NoSchedule", (string?)t!["effect"]));
        Assert.Equal(antiAffinity, spec["affinity"] is not null);
        if (antiAffinity)
        {
            var term = spec["affinity"]!["podAntiAffinity"]!["preferredDuringSchedulingIgnoredDuringExecution"]![0]!;
            Assert.Equal(100, (int)term["weight"]!);
            Assert.Equal("kubernetes.io/hostname", (string?)term["podAffinityTerm"]!["topologyKey"]);
            Assert.Equal(["kube-dns"], StringList(term["podAffinityTerm"]!["labelSelector"]!["matchExpressions"]![0]!["values"]));
        }
        Kubectl.AssertTypedRoundTrip(deploy, Dir);
    }

    [Fact]
    public void CoreDNS_deployment_has_kubeadms_replicas_probes_security_and_resources()
    {
        // Facts §5.5: label k8s-app kube-dns, replicas 2, maxUnavailable 1, system-cluster-critical, SA coredns,
        // nodeSelector linux, args -conf /etc/coredns/Corefile, ports dns/dns-tcp/metrics, memory limit 170Mi,
        // requests 100m/70Mi, liveness /health:8080 (60/5/5), readiness /ready:8181, no privilege escalation,
        // +NET_BIND_SERVICE -ALL, read-only root, dnsPolicy Default, ConfigMap volume config-volume.
        var deploy = Find(CoreDnsObjects.Render(Cluster("1.30.14")), "Deployment", "coredns");
        Kubectl.AssertTypedRoundTrip(deploy, Dir);
        var spec = deploy["spec"]!;
        Assert.Equal("kube-dns", (string?)deploy["metadata"]!["labels"]!["k8s-app"]);
        Assert.Equal(2, (int)spec["replicas"]!);
        Assert.Equal(1, (int)spec["strategy"]!["rollingUpdate"]!["maxUnavailable"]!);
        Assert.Equal("kube-dns", (string?)spec["selector"]!["matchLabels"]!["k8s-app"]);
        var pod = spec["template"]!["spec"]!;
        Assert.Equal("system-cluster-critical", (string?)pod["priorityClassName"]);
        Assert.Equal("coredns", (string?)pod["serviceAccountName"]);
        Assert.Equal("linux", (string?)pod["nodeSelector"]!["kubernetes.io/os"]);
        Assert.Equal("Default", (string?)pod["dnsPolicy"]);
        Assert.Equal("coredns", (string?)pod["volumes"]![0]!["configMap"]!["name"]);
        var c = pod["containers"]![0]!;
        Assert.Equal(["-conf", "/etc/coredns/Corefile"], StringList(c["args"]));
        Assert.Equal(["dns/53/UDP", "dns-tcp/53/TCP", "metrics/9153/TCP"],
            ((JsonArray)c["ports"]!).Select(p => $"{p!["name"]}/{p["containerPort"]}/{p["protocol"]}"));
        Assert.Equal("170Mi", (string?)c["resources"]!["limits"]!["memory"]);
        Assert.Equal("100m", (string?)c["resources"]!["requests"]!["cpu"]);
        Assert.Equal("70Mi", (string?)c["resources"]!["requests"]!["memory"]);
        Assert.Equal("/health", (string?)c["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal(8080, (int)c["livenessProbe"]!["httpGet"]!["port"]!);
        Assert.Equal(60, (int)c["livenessProbe"]!["initialDelaySeconds"]!);
        Assert.Equal(5, (int)c["livenessProbe"]!["timeoutSeconds"]!);
        Assert.Equal(5, (int)c["livenessProbe"]!["failureThreshold"]!);
        Assert.Equal("/ready", (string?)c["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal(8181, (int)c["readinessProbe"]!["httpGet"]!["port"]!);
        Assert.False((bool)c["securityContext"]!["allowPrivilegeEscalation"]!);
        Assert.True((bool)c["securityContext"]!["readOnlyRootFilesystem"]!);
        Assert.Equal(["NET_BIND_SERVICE"], StringList(c["securityContext"]!["capabilities"]!["add"]));
        Assert.Equal(["ALL"], StringList(c["securityContext"]!["capabilities"]!["drop"]));

        // Older kubeadm wrote "all" (kubernetes/kubernetes#121384 made it ALL in 1.29); 1.34 probes use named ports.
        var old = Find(CoreDnsObjects.Render(Cluster("1.28.15")), "Deployment", "coredns");
        Assert.Equal(["all"], StringList(old["spec"]!["template"]!["spec"]!["containers"]![0]!["securityContext"]!["capabilities"]!["drop"]));
        var named = Find(CoreDnsObjects.Render(Cluster("1.34.0")), "Deployment", "coredns");
        var nc = named["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("liveness-probe", (string?)nc["livenessProbe"]!["httpGet"]!["port"]);
        Assert.Contains(((JsonArray)nc["ports"]!), p => (string?)p!["name"] == "readiness-probe" && (int)p["containerPort"]! == 8181);
        Kubectl.AssertTypedRoundTrip(named, Dir);
    }

    [Theory]
    [InlineData("1.18.2", "KubeDNS")]
    [InlineData("1.30.14", "CoreDNS")]
    public void Kube_dns_service_keeps_its_name_for_compatibility(string version, string nameLabel)
    {
        // Facts §5.5: Service kube-dns, labels k8s-app kube-dns, kubernetes.io/cluster-service "true",
        // kubernetes.io/name; prometheus annotations; ports dns 53/UDP, dns-tcp 53/TCP, metrics 9153/TCP.
        var svc = Find(CoreDnsObjects.Render(Cluster(version)), "Service", "kube-dns");
        Kubectl.AssertTypedRoundTrip(svc, Dir);
        var labels = svc["metadata"]!["labels"]!;
        Assert.Equal("kube-dns", (string?)labels["k8s-app"]);
        Assert.Equal("true", (string?)labels["kubernetes.io/cluster-service"]);
        Assert.Equal(nameLabel, (string?)labels["kubernetes.io/name"]);
        Assert.Equal("9153", (string?)svc["metadata"]!["annotations"]!["prometheus.io/port"]);
        Assert.Equal("true", (string?)svc["metadata"]!["annotations"]!["prometheus.io/scrape"]);
        Assert.Equal(["dns/53/UDP", "dns-tcp/53/TCP", "metrics/9153/TCP"],
            ((JsonArray)svc["spec"]!["ports"]!).Select(p => $"{p!["name"]}/{p["port"]}/{p["protocol"]}"));
        Assert.Equal("kube-dns", (string?)svc["spec"]!["selector"]!["k8s-app"]);
    }
}
