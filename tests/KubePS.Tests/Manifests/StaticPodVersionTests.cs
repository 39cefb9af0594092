using System.Net;
using KubePS.Core.Manifests;
using KubePS.Core.Versioning;
using YamlDotNet.RepresentationModel;
using Xunit;

namespace KubePS.Tests.Manifests;

/// <summary>
/// Per-version facts of the static Pods (kubeadm-versions.md §1 and §4, kubeadm-facts.md §3 and §11), rendered for
/// versions there is no real tree of. Each assertion names the fact it checks.
/// </summary>
public sealed class StaticPodVersionTests
{
    static ControlPlaneManifestRequest Req(string version, Action<Builder>? change = null)
    {
        var b = new Builder { Version = version };
        change?.Invoke(b);
        return b.Build();
    }

    internal sealed class Builder
    {
        public string Version = "1.30.14";
        public string? ImageRepository;
        public string? EtcdRepository, EtcdTag;
        public ExtraArgsSemantics Semantics = ExtraArgsSemantics.Map;
        public KubeArg[] ApiArgs = [], KcmArgs = [], SchedArgs = [], EtcdArgs = [];
        public ExternalEtcdOptions? External;
        public string[] Dirs = [];
        public HostPathMount[] ApiVolumes = [];
        public KubeEnvVar[] ApiEnvs = [], Proxy = [];
        public EtcdMember[]? Join;
        public bool ExternalCA;
        public IPAddress Address = IPAddress.Parse("10.0.0.10");

        public ControlPlaneManifestRequest Build() => new()
        {
            KubernetesVersion = KubeVersion.Parse(Version),
            NodeName = "cp-1",
            AdvertiseAddress = Address,
            PodSubnet = "10.244.0.0/16",
            ImageRepository = ImageRepository,
            ExtraArgsSemantics = Semantics,
            ApiServer = new() { ExtraArgs = ApiArgs, ExtraVolumes = ApiVolumes, ExtraEnvs = ApiEnvs },
            ControllerManager = new() { ExtraArgs = KcmArgs },
            Scheduler = new() { ExtraArgs = SchedArgs },
            LocalEtcd = new() { ExtraArgs = EtcdArgs, ImageRepository = EtcdRepository, ImageTag = EtcdTag, JoinCluster = Join },
            ExternalEtcd = External,
            ExistingHostDirectories = Dirs,
            ExternalCA = ExternalCA,
            ProxyEnvironment = Proxy,
        };
    }

    static YamlNode Api(ControlPlaneManifestRequest r) => Yaml.Load(StaticPodManifests.KubeApiServer(r).Content);
    static YamlNode Kcm(ControlPlaneManifestRequest r) => Yaml.Load(StaticPodManifests.KubeControllerManager(r).Content);
    static YamlNode Sched(ControlPlaneManifestRequest r) => Yaml.Load(StaticPodManifests.KubeScheduler(r).Content);
    static YamlNode Etcd(ControlPlaneManifestRequest r) => Yaml.Load(StaticPodManifests.Etcd(r).Content);
    static IReadOnlyList<string> Cmd(YamlNode pod) => Yaml.Strings(pod, "spec.containers.0.command");
    static string? C(YamlNode pod, string path) => Yaml.Str(pod, "spec.containers.0." + path);

    [Fact]
    public void V1_22_drops_insecure_port_keeps_port_zero_adds_seccomp_and_has_no_priority_value()
    {
        var r = Req("1.22.4");
        var api = Api(r);
        Assert.DoesNotContain(Cmd(api), f => f.StartsWith("--insecure-port", StringComparison.Ordinal)); // §4: removed 1.22 (PR 102121)
        Assert.Contains("--service-account-issuer=https://kubernetes.default.svc.cluster.local", Cmd(api)); // §4: 1.20
        Assert.Contains("--port=0", Cmd(Kcm(r)));   // §4: --port=0 on KCM/scheduler 1.19-1.22
        Assert.Contains("--port=0", Cmd(Sched(r)));
        Assert.Equal("RuntimeDefault", Yaml.Str(api, "spec.securityContext.seccompProfile.type")); // §4: seccomp 1.22
        Assert.Equal("system-node-critical", Yaml.Str(api, "spec.priorityClassName"));             // §4: 1.19
        Assert.Null(Yaml.At(api, "spec.priority"));                                                // §4: explicit priority 1.27
        Assert.Equal("k8s.gcr.io/kube-apiserver:v1.22.4", C(api, "image"));                         // §1: k8s.gcr.io until .16
        var etcd = Etcd(r);
        Assert.Equal("k8s.gcr.io/etcd:3.5.0-0", C(etcd, "image"));                                   // §1: etcd 3.5.0-0
        Assert.DoesNotContain(Cmd(etcd), f => f.StartsWith("--experimental", StringComparison.Ordinal)); // §4: 1.24
        Assert.Equal("/health", C(etcd, "livenessProbe.httpGet.path"));                              // facts §3.2: serializable paths 1.25
        Assert.Equal("/health", C(etcd, "startupProbe.httpGet.path"));
        Assert.Equal("100Mi", C(etcd, "resources.requests.memory"));                                  // §4: etcd requests 1.20
    }

    [Fact]
    public void V1_22_17_uses_registry_k8s_io()
    {
        Assert.Equal("registry.k8s.io/kube-scheduler:v1.22.17", C(Sched(Req("1.22.17")), "image")); // §1: registry.k8s.io in .17
    }

    [Fact]
    public void V1_24_has_no_port_flag_and_only_the_initial_corrupt_check()
    {
        var r = Req("1.24.3");
        Assert.DoesNotContain(Cmd(Kcm(r)), f => f.StartsWith("--port", StringComparison.Ordinal)); // §4: removed 1.23
        Assert.DoesNotContain(Cmd(Sched(r)), f => f.StartsWith("--port", StringComparison.Ordinal));
        var etcd = Etcd(r);
        Assert.Contains("--experimental-initial-corrupt-check=true", Cmd(etcd)); // §4: 1.24
        Assert.DoesNotContain(Cmd(etcd), f => f.StartsWith("--experimental-watch-progress", StringComparison.Ordinal)); // §4: 1.25
        Assert.Equal("k8s.gcr.io/etcd:3.5.3-0", C(etcd, "image"));               // §1
        Assert.Equal("/health", C(etcd, "livenessProbe.httpGet.path"));
    }

    [Fact]
    public void V1_25_adds_watch_progress_and_serializable_etcd_probes_on_registry_k8s_io()
    {
        var etcd = Etcd(Req("1.25.0"));
        Assert.Contains("--experimental-watch-progress-notify-interval=5s", Cmd(etcd));       // §4: 1.25
        Assert.Contains("--experimental-initial-corrupt-check=true", Cmd(etcd));
        Assert.Equal("/health?exclude=NOSPACE&serializable=true", C(etcd, "livenessProbe.httpGet.path")); // facts §3.2
        Assert.Equal("/health?serializable=false", C(etcd, "startupProbe.httpGet.path"));
        Assert.Null(Yaml.At(etcd, "spec.containers.0.readinessProbe"));
        Assert.Equal("registry.k8s.io/etcd:3.5.4-0", C(etcd, "image"));                      // §1: registry from 1.25.0
    }

    [Fact]
    public void V1_29_has_explicit_priority_and_etcd_3_5_10()
    {
        var r = Req("1.29.0");
        var api = Api(r);
        Assert.Equal("2000001000", Yaml.Str(api, "spec.priority"));            // §4: 1.27 (PR 114338)
        Assert.Equal(YamlDotNet.Core.ScalarStyle.Plain, ((YamlScalarNode)Yaml.At(api, "spec.priority")!).Style); // an int, unquoted
        Assert.Equal("registry.k8s.io/etcd:3.5.10-0", C(Etcd(r), "image"));   // §1
        Assert.Equal("/healthz", C(Sched(r), "livenessProbe.httpGet.path"));   // scheduler /livez only from 1.32
        Assert.NotNull(Yaml.At(api, "metadata.creationTimestamp"));
    }

    [Fact]
    public void V1_31_uses_etcd_livez_readyz_and_the_pki_ca_trust_volumes()
    {
        var r = Req("1.31.0", b => b.Dirs = ["/etc/pki", "/etc/pki/ca-trust", "/etc/pki/tls/certs", "/etc/ca-certificates"]);
        var etcd = Etcd(r);
        Assert.Equal("/livez", C(etcd, "livenessProbe.httpGet.path"));   // PR 124465 (1.31)
        Assert.Equal("/readyz", C(etcd, "readinessProbe.httpGet.path"));
        Assert.Equal("/readyz", C(etcd, "startupProbe.httpGet.path"));
        Assert.Equal("1", C(etcd, "readinessProbe.periodSeconds"));
        Assert.Equal("3", C(etcd, "readinessProbe.failureThreshold"));
        var names = Yaml.At(Api(r), "spec.volumes") is YamlSequenceNode s
            ? s.Children.Select(v => Yaml.Str(v, "name")).ToList() : [];
        // facts §3.7: 1.31+ mounts /etc/pki/ca-trust and /etc/pki/tls/certs instead of /etc/pki.
        Assert.Equal(new[] { "ca-certs", "etc-ca-certificates", "etc-pki-ca-trust", "etc-pki-tls-certs", "k8s-certs" }, names);
        Assert.Equal("registry.k8s.io/etcd:3.5.15-0", C(etcd, "image"));
        Assert.Equal("/healthz", C(Sched(r), "livenessProbe.httpGet.path"));
    }

    [Fact]
    public void V1_37_uses_named_probe_ports_etcd_3_6_flags_scheduler_livez_and_no_creation_timestamp()
    {
        var r = Req("1.37.1");
        foreach (var (pod, port) in new[] { (Api(r), "6443"), (Kcm(r), "10257"), (Sched(r), "10259"), (Etcd(r), "2381") })
        {
            // PR 132776 (1.34): every probe uses the named port probe-port declared on the container.
            Assert.Equal("probe-port", C(pod, "ports.0.name"));
            Assert.Equal(port, C(pod, "ports.0.containerPort"));
            Assert.Equal("TCP", C(pod, "ports.0.protocol"));
            Assert.Equal("probe-port", C(pod, "livenessProbe.httpGet.port"));
            Assert.Equal("probe-port", C(pod, "startupProbe.httpGet.port"));
            Assert.Null(Yaml.At(pod, "metadata.creationTimestamp")); // PR 130989 (1.34): zero creationTimestamp omitted
        }
        var etcd = Etcd(r);
        Assert.Contains("--feature-gates=InitialCorruptCheck=true", Cmd(etcd)); // §4: 1.34 for etcd >= 3.6
        Assert.Contains("--watch-progress-notify-interval=5s", Cmd(etcd));
        Assert.DoesNotContain(Cmd(etcd), f => f.StartsWith("--experimental", StringComparison.Ordinal));
        Assert.Equal("registry.k8s.io/etcd:3.7.0-0", C(etcd, "image")); // §1
        var sched = Sched(r);
        Assert.Equal("/livez", C(sched, "livenessProbe.httpGet.path"));  // PR 126945 (1.32)
        Assert.Equal("/readyz", C(sched, "readinessProbe.httpGet.path"));
        Assert.Equal("registry.k8s.io/kube-apiserver:v1.37.1", C(Api(r), "image"));
    }

    [Fact]
    public void Kubeadm_1_34_keeps_the_experimental_etcd_flags_for_an_etcd_3_5_image_but_1_36_does_not()
    {
        var old34 = Etcd(Req("1.34.2", b => b.EtcdTag = "3.5.21-0"));
        Assert.Contains("--experimental-initial-corrupt-check=true", Cmd(old34)); // §4: 1.34 branch for etcd < 3.6
        Assert.Contains("--experimental-watch-progress-notify-interval=5s", Cmd(old34));
        Assert.Equal("registry.k8s.io/etcd:3.5.21-0", C(old34, "image"));
        var new34 = Etcd(Req("1.34.2"));
        Assert.Contains("--feature-gates=InitialCorruptCheck=true", Cmd(new34));
        var old36 = Etcd(Req("1.36.1", b => b.EtcdTag = "3.5.21-0"));
        Assert.Contains("--feature-gates=InitialCorruptCheck=true", Cmd(old36)); // §4: 1.36 removed the < 3.6 branch
    }

    [Fact]
    public void Join_manifest_lists_every_member_and_an_existing_cluster()
    {
        var r = Req("1.30.14", b => b.Join = [new("cp-0", "https://10.0.0.9:2380"), new("cp-1", "https://10.0.0.10:2380")]);
        var cmd = Cmd(Etcd(r));
        Assert.Contains("--initial-cluster=cp-0=https://10.0.0.9:2380,cp-1=https://10.0.0.10:2380", cmd); // facts §3.6
        Assert.Contains("--initial-cluster-state=existing", cmd);
    }

    [Fact]
    public void IPv6_advertise_address_uses_brackets_and_the_IPv6_loopback()
    {
        var r = Req("1.30.14", b => b.Address = IPAddress.Parse("fd00::10"));
        var etcd = Etcd(r);
        var cmd = Cmd(etcd);
        Assert.Contains("--listen-client-urls=https://[::1]:2379,https://[fd00::10]:2379", cmd); // facts §3.6
        Assert.Contains("--listen-metrics-urls=http://[::1]:2381", cmd);
        Assert.Equal("::1", C(etcd, "livenessProbe.httpGet.host"));
        var api = Api(r);
        Assert.Contains("--etcd-servers=https://[::1]:2379", Cmd(api));                            // facts §3.3
        var annotations = (YamlMappingNode)Yaml.At(api, "metadata.annotations")!;
        Assert.Equal("[fd00::10]:6443", ((YamlScalarNode)annotations.Children[new YamlScalarNode("kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint")]).Value);
        Assert.Equal("fd00::10", C(api, "livenessProbe.httpGet.host"));
    }

    [Fact]
    public void External_CA_leaves_the_signing_flags_empty()
    {
        var cmd = Cmd(Kcm(Req("1.30.14", b => b.ExternalCA = true)));
        Assert.Contains("--cluster-signing-cert-file=", cmd); // facts §3.4
        Assert.Contains("--cluster-signing-key-file=", cmd);
    }

    [Fact]
    public void Bind_address_override_moves_or_removes_the_probe_host()
    {
        Assert.Equal("10.0.0.10", C(Kcm(Req("1.30.14", b => b.KcmArgs = [new("bind-address", "10.0.0.10")])), "livenessProbe.httpGet.host"));
        Assert.Null(Yaml.At(Sched(Req("1.30.14", b => b.SchedArgs = [new("bind-address", "0.0.0.0")])), "spec.containers.0.livenessProbe.httpGet.host"));
    }

    [Fact]
    public void Proxy_variables_and_extra_envs_merge_by_name_sorted_with_extra_envs_winning()
    {
        var api = Api(Req("1.31.0", b =>
        {
            b.Proxy = [new("NO_PROXY", "10.0.0.0/8"), new("HTTPS_PROXY", "http://proxy:3128")];
            b.ApiEnvs = [new("NO_PROXY", "localhost"), new("GOMAXPROCS", "2")];
        }));
        Assert.Equal("GOMAXPROCS", C(api, "env.0.name"));
        Assert.Equal("HTTPS_PROXY", C(api, "env.1.name"));
        Assert.Equal("NO_PROXY", C(api, "env.2.name"));
        Assert.Equal("localhost", C(api, "env.2.value"));
    }
}
