using KubePS.Core;
using KubePS.Core.Configuration;
using Xunit;
using static KubePS.Tests.Configuration.ConfigTestSupport;

namespace KubePS.Tests.Configuration;

/// <summary>Each bad input fails with its stable id and a message naming the offending value (and what would be valid).</summary>
public class ValidationTests
{
    static KubeClusterConfiguration Cluster(string body, string version = "v1.30.14", string api = "v1beta3") =>
        KubeClusterConfiguration.Parse($"apiVersion: kubeadm.k8s.io/{api}\nkind: ClusterConfiguration\nkubernetesVersion: {version}\n{body}");

    static KubeClusterConfiguration Init(string body, string api = "v1beta3") =>
        KubeClusterConfiguration.Parse($"apiVersion: kubeadm.k8s.io/{api}\nkind: InitConfiguration\n{body}\n---\napiVersion: kubeadm.k8s.io/{api}\nkind: ClusterConfiguration\nkubernetesVersion: {(api == "v1beta4" ? "v1.31.4" : "v1.30.14")}\n");

    static void AssertError(KubeClusterConfiguration cfg, string id, params string[] mustContain)
    {
        var e = Single(cfg, id);
        foreach (var s in mustContain) Assert.Contains(s, e.Message);
        Assert.False(string.IsNullOrWhiteSpace(e.RecommendedAction));
    }

    [Fact]
    public void The_examples_are_valid()
    {
        Assert.Empty(Errors(KubeadmConfigFile.Import(Example("kubeadm-config.yaml"))));
        Assert.Empty(Errors(KubeadmConfigFile.Import(Example("kubeadm-config-v1beta4.yaml"))));
    }

    [Theory]
    [InlineData("podSubnet: 10.244.0.0/33", "10.244.0.0/33")]
    [InlineData("podSubnet: 10.244.0/16", "10.244.0/16")]
    [InlineData("serviceSubnet: services", "services")]
    [InlineData("serviceSubnet: 10.96.0.0", "10.96.0.0")]
    public void Malformed_cidrs_are_InvalidCidr(string line, string value) =>
        AssertError(Cluster($"networking:\n  {line}"), "Config.InvalidCidr", $"'{value}'", "10.96.0.0/12");

    [Fact]
    public void Dual_stack_needs_one_cidr_of_each_family()
    {
        Assert.Empty(Errors(Cluster("networking:\n  serviceSubnet: 10.96.0.0/12,fd00:10:96::/108\n  podSubnet: 10.244.0.0/16,fd00:10:244::/56")));
        AssertError(Cluster("networking:\n  podSubnet: 10.244.0.0/16,10.245.0.0/16"), "Config.InvalidCidr", "10.244.0.0/16,10.245.0.0/16", "IPv6");
    }

    [Fact]
    public void Overlapping_pod_and_service_subnets_are_refused() =>
        AssertError(Cluster("networking:\n  podSubnet: 10.96.0.0/16\n  serviceSubnet: 10.96.0.0/12"),
            "Config.OverlappingSubnets", "10.96.0.0/16", "10.96.0.0/12");

    [Theory]
    [InlineData("10.96.0.0/29", "Config.ServiceSubnetTooSmall", "8 addresses")]
    [InlineData("fd00::/125", "Config.ServiceSubnetTooSmall", "8 addresses")]
    [InlineData("10.96.0.0/11", "Config.ServiceSubnetTooLarge", "/12")]
    [InlineData("fd00::/100", "Config.ServiceSubnetTooLarge", "/108")]
    public void Service_subnet_size_is_bounded(string subnet, string id, string hint) =>
        AssertError(Cluster($"networking:\n  serviceSubnet: {subnet}"), id, subnet, hint);

    [Theory]
    [InlineData("10.96.0.0/28")]
    [InlineData("10.96.0.0/12")]
    [InlineData("fd00:10:96::/108")]
    [InlineData("fd00:10:96::/112")]
    public void Service_subnets_within_bounds_are_valid(string subnet) =>
        Assert.Empty(Errors(Cluster($"networking:\n  serviceSubnet: {subnet}")));

    [Fact]
    public void Pod_subnet_must_hold_node_ranges()
    {
        AssertError(Cluster("networking:\n  podSubnet: 10.244.0.0/25"), "Config.InvalidPodSubnet", "10.244.0.0/25", "/24");
        AssertError(Cluster("networking:\n  podSubnet: 10.0.0.0/7"), "Config.InvalidPodSubnet", "10.0.0.0/7", "16");
        Assert.Empty(Errors(Cluster("networking:\n  podSubnet: 10.244.0.0/25\ncontrollerManager:\n  extraArgs:\n    node-cidr-mask-size-ipv4: \"26\"")));
        Assert.Empty(Errors(Cluster("networking:\n  podSubnet: 10.244.0.0/25\ncontrollerManager:\n  extraArgs:\n    allocate-node-cidrs: \"false\"")));
    }

    [Theory]
    [InlineData("my_node", "'_'")]
    [InlineData("CP1", "upper case")]
    [InlineData("-cp1", "RFC 1123")]
    public void Node_names_must_be_rfc1123(string name, string why) =>
        AssertError(Init($"nodeRegistration:\n  name: {name}"), "Config.InvalidName", $"'{name}'", why);

    [Fact]
    public void Cluster_names_and_dns_domains_must_be_rfc1123()
    {
        AssertError(Cluster("clusterName: Prod_Cluster"), "Config.InvalidName", "'Prod_Cluster'", "kubernetes");
        AssertError(Cluster("networking:\n  dnsDomain: cluster_local"), "Config.InvalidName", "'cluster_local'", "cluster.local");
    }

    [Theory]
    [InlineData("k8s_api:6443")]
    [InlineData("k8s-api:70000")]
    [InlineData("k8s-api:")]
    [InlineData("https://k8s-api:6443")]
    [InlineData("[fd00::1:6443")]
    public void Bad_control_plane_endpoints_are_InvalidEndpoint(string endpoint) =>
        AssertError(Cluster($"controlPlaneEndpoint: \"{endpoint}\""), "Config.InvalidEndpoint", $"'{endpoint}'", "k8s-api.example.internal:6443");

    [Theory]
    [InlineData("k8s-api.example.internal")]
    [InlineData("k8s-api.example.internal:443")]
    [InlineData("10.0.0.100:6443")]
    [InlineData("[fd00::100]:6443")]
    [InlineData("fd00::100")]
    public void Good_control_plane_endpoints_are_valid(string endpoint) =>
        Assert.Empty(Errors(Cluster($"controlPlaneEndpoint: \"{endpoint}\"")));

    [Theory]
    [InlineData("1.17.3", "Version.Unsupported", "v1.17.3")]
    [InlineData("1.30.x", "Version.Invalid", "'1.30.x'")]
    [InlineData("latest-1.31", "Version.Unsupported", "latest-1.31")]
    public void Versions_outside_the_catalog_are_refused(string version, string id, string shown) =>
        AssertError(Cluster("", version), id, shown);

    [Fact]
    public void The_advertise_address_must_be_an_ip() =>
        AssertError(Init("localAPIEndpoint:\n  advertiseAddress: cp1.example.internal"), "Config.InvalidAddress", "'cp1.example.internal'", "10.0.0.11");

    [Theory]
    [InlineData(0)]
    [InlineData(70000)]
    [InlineData(-1)]
    public void The_bind_port_must_be_a_tcp_port(int port) =>
        AssertError(Init($"localAPIEndpoint:\n  bindPort: {port}"), "Config.InvalidPort", $"{port}", "1 to 65535");

    [Theory]
    [InlineData("--audit-log-path")]
    [InlineData("Audit-Log-Path")]
    [InlineData("audit log")]
    public void Extra_arg_names_must_look_like_flags(string name) =>
        AssertError(Cluster($"apiServer:\n  extraArgs:\n    \"{name}\": x"), "Config.InvalidExtraArg", $"'{name}'", "audit-log-path");

    [Fact]
    public void Kubelet_extra_args_are_checked_too() =>
        AssertError(Init("nodeRegistration:\n  kubeletExtraArgs:\n    --node-ip: 10.0.0.11"), "Config.InvalidExtraArg", "'--node-ip'");

    [Theory]
    [InlineData("v1beta4", "1.18.2", "kubeadm.k8s.io/v1beta4")]
    [InlineData("v1beta3", "1.18.2", "kubeadm.k8s.io/v1beta3")]
    [InlineData("v1beta2", "1.27.3", "kubeadm.k8s.io/v1beta2")]
    [InlineData("v1beta3", "1.37.1", "kubeadm.k8s.io/v1beta3")]
    public void The_file_api_version_must_be_read_by_the_target_version(string api, string version, string shown) =>
        AssertError(Cluster("", version, api), "Config.ApiVersionNotSupported", shown, $"v{version[..4]}");

    [Theory]
    [InlineData("RSA-1024", "v1.31.4", "RSA-2048")]
    [InlineData("ECDSA-P384", "v1.31.4", "v1.34")]
    [InlineData("ECDSA-P256", "v1.30.14", "v1.31")]
    public void Encryption_algorithms_are_checked_against_the_version(string alg, string version, string hint)
    {
        var cfg = KubeClusterConfiguration.Create(new NewClusterConfigurationRequest { KubernetesVersion = "1.31.4" });
        cfg.Cluster.KubernetesVersion = version;
        cfg.Cluster.EncryptionAlgorithm = alg;
        AssertError(cfg, "Config.InvalidEncryptionAlgorithm", $"'{alg}'", hint);
    }

    [Fact]
    public void Validity_periods_need_1_31_and_a_positive_duration()
    {
        var cfg = KubeClusterConfiguration.Create(new NewClusterConfigurationRequest { KubernetesVersion = "1.30.2" });
        cfg.Cluster.CertificateValidityPeriod = "17520h";
        AssertError(cfg, "Config.FieldNotSupported", "17520h", "v1.31");
        AssertError(Cluster("caCertificateValidityPeriod: ten years", "v1.31.4", "v1beta4"), "Config.InvalidDuration", "'ten years'");
    }

    [Fact]
    public void Unknown_feature_gates_are_refused_with_the_known_ones()
    {
        AssertError(Cluster("featureGates:\n  EtcdLearnerMode: true", "v1.33.1"), "Config.UnknownFeatureGate", "'EtcdLearnerMode'", "v1.27 to v1.32", "NodeLocalCRISocket");
        AssertError(Cluster("featureGates:\n  NoSuchGate: true"), "Config.UnknownFeatureGate", "'NoSuchGate'", "PublicKeysECDSA");
        Assert.Empty(Errors(Cluster("featureGates:\n  PublicKeysECDSA: true")));
    }

    static KubeClusterConfiguration Join(string discovery) => KubeClusterConfiguration.Parse(
        $"apiVersion: kubeadm.k8s.io/v1beta3\nkind: JoinConfiguration\ndiscovery:\n{discovery}\n---\napiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.30.14\n");

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("md5:0123456789abcdef0123456789abcdef")]
    [InlineData("sha256:zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Ca_cert_hashes_must_be_sha256_hex(string hash) =>
        AssertError(Join($"  bootstrapToken:\n    token: abcdef.0123456789abcdef\n    apiServerEndpoint: 10.0.0.10:6443\n    caCertHashes: [\"{hash}\"]"),
            "Config.InvalidCACertHash", $"'{hash}'", "sha256:<64 hex characters>");

    [Fact]
    public void A_valid_join_configuration_passes()
    {
        var cfg = Join("  bootstrapToken:\n    token: abcdef.0123456789abcdef\n    apiServerEndpoint: 10.0.0.10:6443\n    caCertHashes:\n      - sha256:" + new string('a', 64));
        Assert.Empty(Errors(cfg));
    }

    [Fact]
    public void Token_discovery_without_ca_pinning_must_be_explicit()
    {
        AssertError(Join("  bootstrapToken:\n    token: abcdef.0123456789abcdef\n    apiServerEndpoint: 10.0.0.10:6443"), "Config.UnsafeDiscovery", "caCertHashes");
        Assert.Empty(Errors(Join("  bootstrapToken:\n    token: abcdef.0123456789abcdef\n    apiServerEndpoint: 10.0.0.10:6443\n    unsafeSkipCAVerification: true")));
    }

    [Fact]
    public void Discovery_needs_one_method_and_an_endpoint_with_port()
    {
        AssertError(Join("  tlsBootstrapToken: abcdef.0123456789abcdef"), "Config.InvalidDiscovery", "bootstrapToken", "file");
        AssertError(Join("  bootstrapToken:\n    token: abcdef.0123456789abcdef\n    apiServerEndpoint: 10.0.0.10\n    unsafeSkipCAVerification: true"),
            "Config.InvalidEndpoint", "'10.0.0.10'", "10.0.0.10:6443");
        AssertError(Join("  file:\n    kubeConfigPath: discovery.conf"), "Config.InvalidDiscovery", "'discovery.conf'");
    }

    [Fact]
    public void Bootstrap_token_usages_groups_and_lifetimes_are_checked()
    {
        var cfg = Init("bootstrapTokens:\n- token: abcdef.0123456789abcdef\n  usages: [signing, authentication, encryption]\n  groups: [system:masters]\n  ttl: 1d\n  expires: \"2030-01-01T00:00:00Z\"");
        var ids = Errors(cfg).Select(e => e.ErrorId).ToList();
        Assert.Contains("Config.InvalidTokenUsage", ids);
        Assert.Contains("Config.InvalidTokenGroup", ids);
        Assert.Contains("Config.InvalidToken", ids);      // ttl and expires together
        Assert.Contains("Config.InvalidDuration", ids);   // 1d is not a Go duration
        Assert.Contains("'encryption'", Single(cfg, "Config.InvalidTokenUsage").Message);
        Assert.Contains("'system:masters'", Single(cfg, "Config.InvalidTokenGroup").Message);
        Assert.All(Errors(cfg), e => Assert.DoesNotContain("0123456789abcdef", e.Message));
    }

    [Fact]
    public void Local_and_external_etcd_are_exclusive_and_external_needs_consistent_tls()
    {
        AssertError(Cluster("etcd:\n  local:\n    dataDir: /var/lib/etcd\n  external:\n    endpoints: [https://10.0.0.21:2379]"), "Config.InvalidEtcd", "etcd.local", "etcd.external");
        AssertError(Cluster("etcd:\n  external:\n    endpoints: [http://10.0.0.21:2379]\n    caFile: /etc/etcd/ca.crt\n    certFile: /etc/etcd/c.crt\n    keyFile: /etc/etcd/c.key"),
            "Config.InvalidEtcd", "'http://10.0.0.21:2379'", "https");
        AssertError(Cluster("etcd:\n  external:\n    endpoints: [https://10.0.0.21:2379]\n    certFile: /etc/etcd/c.crt"), "Config.InvalidEtcd", "keyFile");
        Assert.True(Cluster("etcd:\n  external:\n    endpoints: [https://10.0.0.21:2379]\n    caFile: /etc/etcd/ca.crt\n    certFile: /etc/etcd/c.crt\n    keyFile: /etc/etcd/c.key").Validate().IsExternalEtcd);
    }

    [Fact]
    public void Cert_sans_must_be_ips_or_dns_names()
    {
        AssertError(Cluster("apiServer:\n  certSANs: [k8s_api]"), "Config.InvalidCertSAN", "'k8s_api'");
        AssertError(Cluster("etcd:\n  local:\n    serverCertSANs: [\"etcd server\"]"), "Config.InvalidCertSAN", "'etcd server'");
        Assert.Empty(Errors(Cluster("apiServer:\n  certSANs: [\"*.example.com\", 10.0.0.1, \"fd00::1\", k8s-api]")));
    }

    [Fact]
    public void Paths_durations_images_taints_and_policies_are_checked()
    {
        AssertError(Cluster("certificatesDir: etc/kubernetes/pki"), "Config.InvalidPath", "'etc/kubernetes/pki'");
        AssertError(Cluster("apiServer:\n  timeoutForControlPlane: 4 minutes"), "Config.InvalidDuration", "'4 minutes'", "4m0s");
        AssertError(Cluster("imageRepository: registry.example.com/Mirror"), "Config.InvalidImageRepository", "'registry.example.com/Mirror'");
        AssertError(Init("nodeRegistration:\n  taints:\n  - key: dedicated\n    effect: NoPods"), "Config.InvalidTaint", "'NoPods'", "NoSchedule");
        AssertError(Init("nodeRegistration:\n  imagePullPolicy: Sometimes"), "Config.InvalidImagePullPolicy", "'Sometimes'", "IfNotPresent");
        AssertError(Init("nodeRegistration:\n  criSocket: containerd"), "Config.InvalidCriSocket", "'containerd'", "unix://");
    }

    [Fact]
    public void Component_settings_are_checked()
    {
        var cfg = KubeClusterConfiguration.Parse("""
            apiVersion: kubeadm.k8s.io/v1beta3
            kind: ClusterConfiguration
            kubernetesVersion: v1.30.14
            ---
            apiVersion: kubelet.config.k8s.io/v1beta1
            kind: KubeletConfiguration
            cgroupDriver: system
            ---
            apiVersion: kubeproxy.config.k8s.io/v1alpha1
            kind: KubeProxyConfiguration
            mode: ipvsadm
            """);
        Assert.Equal(["'system'", "'ipvsadm'"], Errors(cfg).Select(e => e.Message.Contains("'system'") ? "'system'" : e.Message.Contains("'ipvsadm'") ? "'ipvsadm'" : e.Message));
    }

    [Fact]
    public void All_problems_are_reported_at_once()
    {
        var cfg = Cluster("clusterName: Bad_Name\ncontrolPlaneEndpoint: \"bad_host:6443\"\nnetworking:\n  podSubnet: 10.96.0.0/16\n  serviceSubnet: 10.96.0.0/12");
        var ex = Assert.Throws<KubeAggregateException>(() => cfg.Validate());
        Assert.Equal(["Config.OverlappingSubnets", "Config.InvalidName", "Config.InvalidEndpoint"], ex.Errors.Select(e => e.ErrorId));
        Assert.Contains("3 errors", ex.Message);
    }

    [Fact]
    public void New_configurations_are_validated_before_they_are_returned()
    {
        var ex = Assert.ThrowsAny<KubeException>(() => KubeClusterConfiguration.Create(new NewClusterConfigurationRequest
        {
            KubernetesVersion = "1.30", PodSubnet = "10.96.0.0/16", NodeName = "node_1",
        }));
        var ids = ex is KubeAggregateException agg ? agg.Errors.Select(e => e.ErrorId).ToList() : [ex.ErrorId];
        Assert.Equal(["Config.OverlappingSubnets", "Config.InvalidName"], ids);
    }
}
