using KubePS.Core;
using KubePS.Core.Configuration;
using KubePS.Core.Versioning;
using Xunit;
using static KubePS.Tests.Configuration.ConfigTestSupport;

namespace KubePS.Tests.Configuration;

public class ImportTests
{
    [Fact]
    public void The_v1beta3_example_imports_with_every_part()
    {
        var cfg = KubeadmConfigFile.Import(Example("kubeadm-config.yaml"));

        Assert.Equal("kubeadm.k8s.io/v1beta3", cfg.SourceApiVersion);
        Assert.Equal(KubeVersion.Parse("1.30.14"), cfg.KubernetesVersion);
        Assert.Equal("k8s-api.example.internal:6443", cfg.ControlPlaneEndpoint);
        Assert.Equal("k8s-api.example.internal", cfg.ControlPlaneEndpointHost);
        Assert.Equal(6443, cfg.ControlPlaneEndpointPort);
        Assert.Equal("registry.aliyuncs.com/google_containers", cfg.ImageRepository);
        Assert.Equal("10.244.0.0/16", cfg.PodSubnet);
        Assert.Equal("10.96.0.0/12", cfg.ServiceSubnet);
        Assert.Equal("cp1", cfg.NodeName);
        Assert.Equal("10.0.0.11", cfg.AdvertiseAddress!.ToString());
        Assert.Equal(["k8s-api.example.internal", "k8s-api", "cp1", "cp2", "cp3", "10.0.0.100", "10.0.0.11", "10.0.0.12", "10.0.0.13", "127.0.0.1"], cfg.ApiServerCertSANs);
        Assert.Equal(["etcd.example.internal", "10.0.0.11", "10.0.0.12", "10.0.0.13"], cfg.EtcdServerCertSANs);
        Assert.Equal(3, cfg.EtcdPeerCertSANs.Count);
        // kubeadm converts v1beta3 maps to argument lists sorted by name.
        Assert.Equal([new KubeArg("auto-compaction-retention", "8"), new KubeArg("listen-metrics-urls", "http://0.0.0.0:2381"), new KubeArg("quota-backend-bytes", "8589934592")],
            cfg.Cluster.Etcd!.Local!.ExtraArgs);
        Assert.Equal("node-role.kubernetes.io/control-plane:NoSchedule", Assert.Single(cfg.Init!.NodeRegistration!.Taints!).ToString());
        Assert.Equal("unix:///var/run/containerd/containerd.sock", cfg.CriSocket);
        Assert.Equal("ipvs", cfg.KubeProxy!.Mode);
        Assert.Equal("true", cfg.KubeProxy.IpvsStrictArp);
        Assert.Equal("systemd", cfg.Kubelet!.CgroupDriver);
        Assert.Equal("4m0s", cfg.Cluster.ApiServer!.TimeoutForControlPlane);
        Assert.Equal(TimeSpan.FromMinutes(4), cfg.ControlPlaneHealthCheckTimeout);
        Assert.Equal("abcdef", cfg.Init.BootstrapTokens![0].Token!.Id);
        Assert.False(cfg.IsExternalEtcd);
    }

    [Fact]
    public void The_v1beta4_example_imports_with_list_args_envs_and_timeouts()
    {
        var cfg = KubeadmConfigFile.Import(Example("kubeadm-config-v1beta4.yaml"));

        Assert.Equal("kubeadm.k8s.io/v1beta4", cfg.SourceApiVersion);
        Assert.Equal("v1.32.13", cfg.KubernetesVersion.ToString());
        Assert.Equal("ECDSA-P256", cfg.EncryptionAlgorithm);
        Assert.Equal(TimeSpan.FromHours(8760), cfg.CertificateValidityPeriod);
        Assert.Equal([new KubeArg("node-ip", "10.0.0.11")], cfg.Init!.NodeRegistration!.KubeletExtraArgs);
        Assert.Equal("HTTPS_PROXY", Assert.Single(cfg.Cluster.ApiServer!.ExtraEnvs!).Name);
        Assert.Equal("4m0s", cfg.Init.Timeouts!.ControlPlaneComponentHealthCheck);
        Assert.True(cfg.Init.NodeRegistration.ImagePullSerial);
        Assert.False(cfg.Cluster.Dns!.Disabled);
        Assert.False(cfg.Cluster.Proxy!.Disabled);
    }

    [Fact]
    public void A_v1beta2_file_for_1_18_imports()
    {
        const string yaml = """
            apiVersion: kubeadm.k8s.io/v1beta2
            kind: InitConfiguration
            localAPIEndpoint:
              advertiseAddress: 192.168.162.131
              bindPort: 6443
            nodeRegistration:
              name: master
              criSocket: /var/run/dockershim.sock
              kubeletExtraArgs:
                cgroup-driver: systemd
            ---
            apiVersion: kubeadm.k8s.io/v1beta2
            kind: ClusterConfiguration
            kubernetesVersion: v1.18.2
            useHyperKubeImage: false
            dns:
              type: CoreDNS
            apiServer:
              timeoutForControlPlane: 4m0s
              extraArgs:
                authorization-mode: Node,RBAC
            networking:
              podSubnet: 10.244.0.0/16
            ---
            apiVersion: kubeadm.k8s.io/v1beta2
            kind: JoinConfiguration
            discovery:
              bootstrapToken:
                token: abcdef.0123456789abcdef
                apiServerEndpoint: 192.168.162.131:6443
                unsafeSkipCAVerification: true
              timeout: 5m0s
            """;
        var cfg = KubeClusterConfiguration.Parse(yaml, "v1beta2.yaml").Validate();
        Assert.Equal("kubeadm.k8s.io/v1beta2", cfg.SourceApiVersion);
        Assert.Equal("k8s.gcr.io", cfg.ImageRepository);
        Assert.Equal("/var/run/dockershim.sock", cfg.CriSocket);   // 1.18 takes a bare path
        Assert.Equal([new KubeArg("cgroup-driver", "systemd")], cfg.Init!.NodeRegistration!.KubeletExtraArgs);
        Assert.Equal("5m0s", cfg.Join!.Discovery!.Timeout);
        Assert.Equal(["node-role.kubernetes.io/master:NoSchedule"], cfg.ControlPlaneTaints);
    }

    [Fact]
    public void An_unknown_field_is_reported_with_its_name_kind_and_line()
    {
        var e = ParseError("""
            apiVersion: kubeadm.k8s.io/v1beta3
            kind: ClusterConfiguration
            networking:
              podSubnet: 10.244.0.0/16
              serviceSubnett: 10.96.0.0/12
            """);
        Assert.Equal("Config.UnknownField", e.ErrorId);
        Assert.Contains("networking.serviceSubnett", e.Message);
        Assert.Contains("ClusterConfiguration", e.Message);
        Assert.Contains("line 5", e.Message);
        Assert.Contains("serviceSubnet", e.Message);   // the valid fields are listed
    }

    [Fact]
    public void A_field_of_another_api_version_says_where_it_exists()
    {
        var e = ParseError("""
            apiVersion: kubeadm.k8s.io/v1beta3
            kind: ClusterConfiguration
            encryptionAlgorithm: ECDSA-P256
            """);
        Assert.Equal("Config.UnknownField", e.ErrorId);
        Assert.Contains("'encryptionAlgorithm'", e.Message);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("kubeadm.k8s.io/v1beta4", e.Message);
    }

    [Fact]
    public void Case_mistakes_get_a_hint()
    {
        var e = ParseError("apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nlocalApiEndpoint:\n  bindPort: 6443\n");
        Assert.Equal("Config.UnknownField", e.ErrorId);
        Assert.Contains("localAPIEndpoint", e.Message);
    }

    [Fact]
    public void Unknown_fields_inside_v1beta4_argument_lists_are_reported()
    {
        var e = ParseError("""
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            apiServer:
              extraArgs:
                - name: audit-log-path
                  val: /var/log/audit.log
            """);
        Assert.Equal("Config.UnknownField", e.ErrorId);
        Assert.Contains("apiServer.extraArgs[0].val", e.Message);
        Assert.Contains("line 6", e.Message);
    }

    [Fact]
    public void Unparseable_yaml_is_reported_with_line_and_column()
    {
        var e = ParseError("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nnetworking:\n  podSubnet: [10.244.0.0/16\n");
        Assert.Equal("Config.InvalidYaml", e.ErrorId);
        Assert.Matches(@"line \d+, column \d+", e.Message);
    }

    [Fact]
    public void Duplicate_keys_are_invalid_yaml()
    {
        var e = ParseError("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nclusterName: a\nclusterName: b\n");
        Assert.Equal("Config.InvalidYaml", e.ErrorId);
        Assert.Contains("line 4", e.Message);
    }

    [Theory]
    [InlineData("kubeadm.k8s.io/v1beta1", "ClusterConfiguration", "Config.UnknownApiVersion")]
    [InlineData("kubeadm.k8s.io/v1alpha3", "ClusterConfiguration", "Config.UnknownApiVersion")]
    [InlineData("kubeadm.k8s.io/v1beta3", "ResetConfiguration", "Config.UnknownKind")]
    [InlineData("kubeadm.k8s.io/v1beta2", "ClusterStatus", "Config.UnknownKind")]
    [InlineData("v1", "Pod", "Config.UnknownKind")]
    [InlineData("kubelet.config.k8s.io/v1", "KubeletConfiguration", "Config.UnknownKind")]
    public void Unknown_api_versions_and_kinds_list_what_is_valid(string apiVersion, string kind, string id)
    {
        var e = ParseError($"apiVersion: {apiVersion}\nkind: {kind}\n");
        Assert.Equal(id, e.ErrorId);
        Assert.Contains(apiVersion, e.Message);
        Assert.Contains("kubeadm.k8s.io/v1beta3", e.Message);
        Assert.Contains("kubelet.config.k8s.io/v1beta1", e.Message);
    }

    [Fact]
    public void Reset_and_upgrade_documents_of_v1beta4_are_kept()
    {
        var cfg = KubeClusterConfiguration.Parse("""
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            kubernetesVersion: v1.31.4
            ---
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ResetConfiguration
            cleanupTmpDir: true
            unmountFlags: [MNT_DETACH]
            ---
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: UpgradeConfiguration
            apply:
              certificateRenewal: false
            """);
        Assert.Equal(["ResetConfiguration", "UpgradeConfiguration"], cfg.ExtraDocuments.Select(d => d.Kind));
        Assert.Equal("true", cfg.ExtraDocuments[0].Get("cleanupTmpDir"));
        var yaml = cfg.ToYaml("v1beta4");
        Assert.Contains("kind: ResetConfiguration", yaml);
        Assert.Contains("certificateRenewal: false", yaml);
    }

    [Fact]
    public void Taints_distinguish_not_given_from_empty()
    {
        var none = KubeClusterConfiguration.Parse("apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nnodeRegistration:\n  taints: []\n");
        var absent = KubeClusterConfiguration.Parse("apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nnodeRegistration:\n  name: cp1\n");
        var nulled = KubeClusterConfiguration.Parse("apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nnodeRegistration:\n  taints: null\n");
        Assert.NotNull(none.Init!.NodeRegistration!.Taints);
        Assert.Empty(none.Init.NodeRegistration.Taints);
        Assert.Empty(none.ControlPlaneTaints);
        Assert.Null(absent.Init!.NodeRegistration!.Taints);
        Assert.Null(nulled.Init!.NodeRegistration!.Taints);
        Assert.Equal(absent.Release.ControlPlaneTaints, absent.ControlPlaneTaints);
        Assert.Contains("taints: []", none.ToYaml("v1beta3"));
        Assert.DoesNotContain("taints", absent.ToYaml("v1beta3"));
    }

    [Theory]
    [InlineData("nodeRegistration:\n  ignorePreflightErrors: Swap\n", "nodeRegistration.ignorePreflightErrors", "list")]
    [InlineData("localAPIEndpoint:\n  bindPort: six\n", "localAPIEndpoint.bindPort", "'six'")]
    [InlineData("localAPIEndpoint:\n  advertiseAddress: [a, b]\n", "localAPIEndpoint.advertiseAddress", "list")]
    [InlineData("nodeRegistration:\n  kubeletExtraArgs:\n    - name: node-ip\n", "nodeRegistration.kubeletExtraArgs", "mapping")]
    public void Values_of_the_wrong_shape_are_reported_with_their_line(string body, string field, string what)
    {
        var e = ParseError("apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n" + body);
        Assert.Equal("Config.InvalidValue", e.ErrorId);
        Assert.Contains(field, e.Message);
        Assert.Contains(what, e.Message);
        Assert.Contains("line ", e.Message);
    }

    [Fact]
    public void A_second_document_of_one_kind_is_refused()
    {
        var e = ParseError("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n");
        Assert.Equal("Config.DuplicateDocument", e.ErrorId);
        Assert.Contains("line 4", e.Message);
    }

    [Fact]
    public void Mixed_kubeadm_api_versions_are_refused()
    {
        var e = ParseError("apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n");
        Assert.Equal("Config.MixedApiVersions", e.ErrorId);
        Assert.Contains("v1beta3", e.Message);
        Assert.Contains("v1beta4", e.Message);
    }

    [Fact]
    public void A_file_without_documents_is_refused()
    {
        Assert.Equal("Config.Empty", ParseError("# nothing here\n").ErrorId);
        Assert.Equal("Config.Empty", ParseError("---\n---\n").ErrorId);
    }

    [Fact]
    public void A_missing_file_is_reported_with_its_path()
    {
        var e = Assert.Throws<KubeException>(() => KubeadmConfigFile.Import("/nonexistent/kubeadm.yaml"));
        Assert.Equal("Config.FileNotReadable", e.ErrorId);
        Assert.Contains("/nonexistent/kubeadm.yaml", e.Message);
        Assert.Equal(KubeErrorCategory.ObjectNotFound, e.Category);
    }

    [Fact]
    public void Kubelet_and_proxy_documents_are_kept_as_written()
    {
        var cfg = KubeadmConfigFile.Import(Example("kubeadm-config.yaml"));
        Assert.Equal(["apiVersion", "kind", "cgroupDriver", "failSwapOn", "maxPods", "evictionHard"], cfg.Kubelet!.Document.Keys);
        Assert.Equal("200Mi", ((ConfigMapping)cfg.Kubelet.Document["evictionHard"]!).GetString("memory.available"));
        Assert.Equal("110", cfg.Kubelet.Get("maxPods"));
    }
}
