using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.Versioning;
using static KubePS.Core.ClusterObjects.KubeObjects;

namespace KubePS.Core.ClusterObjects;

/// <summary>
/// Phase addon/coredns (kubeadm-facts.md §5.2, §5.5; kubeadm-versions.md §1–§2): ServiceAccount, ClusterRole and
/// ClusterRoleBinding system:coredns, ConfigMap coredns (Corefile), Deployment coredns and Service kube-dns, with
/// the per-version differences read from the catalog's coredns.* features. kubeadm deploys CoreDNS only: kube-dns
/// (deprecated 1.18, removed 1.21) is not rendered.
/// </summary>
public static class CoreDnsObjects
{
    public const string Name = "coredns";
    public const string ServiceName = "kube-dns";
    public const string ClusterRoleName = "system:coredns";
    public const int DefaultReplicas = 2;

    /// <summary>
    /// Every CoreDNS object, in kubeadm's creation order: ConfigMap, ClusterRole, ClusterRoleBinding, ServiceAccount,
    /// Deployment, Service. <paramref name="replicas"/>: 2 on init; an upgrade passes the running Deployment's count,
    /// as kubeadm keeps it (and kubeadm keeps a user-changed Corefile: the workflow should not replace an existing
    /// coredns ConfigMap on upgrade).
    /// </summary>
    public static IReadOnlyList<JsonObject> Render(ClusterObjectsRequest cluster, int replicas = DefaultReplicas)
    {
        var r = cluster.Resolve();
        if (replicas < 0)
            throw new KubeException("ClusterObjects.InvalidReplicas", $"CoreDNS replicas must not be negative ({replicas}).",
                KubeErrorCategory.InvalidArgument, replicas.ToString(System.Globalization.CultureInfo.InvariantCulture), "Use 2, kubeadm's default.");
        return
        [
            ConfigMap(Name, KubeSystem, [new("Corefile", Corefile(r.Release, cluster.DnsDomain))]),
            ClusterRoleObject(r.Release),
            ClusterRoleBinding(ClusterRoleName, ClusterRoleName, ServiceAccountSubject(Name, KubeSystem)),
            New(KubeResource.ServiceAccount, Name, KubeSystem),
            Deployment(r, replicas),
            Service(r),
        ];
    }

    /// <summary>The CoreDNS image: the version's tag; the extra coredns/ path only on kubeadm's default repository (1.21+).</summary>
    public static string Image(ClusterObjectsRequest cluster)
    {
        var r = cluster.Resolve();
        return KubeImages.List(r.Version, cluster.ImageRepository, dnsImageRepository: cluster.DnsImageRepository,
            dnsImageTag: cluster.DnsImageTag, includeEtcd: false).Single(i => i.Component == "coredns").Reference;
    }

    /// <summary>The DNS Service IP: the 10th address of the (first) service subnet, e.g. 10.96.0.10 for 10.96.0.0/12.</summary>
    public static string DnsServiceIP(ClusterObjectsRequest cluster) => cluster.Resolve().DnsServiceIP.ToString();

    /// <summary>kubeadm's Corefile for a version and DNS domain.</summary>
    public static string Corefile(KubeVersion version, string dnsDomain) =>
        Corefile(VersionCatalog.Get(version), ClusterObjectsRequest.CheckDnsDomain(dnsDomain));

    static string Corefile(ReleaseInfo release, string dnsDomain)
    {
        var sb = new StringBuilder();
        sb.Append(".:53 {\n");
        sb.Append("    errors\n");
        sb.Append("    health {\n");
        sb.Append("       lameduck 5s\n");
        sb.Append("    }\n");
        sb.Append("    ready\n");
        sb.Append("    kubernetes ").Append(dnsDomain).Append(" in-addr.arpa ip6.arpa {\n");
        sb.Append("       pods insecure\n");
        sb.Append("       fallthrough in-addr.arpa ip6.arpa\n");
        sb.Append("       ttl 30\n");
        sb.Append("    }\n");
        sb.Append("    prometheus :9153\n");
        if (release.Has("coredns.forward-max-concurrent"))
        {
            sb.Append("    forward . /etc/resolv.conf {\n");
            sb.Append("       max_concurrent 1000\n");
            sb.Append("    }\n");
        }
        else
            sb.Append("    forward . /etc/resolv.conf\n");
        if (release.Has("coredns.cache-disable-cluster-domain"))
        {
            sb.Append("    cache 30 {\n");
            sb.Append("       disable success ").Append(dnsDomain).Append('\n');
            sb.Append("       disable denial ").Append(dnsDomain).Append('\n');
            sb.Append("    }\n");
        }
        else
            sb.Append("    cache 30\n");
        sb.Append("    loop\n");
        sb.Append("    reload\n");
        sb.Append("    loadbalance\n");
        sb.Append("}\n");
        return sb.ToString();
    }

    static JsonObject ClusterRoleObject(ReleaseInfo release)
    {
        var rules = new List<JsonObject> { Rule(["list", "watch"], [""], ["endpoints", "services", "pods", "namespaces"]) };
        if (release.Has("coredns.nodes-get-rule")) rules.Add(Rule(["get"], [""], ["nodes"]));
        if (release.Has("coredns.endpointslices-rule")) rules.Add(Rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]));
        return ClusterRole(ClusterRoleName, rules.ToArray());
    }

    static JsonObject Deployment(ClusterObjectsRequest.Resolved r, int replicas)
    {
        var release = r.Release;
        var selector = Map(("k8s-app", "kube-dns"));

        var tolerations = new JsonArray { new JsonObject { ["key"] = "CriticalAddonsOnly", ["operator"] = "Exists" } };
        if (release.Has("coredns.toleration-master"))
            tolerations.Add(new JsonObject { ["key"] = "node-role.kubernetes.io/master", ["effect"] = "NoSchedule" });
        if (release.Has("coredns.toleration-control-plane"))
            tolerations.Add(new JsonObject { ["key"] = "node-role.kubernetes.io/control-plane", ["effect"] = "NoSchedule" });

        bool namedProbePorts = release.Has("coredns.named-probe-ports");
        var ports = new JsonArray
        {
            Port(53, "dns", "UDP"),
            Port(53, "dns-tcp", "TCP"),
            Port(9153, "metrics", "TCP"),
        };
        if (namedProbePorts)
        {
            ports.Add(Port(8080, "liveness-probe", "TCP"));
            ports.Add(Port(8181, "readiness-probe", "TCP"));
        }

        var container = new JsonObject
        {
            ["name"] = Name,
            ["image"] = Image(r.Request),
            ["imagePullPolicy"] = "IfNotPresent",
            ["resources"] = new JsonObject
            {
                ["limits"] = Map(("memory", "170Mi")),
                ["requests"] = Map(("cpu", "100m"), ("memory", "70Mi")),
            },
            ["args"] = Strings("-conf", "/etc/coredns/Corefile"),
            ["volumeMounts"] = new JsonArray { new JsonObject { ["name"] = "config-volume", ["mountPath"] = "/etc/coredns", ["readOnly"] = true } },
            ["ports"] = ports,
            ["livenessProbe"] = new JsonObject
            {
                ["httpGet"] = HttpGet("/health", namedProbePorts ? (JsonNode)"liveness-probe" : (JsonNode)8080),
                ["initialDelaySeconds"] = 60,
                ["timeoutSeconds"] = 5,
                ["successThreshold"] = 1,
                ["failureThreshold"] = 5,
            },
            ["readinessProbe"] = new JsonObject { ["httpGet"] = HttpGet("/ready", namedProbePorts ? (JsonNode)"readiness-probe" : (JsonNode)8181) },
            ["securityContext"] = new JsonObject
            {
                ["allowPrivilegeEscalation"] = false,
                ["capabilities"] = new JsonObject
                {
                    ["add"] = Strings("NET_BIND_SERVICE"),
                    ["drop"] = Strings(release.Has("coredns.drop-all-uppercase") ? "ALL" : "all"),
                },
                ["readOnlyRootFilesystem"] = true,
            },
        };

        var podSpec = new JsonObject
        {
            ["priorityClassName"] = "system-cluster-critical",
            ["serviceAccountName"] = Name,
        };
        if (release.Has("coredns.anti-affinity"))
            podSpec["affinity"] = new JsonObject
            {
                ["podAntiAffinity"] = new JsonObject
                {
                    ["preferredDuringSchedulingIgnoredDuringExecution"] = new JsonArray
                    {
                        new JsonObject
                        {
                            ["weight"] = 100,
                            ["podAffinityTerm"] = new JsonObject
                            {
                                ["labelSelector"] = new JsonObject
                                {
                                    ["matchExpressions"] = new JsonArray
                                    {
                                        new JsonObject { ["key"] = "k8s-app", ["operator"] = "In", ["values"] = Strings("kube-dns") },
                                    },
                                },
                                ["topologyKey"] = "kubernetes.io/hostname",
                            },
                        },
                    },
                },
            };
        podSpec["tolerations"] = tolerations;
        podSpec["nodeSelector"] = Map(("kubernetes.io/os", "linux"));
        podSpec["containers"] = new JsonArray { container };
        podSpec["dnsPolicy"] = "Default";
        podSpec["volumes"] = new JsonArray
        {
            new JsonObject
            {
                ["name"] = "config-volume",
                ["configMap"] = new JsonObject
                {
                    ["name"] = Name,
                    ["items"] = new JsonArray { new JsonObject { ["key"] = "Corefile", ["path"] = "Corefile" } },
                },
            },
        };

        var deployment = New(KubeResource.Deployment, Name, KubeSystem, labels: [new("k8s-app", "kube-dns")]);
        deployment["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["strategy"] = new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = 1 } },
            ["selector"] = new JsonObject { ["matchLabels"] = selector },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = Map(("k8s-app", "kube-dns")) },
                ["spec"] = podSpec,
            },
        };
        return deployment;
    }

    static JsonObject Service(ClusterObjectsRequest.Resolved r)
    {
        var svc = New(KubeResource.Service, ServiceName, KubeSystem,
            labels:
            [
                new("k8s-app", "kube-dns"),
                new("kubernetes.io/cluster-service", "true"),
                new("kubernetes.io/name", r.Release.Has("coredns.service-name-coredns") ? "CoreDNS" : "KubeDNS"),
            ],
            annotations: [new("prometheus.io/port", "9153"), new("prometheus.io/scrape", "true")]);
        svc["spec"] = new JsonObject
        {
            ["clusterIP"] = r.DnsServiceIP.ToString(),
            ["ports"] = new JsonArray
            {
                ServicePort("dns", 53, "UDP"),
                ServicePort("dns-tcp", 53, "TCP"),
                ServicePort("metrics", 9153, "TCP"),
            },
            ["selector"] = Map(("k8s-app", "kube-dns")),
        };
        return svc;
    }

    static JsonObject Port(int port, string name, string protocol) => new() { ["containerPort"] = port, ["name"] = name, ["protocol"] = protocol };

    static JsonObject ServicePort(string name, int port, string protocol) =>
        new() { ["name"] = name, ["port"] = port, ["protocol"] = protocol, ["targetPort"] = port };

    static JsonObject HttpGet(string path, JsonNode port) => new() { ["path"] = path, ["port"] = port, ["scheme"] = "HTTP" };
}
