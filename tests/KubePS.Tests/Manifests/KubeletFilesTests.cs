using System.Diagnostics;
using System.Net;
using System.Text;
using KubePS.Core;
using KubePS.Core.Manifests;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.Manifests;

/// <summary>kubeadm-flags.env, config.yaml, instance-config.yaml (facts §4.1, §4.2; versions §3, §4), the component-config
/// hash (§5.1) and the systemd units (§4.3).</summary>
public sealed class KubeletFilesTests
{
    static KubeletRequest Req(string version, string? socket = null, Action<KubeletRequestBuilder>? change = null)
    {
        var b = new KubeletRequestBuilder { Version = version, Socket = socket };
        change?.Invoke(b);
        return b.Build();
    }

    sealed class KubeletRequestBuilder
    {
        public string Version = "1.30.14";
        public string? Socket, HostName, DockerDriver, UserConfig, ImageRepository;
        public KubeArg[] Extra = [];
        public string[] Taints = [];
        public bool RegisterTaints, Resolved;
        public IPAddress? NodeIP;
        public ExtraArgsSemantics Semantics = ExtraArgsSemantics.Map;
        public IReadOnlyDictionary<string, object?>? Values;

        public KubeletRequest Build() => new()
        {
            KubernetesVersion = KubeVersion.Parse(Version), NodeName = "node-1", HostName = HostName, CriSocket = Socket,
            KubeletExtraArgs = Extra, Taints = Taints, RegisterTaintsWithFlags = RegisterTaints, SystemdResolvedActive = Resolved,
            NodeIP = NodeIP, DockerCgroupDriver = DockerDriver, KubeletConfiguration = UserConfig, ExtraArgsSemantics = Semantics,
            KubeletConfigurationValues = Values, ImageRepository = ImageRepository,
        };
    }

    static string Env(KubeletRequest r) => Encoding.UTF8.GetString(KubeletFiles.FlagsEnv(r).Content);

    [Theory]
    // versions §3/§4 and facts §4.2; the 1.21, 1.24 and 1.25 lines were also seen in published kubeadm-flags.env files.
    [InlineData("1.18.2", null, "--cgroup-driver=systemd --network-plugin=cni --pod-infra-container-image=k8s.gcr.io/pause:3.2")]
    [InlineData("1.18.2", "/run/containerd/containerd.sock", "--container-runtime=remote --container-runtime-endpoint=/run/containerd/containerd.sock")]
    [InlineData("1.21.1", "unix:///run/containerd/containerd.sock", "--container-runtime=remote --container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image=k8s.gcr.io/pause:3.4.1")]
    [InlineData("1.22.4", "unix:///run/containerd/containerd.sock", "--container-runtime=remote --container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image=k8s.gcr.io/pause:3.5")]
    [InlineData("1.23.5", null, "--network-plugin=cni --pod-infra-container-image=k8s.gcr.io/pause:3.6")]
    [InlineData("1.25.16", null, "--container-runtime=remote --container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.8")]
    [InlineData("1.29.3", null, "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9")]
    [InlineData("1.31.2", null, "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10")]
    [InlineData("1.32.0", null, "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10")]
    [InlineData("1.34.1", null, "--pod-infra-container-image=registry.k8s.io/pause:3.10.1")]
    [InlineData("1.35.0", null, "")]
    [InlineData("1.37.1", null, "")]
    public void Flags_file_has_the_per_version_kubelet_flags(string version, string? socket, string flags)
    {
        Assert.Equal($"KUBELET_KUBEADM_ARGS=\"{flags}\"\n", Env(Req(version, socket, b => b.DockerDriver = "systemd")));
    }

    [Fact]
    public void Hostname_override_taints_node_ip_and_extra_args_merge_sorted_with_extra_args_winning()
    {
        var r = Req("1.30.14", change: b =>
        {
            b.HostName = "ip-10-0-0-5";
            b.Taints = ["dedicated=gpu:NoSchedule", "spot:PreferNoSchedule"];
            b.RegisterTaints = true;
            b.NodeIP = IPAddress.Parse("10.0.0.5");
            b.Extra = [new("pod-infra-container-image", "mirror/pause:3.9"), new("max-pods", "200")];
        });
        Assert.Equal(
            "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --hostname-override=node-1 " +
            "--max-pods=200 --node-ip=10.0.0.5 --pod-infra-container-image=mirror/pause:3.9 " +
            "--register-with-taints=dedicated=gpu:NoSchedule,spot:PreferNoSchedule\"\n", Env(r));
        // Taints go to the flag only on a worker join (facts §4.2); a control plane's are applied by mark-control-plane.
        Assert.DoesNotContain("register-with-taints", Env(Req("1.30.14", change: b => b.Taints = ["a:NoSchedule"])));
        Assert.DoesNotContain("hostname-override", Env(Req("1.30.14", change: b => b.HostName = "node-1")));
    }

    [Fact]
    public void Mirror_repository_reaches_the_pause_image_flag()
    {
        Assert.Contains("--pod-infra-container-image=registry.aliyuncs.com/google_containers/pause:3.9",
            Env(Req("1.30.14", change: b => b.ImageRepository = "registry.aliyuncs.com/google_containers")));
    }

    [Fact]
    public void Flag_values_are_go_quoted()
    {
        var r = Req("1.30.14", change: b => b.Extra = [new("node-labels", "a=\"b\\c\"")]);
        Assert.Contains("--node-labels=a=\\\"b\\\\c\\\"", Env(r));
    }

    [Fact]
    public void Instance_config_exists_from_1_34_and_its_socket_is_patched_into_config_yaml_but_not_the_cluster_document()
    {
        Assert.Null(KubeletFiles.InstanceConfig(Req("1.33.1")));
        var r = Req("1.34.1", "unix:///run/crio/crio.sock");
        var instance = KubeletFiles.InstanceConfig(r)!;
        Assert.Equal("/var/lib/kubelet/instance-config.yaml", instance.Path);
        Assert.Equal("containerRuntimeEndpoint: \"unix:///run/crio/crio.sock\"\n", Encoding.UTF8.GetString(instance.Content));
        var config = KubeletFiles.Config(r);
        Assert.Equal("unix:///run/crio/crio.sock", Yaml.Str(Yaml.Load(config.File.Content), "containerRuntimeEndpoint"));
        Assert.Equal("", Yaml.Str(Yaml.Load(config.ClusterDocument), "containerRuntimeEndpoint"));
        var files = KubeletFiles.KubeletStart(r).Select(f => (f.Path, f.ModeText)).ToList();
        Assert.Equal(new[]
        {
            ("/var/lib/kubelet/kubeadm-flags.env", "0644"), ("/var/lib/kubelet/instance-config.yaml", "0644"), ("/var/lib/kubelet/config.yaml", "0644"),
        }, files);
    }

    [Fact]
    public void User_kubelet_configuration_is_merged_durations_normalized_and_differences_from_kubeadm_warned()
    {
        var r = Req("1.30.14", change: b => b.UserConfig = """
            apiVersion: kubelet.config.k8s.io/v1beta1
            kind: KubeletConfiguration
            cgroupDriver: cgroupfs
            maxPods: 200
            syncFrequency: 90s
            clusterDNS: [10.96.0.11]
            rotateCertificates: false
            featureGates: {}
            evictionHard:
              memory.available: "200Mi"
            """);
        var result = KubeletFiles.Config(r);
        var y = Yaml.Load(result.File.Content);
        Assert.Equal("cgroupfs", Yaml.Str(y, "cgroupDriver"));      // only filled when empty (facts §4.1)
        Assert.Equal("200", Yaml.Str(y, "maxPods"));
        Assert.Equal("1m30s", Yaml.Str(y, "syncFrequency"));        // metav1.Duration re-encoded by Go
        Assert.Equal("10.96.0.11", Yaml.Str(y, "clusterDNS.0"));     // user value kept, with a warning
        Assert.Equal("true", Yaml.Str(y, "rotateCertificates"));    // forced true (facts §4.1)
        Assert.Null(Yaml.At(y, "featureGates"));                     // empty map is omitted
        var eviction = (YamlDotNet.RepresentationModel.YamlMappingNode)Yaml.At(y, "evictionHard")!;
        Assert.Equal("200Mi", ((YamlDotNet.RepresentationModel.YamlScalarNode)eviction.Children[new YamlDotNet.RepresentationModel.YamlScalarNode("memory.available")]).Value);
        Assert.Contains(result.Warnings, w => w.Contains("clusterDNS", StringComparison.Ordinal) && w.Contains("10.96.0.10", StringComparison.Ordinal));
        Assert.Equal("/etc/kubernetes/manifests", Yaml.Str(y, "staticPodPath"));
    }

    [Fact]
    public void User_kubelet_configuration_as_a_dictionary_is_applied_too()
    {
        var r = Req("1.30.14", change: b => b.Values = new Dictionary<string, object?>
        {
            ["maxPods"] = 150, ["serializeImagePulls"] = false, ["imageMinimumGCAge"] = TimeSpan.FromMinutes(2),
            ["kubeReserved"] = new Dictionary<string, object?> { ["cpu"] = "500m" },
        });
        var y = Yaml.Load(KubeletFiles.Config(r).File.Content);
        Assert.Equal("150", Yaml.Str(y, "maxPods"));
        Assert.Equal("false", Yaml.Str(y, "serializeImagePulls"));
        Assert.Equal("2m0s", Yaml.Str(y, "imageMinimumGCAge"));
        Assert.Equal("500m", Yaml.Str(y, "kubeReserved.cpu"));
    }

    [Theory]
    [InlineData("kind: KubeProxyConfiguration\n", "Manifests.InvalidKubeletConfiguration")]
    [InlineData("apiVersion: kubelet.config.k8s.io/v1\nkind: KubeletConfiguration\n", "Manifests.InvalidKubeletConfiguration")]
    [InlineData("syncFrequency: often\n", "Manifests.InvalidKubeletConfiguration")]
    [InlineData("a: [1, 2\n", "Manifests.InvalidYaml")]
    public void Bad_user_kubelet_configuration_fails_early(string text, string errorId)
    {
        Assert.Equal(errorId, Assert.Throws<KubeException>(() => KubeletFiles.Config(Req("1.30.14", change: b => b.UserConfig = text))).ErrorId);
    }

    [Fact]
    public void Joining_node_config_is_the_cluster_document_with_its_own_resolv_conf_and_socket()
    {
        var init = KubeletFiles.Config(Req("1.35.0"));
        var join = KubeletFiles.ConfigFromCluster(init.ClusterDocument,
            Req("1.35.0", "unix:///run/crio/crio.sock", b => b.Resolved = true));
        var y = Yaml.Load(join.Content);
        Assert.Equal("unix:///run/crio/crio.sock", Yaml.Str(y, "containerRuntimeEndpoint"));
        Assert.Equal("/run/systemd/resolve/resolv.conf", Yaml.Str(y, "resolvConf"));
        Assert.Equal(Yaml.Str(Yaml.Load(init.File.Content), "clusterDNS.0"), Yaml.Str(y, "clusterDNS.0"));
    }

    [Theory]
    [InlineData("10.96.0.0/12", "10.96.0.10")]
    [InlineData("fd00:10:96::/112", "fd00:10:96::a")]
    [InlineData("10.96.0.0/12,fd00:10:96::/112", "10.96.0.10")]
    [InlineData("192.168.0.0/24", "192.168.0.10")]
    public void Cluster_DNS_is_the_tenth_address_of_the_first_service_subnet(string subnet, string dns)
    {
        Assert.Equal(dns, KubeletFiles.ClusterDnsIP(subnet)); // facts §10.1
    }

    [Fact]
    public void Component_config_hash_matches_kubeadm_test_vectors_and_sha256sum()
    {
        // Vectors from kubeadm's own checksum tests (componentconfigs).
        Assert.Equal("sha256:c8f8b724728a6d6684106e5e64e94ce811c9965d19dd44dd073cf86cf43bc238",
            ComponentConfigHash.Compute(new Dictionary<string, string> { ["foo"] = "bar" }, new Dictionary<string, byte[]> { ["bar"] = "baz"u8.ToArray() }));
        Assert.Equal("sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9",
            ComponentConfigHash.Compute(new Dictionary<string, string> { ["foo"] = "bar" }));
        Assert.Equal("sha256:baa5a0964d3320fbc0c6a922140453c8513ea24ab8fd0577034804a967248096",
            ComponentConfigHash.Compute(null, new Dictionary<string, byte[]> { ["bar"] = "baz"u8.ToArray() }));
        // Values in key order, keys not hashed: the same as sha256sum over "config.conf"'s then "kubeconfig.conf"'s value.
        var data = new Dictionary<string, string> { ["kubeconfig.conf"] = "second\n", ["config.conf"] = "first\n" };
        var sum = Tool.Run("sha256sum", [], stdin: "first\nsecond\n").OrThrow("sha256sum").Output.Split(' ')[0];
        Assert.Equal("sha256:" + sum, ComponentConfigHash.Compute(data));
        Assert.True(ComponentConfigHash.Matches(ComponentConfigHash.Compute(data), data));
    }

    [Theory]
    [InlineData("0", "0s")]
    [InlineData("90s", "1m30s")]
    [InlineData("1h", "1h0m0s")]
    [InlineData("1.5h", "1h30m0s")]
    [InlineData("300ms", "300ms")]
    [InlineData("1500ms", "1.5s")]
    [InlineData("2m0.5s", "2m0.5s")]
    [InlineData("10us", "10\u00b5s")]
    [InlineData("-5m", "-5m0s")]
    public void Durations_are_written_as_go_formats_them(string input, string expected)
    {
        Assert.True(GoDuration.TryParse(input, out long ns));
        Assert.Equal(expected, GoDuration.Format(ns));
    }

    [Fact]
    public void Systemd_units_for_binary_installs_pass_systemd_analyze_verify()
    {
        string dir = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = KubeletSystemdUnits.Render(kubeletPath: "/bin/true", unitDir: dir);
            foreach (var f in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(f.Path)!);
                File.WriteAllBytes(f.Path, f.Content);
            }
            string unit = Path.Combine(dir, "kubelet.service");
            var psi = new ProcessStartInfo("systemd-analyze", ["verify", "--man=no", unit]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var proc = Process.Start(psi)!;
            string err = proc.StandardError.ReadToEnd() + proc.StandardOutput.ReadToEnd();
            proc.WaitForExit();
            Assert.True(proc.ExitCode == 0, err);
            string dropIn = File.ReadAllText(Path.Combine(dir, "kubelet.service.d", "10-kubeadm.conf"));
            // facts §4.3: ExecStart cleared, then the kubelet with the four variables in this order.
            Assert.Contains("ExecStart=\nExecStart=/bin/true $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n", dropIn);
            Assert.Contains("EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\n", dropIn);
            Assert.Contains("EnvironmentFile=-/etc/default/kubelet\n", dropIn);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
