using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core.Workflows;
using Xunit;
using static KubePS.Tests.Init.InitTestSupport;

namespace KubePS.Tests.Init;

/// <summary>
/// One dry run per configuration (the example 1.30 HA configuration, 1.18, 1.24 and the v1beta4 example on 1.31), each
/// done twice into the same folder: the judges are kubeadm's facts and real tools (openssl, kubectl, PyYAML, bash).
/// </summary>
public sealed class DryRunFixture : IAsyncLifetime
{
    public sealed record Run(string Key, string Dir, KubeControlPlane First, KubeControlPlane Second,
        IReadOnlyDictionary<string, string> AfterFirst, IReadOnlyDictionary<string, string> AfterSecond, CapturingSink Sink)
    {
        public string Node(string path) => Path.Combine(Dir, First.Node, path.TrimStart('/'));
        public string Cluster(string file) => Path.Combine(Dir, "cluster", file);
    }

    readonly Dictionary<string, Run> _runs = [];
    public Run this[string key] => _runs[key];

    public async Task InitializeAsync()
    {
        foreach (var (key, yaml) in new[] { ("1.30", Example), ("1.18", V118), ("1.24", V124), ("1.31", V131) })
        {
            var dir = TempDir();
            var sink = new CapturingSink();
            var first = await DryRunAsync(yaml, dir, sink);
            var afterFirst = Snapshot(dir);
            var second = await DryRunAsync(yaml, dir);
            _runs[key] = new Run(key, dir, first, second, afterFirst, Snapshot(dir), sink);
        }
    }

    public Task DisposeAsync()
    {
        foreach (var r in _runs.Values) Delete(r.Dir);
        return Task.CompletedTask;
    }
}

public sealed class DryRunTreeTests(DryRunFixture runs) : IClassFixture<DryRunFixture>
{
    public static TheoryData<string> Versions => new() { "1.30", "1.18", "1.24", "1.31" };

    static readonly string[] CertBases =
    [
        "ca", "apiserver", "apiserver-kubelet-client", "front-proxy-ca", "front-proxy-client",
        "etcd/ca", "etcd/server", "etcd/peer", "etcd/healthcheck-client", "apiserver-etcd-client",
    ];

    [Theory, MemberData(nameof(Versions))]
    public void Every_file_kubeadm_writes_is_at_its_path_with_kubeadms_mode(string version)
    {
        var run = runs[version];
        var expected = new Dictionary<string, string>();
        foreach (var b in CertBases) { expected[$"/etc/kubernetes/pki/{b}.crt"] = "644"; expected[$"/etc/kubernetes/pki/{b}.key"] = "600"; }
        expected["/etc/kubernetes/pki/sa.key"] = "600";
        expected["/etc/kubernetes/pki/sa.pub"] = "600";
        foreach (var conf in new[] { "admin", "kubelet", "controller-manager", "scheduler" }) expected[$"/etc/kubernetes/{conf}.conf"] = "600";
        if (version is "1.30" or "1.31") expected["/etc/kubernetes/super-admin.conf"] = "600";   // 1.29+
        foreach (var m in new[] { "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler" }) expected[$"/etc/kubernetes/manifests/{m}.yaml"] = "600";
        expected["/var/lib/kubelet/config.yaml"] = "644";
        expected["/var/lib/kubelet/kubeadm-flags.env"] = "644";
        // No package in a dry run: KubePS writes kubeadm's drop-in and a unit.
        expected["/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"] = "644";
        expected["/etc/systemd/system/kubelet.service"] = "644";

        foreach (var (path, mode) in expected)
        {
            Assert.True(File.Exists(run.Node(path)), $"{version}: {path} is missing");
            Assert.Equal(mode, Mode(run.Node(path)));
        }
        var nodeRoot = Path.Combine(run.Dir, run.First.Node);
        var written = Directory.GetFiles(nodeRoot, "*", SearchOption.AllDirectories)
            .Select(f => "/" + Path.GetRelativePath(nodeRoot, f)).Where(p => p is not "/commands.sh" and not "/files.txt").Order().ToList();
        Assert.Equal(expected.Keys.Order().ToList(), written);
        Assert.False(File.Exists(run.Node("/etc/kubernetes/super-admin.conf")) && version is "1.18" or "1.24");
        // kubeadm makes /etc/kubernetes/manifests and /var/lib/kubelet 0700 (facts §1.5).
        Assert.Equal("700", Mode(run.Node("/etc/kubernetes/manifests")));
        Assert.Equal("700", Mode(run.Node("/var/lib/kubelet")));
        Assert.Equal("755", Mode(run.Node("/etc/kubernetes/pki")));
    }

    [Theory, MemberData(nameof(Versions))]
    public void Certificates_verify_with_openssl_against_their_CAs_and_match_their_keys(string version)
    {
        var run = runs[version];
        string Pki(string f) => run.Node("/etc/kubernetes/pki/" + f);
        foreach (var (ca, leaves) in new[]
                 {
                     ("ca.crt", new[] { "apiserver.crt", "apiserver-kubelet-client.crt" }),
                     ("front-proxy-ca.crt", new[] { "front-proxy-client.crt" }),
                     ("etcd/ca.crt", new[] { "etcd/server.crt", "etcd/peer.crt", "etcd/healthcheck-client.crt", "apiserver-etcd-client.crt" }),
                 })
        {
            var r = OpenSsl(["verify", "-CAfile", Pki(ca), .. leaves.Select(Pki)]);
            Assert.True(r.ExitCode == 0, $"{version}: openssl verify {ca}: {r.Output}{r.Error}");
            Assert.Equal(leaves.Length, r.Output.Split('\n').Count(l => l.EndsWith(": OK")));
        }
        foreach (var b in CertBases)
            Assert.Equal(OpenSsl("x509", "-in", Pki(b + ".crt"), "-noout", "-pubkey").Output, OpenSsl("pkey", "-in", Pki(b + ".key"), "-pubout").Output);
        Assert.Equal(File.ReadAllText(Pki("sa.pub")), OpenSsl("pkey", "-in", Pki("sa.key"), "-pubout").Output);
        // The v1beta4 example asks for ECDSA-P256 keys (encryptionAlgorithm), the 1.24 one with the PublicKeysECDSA gate.
        var keyText = OpenSsl("pkey", "-in", Pki("apiserver.key"), "-noout", "-text").Output;
        Assert.Contains(version is "1.31" or "1.24" ? "ASN1 OID: prime256v1" : "Private-Key: (2048 bit", keyText);
    }

    [Fact]
    public void Apiserver_certificate_of_the_example_carries_the_endpoint_certSANs_and_first_service_IP()
    {
        var text = OpenSsl("x509", "-in", runs["1.30"].Node("/etc/kubernetes/pki/apiserver.crt"), "-noout", "-ext", "subjectAltName").Output;
        foreach (var san in new[] { "DNS:k8s-api.example.internal", "DNS:cp1", "DNS:kubernetes.default.svc.cluster.local", "IP Address:10.96.0.1", "IP Address:10.0.0.11", "IP Address:10.0.0.100" })
            Assert.Contains(san, text);
    }

    [Theory, MemberData(nameof(Versions))]
    public void Kubeconfigs_are_read_by_kubectl_with_kubeadms_users_and_servers(string version)
    {
        var run = runs[version];
        var (adv, endpoint) = version switch
        {
            "1.18" => ("192.168.10.11", "https://192.168.10.11:6443"),
            "1.24" => ("10.1.0.5", "https://10.1.0.5:6443"),
            _ => ("10.0.0.11", "https://k8s-api.example.internal:6443"),
        };
        var node = run.First.Node;
        foreach (var (file, user, server) in new[]
                 {
                     ("admin", "kubernetes-admin", endpoint),
                     ("kubelet", $"system:node:{node}", endpoint),
                     ("controller-manager", "system:kube-controller-manager", $"https://{adv}:6443"),
                     ("scheduler", "system:kube-scheduler", $"https://{adv}:6443"),
                 })
        {
            var path = run.Node($"/etc/kubernetes/{file}.conf");
            var r = Kubectl("config", "view", "--raw", "--kubeconfig", path, "-o", "json");
            Assert.True(r.ExitCode == 0, $"{version} {file}: {r.Error}");
            var json = JsonNode.Parse(r.Output)!;
            Assert.Equal($"{user}@kubernetes", (string?)json["current-context"]);
            Assert.Equal(server, (string?)json["clusters"]![0]!["cluster"]!["server"]);
            Assert.Equal(user, (string?)json["users"]![0]!["name"]);
            // The client certificate is signed by the cluster CA.
            var cert = Path.Combine(run.Dir, $"client-{version}-{file}.crt");
            File.WriteAllBytes(cert, Convert.FromBase64String((string)json["users"]![0]!["user"]!["client-certificate-data"]!));
            var verify = OpenSsl("verify", "-CAfile", run.Node("/etc/kubernetes/pki/ca.crt"), cert);
            File.Delete(cert);
            Assert.True(verify.ExitCode == 0, verify.Output + verify.Error);
        }
    }

    [Theory, MemberData(nameof(Versions))]
    public void Manifests_parse_and_hold_kubeadms_images_flags_and_volumes(string version)
    {
        var run = runs[version];
        JsonNode Pod(string component) => PyYaml(run.Node($"/etc/kubernetes/manifests/{component}.yaml"));
        List<string> Command(JsonNode pod) => pod["spec"]!["containers"]![0]!["command"]!.AsArray().Select(x => (string)x!).ToList();
        string Image(JsonNode pod) => (string)pod["spec"]!["containers"]![0]!["image"]!;

        var api = Pod("kube-apiserver");
        var etcd = Pod("etcd");
        var kcm = Pod("kube-controller-manager");
        var scheduler = Pod("kube-scheduler");
        foreach (var pod in new[] { api, etcd, kcm, scheduler })
        {
            Assert.Equal("kube-system", (string?)pod["metadata"]!["namespace"]);
            Assert.Equal("control-plane", (string?)pod["metadata"]!["labels"]!["tier"]);
            Assert.True((bool)pod["spec"]!["hostNetwork"]!);
        }
        switch (version)
        {
            case "1.30":
                Assert.Equal("registry.aliyuncs.com/google_containers/kube-apiserver:v1.30.14", Image(api));
                Assert.Equal("registry.aliyuncs.com/google_containers/etcd:3.5.15-0", Image(etcd));
                Assert.Contains("--advertise-address=10.0.0.11", Command(api));
                Assert.Contains("--audit-log-path=/var/log/kubernetes/audit.log", Command(api));
                Assert.Contains("--service-account-issuer=https://kubernetes.default.svc.cluster.local", Command(api));
                Assert.Contains("--etcd-servers=https://127.0.0.1:2379", Command(api));
                Assert.Contains(api["spec"]!["volumes"]!.AsArray(), v => (string?)v!["name"] == "audit-log" && (string?)v["hostPath"]!["path"] == "/var/log/kubernetes");
                Assert.Equal("10.0.0.11:6443", (string?)api["metadata"]!["annotations"]!["kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"]);
                Assert.Contains("--listen-metrics-urls=http://0.0.0.0:2381", Command(etcd));
                Assert.Contains("--initial-cluster=cp1=https://10.0.0.11:2380", Command(etcd));
                Assert.Contains("--quota-backend-bytes=8589934592", Command(etcd));
                Assert.Contains("--bind-address=0.0.0.0", Command(kcm));
                Assert.Contains("--cluster-cidr=10.244.0.0/16", Command(kcm));
                Assert.Contains("--allocate-node-cidrs=true", Command(kcm));
                Assert.Contains("--bind-address=0.0.0.0", Command(scheduler));
                Assert.Equal("system-node-critical", (string?)api["spec"]!["priorityClassName"]);
                break;
            case "1.18":
                Assert.Equal("k8s.gcr.io/kube-apiserver:v1.18.5", Image(api));
                Assert.Equal("k8s.gcr.io/etcd:3.4.3-0", Image(etcd));
                Assert.Contains("--insecure-port=0", Command(api));
                Assert.DoesNotContain(Command(api), f => f.StartsWith("--service-account-issuer="));
                Assert.Equal("system-cluster-critical", (string?)api["spec"]!["priorityClassName"]);
                Assert.Null(api["spec"]!["containers"]![0]!["startupProbe"]);
                break;
            case "1.24":
                Assert.EndsWith("/kube-apiserver:v1.24.17", Image(api));
                Assert.Contains("--service-cluster-ip-range=10.112.0.0/16", Command(api));
                Assert.Contains("--service-account-issuer=https://kubernetes.default.svc.k8s.internal", Command(api));
                Assert.DoesNotContain(Command(kcm), f => f.StartsWith("--cluster-cidr="));
                break;
            case "1.31":
                Assert.Equal("registry.aliyuncs.com/google_containers/kube-apiserver:v1.31.14", Image(api));
                Assert.Contains(api["spec"]!["containers"]![0]!["env"]!.AsArray(), e => (string?)e!["name"] == "HTTPS_PROXY");
                Assert.Contains("--auto-compaction-retention=8", Command(etcd));
                break;
        }
        // Flags are sorted by name in every version (facts §3.1).
        foreach (var pod in new[] { api, kcm, scheduler })
        {
            var flags = Command(pod).Skip(1).Select(f => f.Split('=')[0]).ToList();
            Assert.Equal(flags.Order(StringComparer.Ordinal).ToList(), flags);
        }
    }

    [Theory, MemberData(nameof(Versions))]
    public void Kubelet_files_hold_the_cluster_DNS_the_CRI_socket_and_the_users_settings(string version)
    {
        var run = runs[version];
        var config = PyYaml(run.Node("/var/lib/kubelet/config.yaml"));
        Assert.Equal("KubeletConfiguration", (string?)config["kind"]);
        Assert.Equal(version == "1.24" ? "10.112.0.10" : "10.96.0.10", (string?)config["clusterDNS"]![0]);
        Assert.Equal(version == "1.24" ? "k8s.internal" : "cluster.local", (string?)config["clusterDomain"]);
        Assert.Equal("/etc/kubernetes/manifests", (string?)config["staticPodPath"]);
        Assert.True((bool)config["rotateCertificates"]!);
        if (version == "1.30") Assert.Equal(110, (int)config["maxPods"]!);
        var flags = File.ReadAllText(run.Node("/var/lib/kubelet/kubeadm-flags.env"));
        Assert.StartsWith("KUBELET_KUBEADM_ARGS=\"", flags);
        if (version == "1.24") Assert.Contains("--container-runtime-endpoint=unix:///var/run/crio/crio.sock", flags);
        if (version == "1.30") Assert.Contains("--node-ip=10.0.0.11", flags);
    }

    [Theory, MemberData(nameof(Versions))]
    public void Commands_parse_with_bash_and_start_the_kubelet_once_the_files_are_there(string version)
    {
        var commands = runs[version].Node("/commands.sh");
        var r = Infrastructure.Tool.Run("bash", ["-n", commands]);
        Assert.True(r.ExitCode == 0, r.Error);
        var text = File.ReadAllText(commands);
        Assert.Contains("install -d -m 0700 '/var/lib/etcd'", text);
        Assert.Contains("systemctl restart kubelet", text);
        Assert.True(text.IndexOf("phase: etcd/local", StringComparison.Ordinal) < text.IndexOf("phase: kubelet-start", StringComparison.Ordinal));
    }

    [Theory, MemberData(nameof(Versions))]
    public void Every_cluster_object_parses_with_PyYAML_and_kubectl(string version)
    {
        var run = runs[version];
        var dir = Path.Combine(run.Dir, "cluster");
        var objects = PyYamlFolder(dir);
        Assert.True(objects.Count >= 25, $"only {objects.Count} objects");
        foreach (var (file, obj) in objects)
        {
            Assert.False(string.IsNullOrEmpty((string?)obj["kind"]), file);
            Assert.False(string.IsNullOrEmpty((string?)obj["metadata"]?["name"]), file);
            Assert.Equal("600", Mode(Path.Combine(dir, file)));
        }
        // kubectl decodes every file of the folder (a merge patch applied locally, as the API server would).
        var r = Kubectl("patch", "--local", "-f", dir, "--type", "merge", "-p", "{\"metadata\":{\"labels\":{\"kubeps-test\":\"judge\"}}}", "-o", "name");
        Assert.True(r.ExitCode == 0, $"kubectl cannot read {dir}: {r.Error}");
        Assert.Equal(objects.Count, r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory, MemberData(nameof(Versions))]
    public void Cluster_objects_are_kubeadms_for_the_version(string version)
    {
        var run = runs[version];
        var objects = PyYamlFolder(Path.Combine(run.Dir, "cluster"));
        JsonNode PyYaml(string path) => objects[Path.GetFileName(path)];
        var kubeadmConfig = PyYaml(run.Cluster("configmap-kube-system-kubeadm-config.yaml"));
        var clusterConfiguration = PyYamlText((string)kubeadmConfig["data"]!["ClusterConfiguration"]!);
        Assert.Equal("ClusterConfiguration", (string?)clusterConfiguration["kind"]);
        Assert.Equal(version switch { "1.18" => "kubeadm.k8s.io/v1beta2", "1.31" => "kubeadm.k8s.io/v1beta4", _ => "kubeadm.k8s.io/v1beta3" },
            (string?)clusterConfiguration["apiVersion"]);
        Assert.Equal(run.First.KubernetesVersion.ToString(), (string?)clusterConfiguration["kubernetesVersion"]);
        // 1.18–1.21 keep every control plane's endpoint in ClusterStatus.
        Assert.Equal(version == "1.18", kubeadmConfig["data"]!["ClusterStatus"] is not null);

        var kubeletConfig = PyYaml(run.Cluster(version == "1.18" ? "configmap-kube-system-kubelet-config-1.18.yaml" : "configmap-kube-system-kubelet-config.yaml"));
        Assert.Equal("KubeletConfiguration", (string?)PyYamlText((string)kubeletConfig["data"]!["kubelet"]!)["kind"]);

        var node = PyYaml(run.Cluster($"node-{run.First.Node}.yaml"));
        var labels = node["metadata"]!["labels"]!.AsObject().Select(l => l.Key).Order().ToList();
        var taints = node["spec"]!["taints"]!.AsArray().Select(t => $"{t!["key"]}:{t["effect"]}").Order().ToList();
        switch (version)
        {
            case "1.18":
                Assert.Equal(["node-role.kubernetes.io/master"], labels);
                Assert.Equal(["node-role.kubernetes.io/master:NoSchedule"], taints);
                break;
            case "1.24":
                Assert.Equal(["node-role.kubernetes.io/control-plane", "node.kubernetes.io/exclude-from-external-load-balancers"], labels);
                Assert.Equal(["node-role.kubernetes.io/control-plane:NoSchedule", "node-role.kubernetes.io/master:NoSchedule"], taints);
                Assert.Equal("unix:///var/run/crio/crio.sock", (string?)node["metadata"]!["annotations"]!["kubeadm.alpha.kubernetes.io/cri-socket"]);
                break;
            default:
                Assert.Equal(["node-role.kubernetes.io/control-plane", "node.kubernetes.io/exclude-from-external-load-balancers"], labels);
                Assert.Equal(["node-role.kubernetes.io/control-plane:NoSchedule"], taints);
                break;
        }

        // The bootstrap token: the configuration's (abcdef) or kubeadm's default one, generated.
        var token = run.First.BootstrapToken!;
        var secret = PyYaml(run.Cluster($"secret-kube-system-bootstrap-token-{token.Id}.yaml"));
        Assert.Equal("bootstrap.kubernetes.io/token", (string?)secret["type"]);
        string Data(string k) => Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]![k]!));
        Assert.Equal(token.Id, Data("token-id"));
        Assert.Equal(token.Reveal().Split('.')[1], Data("token-secret"));
        Assert.Equal("system:bootstrappers:kubeadm:default-node-token", Data("auth-extra-groups"));
        Assert.Equal(version is "1.30" or "1.31" ? "first join token" : "The default bootstrap token generated by 'kubeadm init'.", Data("description"));
        var expires = DateTimeOffset.Parse(Data("expiration"));
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(23), TimeSpan.FromHours(24));

        // cluster-info: the control-plane endpoint and the CA, for token discovery.
        var clusterInfo = PyYaml(run.Cluster("configmap-kube-public-cluster-info.yaml"));
        var kubeconfig = PyYamlText((string)clusterInfo["data"]!["kubeconfig"]!);
        Assert.Equal(run.First.Endpoint, (string?)kubeconfig["clusters"]![0]!["cluster"]!["server"]);
        Assert.Equal(File.ReadAllText(run.Node("/etc/kubernetes/pki/ca.crt")),
            Encoding.UTF8.GetString(Convert.FromBase64String((string)kubeconfig["clusters"]![0]!["cluster"]!["certificate-authority-data"]!)));

        // CoreDNS on the tenth address of the service subnet; kube-proxy with the user's mode.
        var dns = PyYaml(run.Cluster("service-kube-system-kube-dns.yaml"));
        Assert.Equal(version == "1.24" ? "10.112.0.10" : "10.96.0.10", (string?)dns["spec"]!["clusterIP"]);
        var coredns = PyYaml(run.Cluster("deployment-kube-system-coredns.yaml"));
        if (version == "1.30")
            Assert.StartsWith("registry.aliyuncs.com/google_containers/coredns:", (string)coredns["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!);
        var proxy = PyYamlText((string)PyYaml(run.Cluster("configmap-kube-system-kube-proxy.yaml"))["data"]!["config.conf"]!);
        Assert.Equal(version is "1.30" or "1.31" ? "ipvs" : null, (string?)proxy["mode"]);

        // kubeadm:cluster-admins exists from 1.29 (admin.conf's group).
        Assert.Equal(version is "1.30" or "1.31", File.Exists(run.Cluster("clusterrolebinding-kubeadm_cluster-admins.yaml")));
    }

    [Theory, MemberData(nameof(Versions))]
    public void A_second_dry_run_into_the_same_folder_changes_nothing(string version)
    {
        var run = runs[version];
        Assert.True(run.First.ChangeCount > 40, $"{version}: the first run made only {run.First.ChangeCount} changes");
        Assert.Empty(run.Second.Changes);
        Assert.Equal(run.AfterFirst, run.AfterSecond);
        Assert.Equal(run.First.CACertHash, run.Second.CACertHash);
        Assert.Equal(run.First.BootstrapToken!.Reveal(), run.Second.BootstrapToken!.Reveal());
    }

    [Fact]
    public void The_result_names_the_cluster_and_hides_the_token()
    {
        var cp = runs["1.30"].First;
        Assert.Equal("https://k8s-api.example.internal:6443", cp.Endpoint);
        Assert.Equal("k8s-api.example.internal:6443", cp.ApiServerEndpoint);
        Assert.Equal("cp1", cp.Node);
        Assert.True(cp.DryRun);
        Assert.Equal("abcdef.<redacted>", cp.BootstrapToken!.ToString());
        // The hash is the SHA-256 of the CA's public key, as openssl computes it (kubeadm's discovery-token-ca-cert-hash).
        var pub = Infrastructure.Tool.Bash($"openssl x509 -in {runs["1.30"].Node("/etc/kubernetes/pki/ca.crt")} -noout -pubkey | openssl pkey -pubin -outform der | sha256sum");
        Assert.Equal("sha256:" + pub.Output.Split(' ')[0], cp.CACertHash);
        Assert.Equal("kubernetes-admin@kubernetes", cp.AdminKubeConfig!.CurrentContext);
        Assert.All(cp.Phases, p => Assert.NotEqual(PhaseStatus.Failed, p.Status));
    }

    [Fact]
    public void No_stream_of_an_RSA_dry_run_holds_a_private_key_line()
    {
        var run = runs["1.30"];
        var text = run.Sink.AllText();
        Assert.Contains("kubeadm-config", text);
        var keys = Directory.GetFiles(Path.Combine(run.Dir, run.First.Node), "*.key", SearchOption.AllDirectories);
        Assert.Equal(11, keys.Length);
        foreach (var key in keys)
            foreach (var line in File.ReadAllLines(key).Where(l => l.Length >= 40 && !l.StartsWith("-----")))
                Assert.DoesNotContain(line, text);
        Assert.DoesNotContain("0123456789abcdef", text);
    }
}
