using System.Net;
using KubePS.Core;
using KubePS.Core.Manifests;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.Validation;

/// <summary>
/// The refusals of the static pod manifests, the kubelet files and the kubelet units (the init/join phases that write
/// them): each is thrown while the file's content is built, so no node file is written, and names the value and a valid one.
/// </summary>
public sealed class ManifestValidationTests
{
    static readonly KubeVersion V = KubeVersion.Parse("1.32.0");

    static ControlPlaneManifestRequest Req(int bindPort = 6443, string dnsDomain = "cluster.local", string clusterName = "kubernetes",
        string pullPolicy = "IfNotPresent", TimeSpan? timeout = null, ControlPlaneComponentOptions? apiServer = null,
        ExternalEtcdOptions? externalEtcd = null, LocalEtcdOptions? localEtcd = null, string certificatesDir = "/etc/kubernetes/pki",
        IReadOnlyList<KubeEnvVar>? proxy = null) => new()
    {
        KubernetesVersion = V, NodeName = "cp1", AdvertiseAddress = IPAddress.Parse("10.0.0.11"), BindPort = bindPort, DnsDomain = dnsDomain,
        ClusterName = clusterName, ImagePullPolicy = pullPolicy, ControlPlaneHealthCheckTimeout = timeout ?? TimeSpan.FromMinutes(4),
        ApiServer = apiServer ?? new(), ExternalEtcd = externalEtcd, LocalEtcd = localEtcd ?? new(), CertificatesDir = certificatesDir,
        ProxyEnvironment = proxy ?? [],
    };

    static KubeException Refused(ControlPlaneManifestRequest r, string id)
    {
        var e = Assert.Throws<KubeException>(() => StaticPodManifests.ControlPlane(r));
        Assert.Equal(id, e.ErrorId);
        Assert.False(string.IsNullOrWhiteSpace(e.RecommendedAction), $"{id} says nothing about what would be valid");
        return e;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-6443)]
    [InlineData(65536)]
    public void A_bind_port_outside_the_range_is_refused(int port)
    {
        var e = Refused(Req(bindPort: port), "Manifests.InvalidBindPort");
        Assert.Equal(port, e.Target);
        Assert.Contains(port.ToString(), e.Message);
        Assert.Contains("1-65535", e.Message);
    }

    [Theory]
    [InlineData("", "kubernetes", "networking.dnsDomain")]
    [InlineData("cluster.local", " ", "clusterName")]
    public void An_empty_DNS_domain_or_cluster_name_is_refused_naming_which(string dnsDomain, string clusterName, string field)
    {
        var e = Refused(Req(dnsDomain: dnsDomain, clusterName: clusterName), "Manifests.MissingValue");
        Assert.Equal(field, e.Target);
        Assert.StartsWith(field + " is empty", e.Message);
        Assert.Contains("cluster.local", e.RecommendedAction);
    }

    [Theory]
    [InlineData("always")]
    [InlineData("")]
    [InlineData("IfNotPresent ")]
    public void An_unknown_image_pull_policy_is_refused_listing_the_three(string policy)
    {
        var e = Refused(Req(pullPolicy: policy), "Manifests.InvalidImagePullPolicy");
        Assert.Equal(policy, e.Target);
        Assert.Contains($"'{policy}'", e.Message);
        Assert.Contains("Always, IfNotPresent or Never", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-30)]
    public void A_health_check_timeout_that_is_not_positive_is_refused(int seconds)
    {
        var t = TimeSpan.FromSeconds(seconds);
        var e = Refused(Req(timeout: t), "Manifests.InvalidTimeout");
        Assert.Equal(t, e.Target);
        Assert.Contains(t.ToString(), e.Message);
        Assert.Contains("4m", e.RecommendedAction);
    }

    [Theory]
    [InlineData("etc/kubernetes/pki")]
    [InlineData("./pki")]
    [InlineData("")]
    public void A_relative_certificates_dir_is_refused(string dir)
    {
        var e = Refused(Req(certificatesDir: dir), "Manifests.RelativePath");
        Assert.Equal(dir, e.Target);
        Assert.Contains($"certificatesDir '{dir}'", e.Message);
        Assert.Contains("'/'", e.RecommendedAction);
    }

    [Fact]
    public void A_relative_etcd_data_dir_is_refused()
    {
        var e = Refused(Req(localEtcd: new LocalEtcdOptions { DataDir = "var/lib/etcd" }), "Manifests.RelativePath");
        Assert.Contains("etcd.local.dataDir 'var/lib/etcd'", e.Message);
    }

    [Theory]
    [InlineData("", "/var/log/audit", "/var/log/audit", "Manifests.InvalidVolume", "/var/log/audit")]
    [InlineData("audit", "var/log/audit", "/var/log/audit", "Manifests.RelativePath", "var/log/audit")]
    [InlineData("audit", "/var/log/audit", "audit", "Manifests.RelativePath", "audit")]
    public void An_extra_volume_needs_a_name_and_absolute_paths(string name, string hostPath, string mountPath, string id, string offending)
    {
        var opts = new ControlPlaneComponentOptions { ExtraVolumes = [new HostPathMount(name, hostPath, mountPath)] };
        var e = Refused(Req(apiServer: opts), id);
        Assert.Equal(offending, e.Target);
        Assert.Contains("apiServer.extraVolumes", e.Message);
        Assert.Contains($"'{offending}'", e.Message);
    }

    [Theory]
    [InlineData("", "x")]
    [InlineData("A=B", "x")]
    [InlineData("HTTPS_PROXY", null)]
    public void An_extra_env_needs_a_name_without_equals_and_a_value(string name, string? value)
    {
        var opts = new ControlPlaneComponentOptions { ExtraEnvs = [new KubeEnvVar(name, value!)] };
        var e = Refused(Req(apiServer: opts), "Manifests.InvalidEnv");
        Assert.Equal(name, e.Target);
        Assert.Contains($"apiServer.extraEnvs: '{name}'", e.Message);
        Assert.Contains("name: HTTPS_PROXY", e.RecommendedAction);
    }

    [Fact]
    public void A_proxy_variable_without_value_is_refused()
    {
        var e = Refused(Req(proxy: [new KubeEnvVar("NO_PROXY", null!)]), "Manifests.InvalidEnv");
        Assert.Contains("proxy environment: 'NO_PROXY'", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("https://10.0.0.5:2379| ")]
    public void External_etcd_needs_at_least_one_non_empty_endpoint(string list)
    {
        var endpoints = list.Length == 0 ? [] : list.Split('|');
        var e = Refused(Req(externalEtcd: new ExternalEtcdOptions { Endpoints = endpoints, CAFile = "/etc/etcd/ca.crt" }), "Manifests.ExternalEtcdEndpoints");
        Assert.Equal("etcd.external.endpoints", e.Target);
        Assert.Contains("https://10.0.0.10:2379", e.RecommendedAction);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void An_etcd_join_member_list_must_name_every_member_with_its_peer_URL(int variant)
    {
        IReadOnlyList<EtcdMember> members = variant switch
        {
            0 => [],
            1 => [new EtcdMember("cp0", "https://10.0.0.10:2380"), new EtcdMember("", "https://10.0.0.12:2380")],
            _ => [new EtcdMember("cp0", " ")],
        };
        var e = Assert.Throws<KubeException>(() => StaticPodManifests.Etcd(Req(localEtcd: new LocalEtcdOptions { JoinCluster = members })));
        Assert.Equal("Manifests.InvalidEtcdMembers", e.ErrorId);
        Assert.Contains("peer URL", e.Message);
        Assert.Contains("member-add", e.RecommendedAction);
    }

    // ---------------------------------------------------------------- kubelet files

    static KubeletRequest Kubelet(string[]? taints = null, string? criSocket = null, string dnsDomain = "cluster.local") => new()
    {
        KubernetesVersion = V, NodeName = "cp1", Taints = taints ?? [], CriSocket = criSocket, DnsDomain = dnsDomain,
    };

    [Theory]
    [InlineData("dedicated=gpu")]
    [InlineData("a:NoSchedule,b:NoExecute")]
    [InlineData("")]
    public void A_taint_that_is_not_key_value_effect_is_refused(string taint)
    {
        var e = Assert.Throws<KubeException>(() => KubeletFiles.KubeletStart(Kubelet(taints: [taint])));
        Assert.Equal("Manifests.InvalidTaint", e.ErrorId);
        Assert.Equal(taint, e.Target);
        Assert.Contains($"'{taint}'", e.Message);
        Assert.Contains("dedicated=gpu:NoSchedule", e.RecommendedAction);
    }

    [Theory]
    [InlineData("unix:///run/containerd/containerd.sock ")]
    [InlineData("unix:///run/my socket.sock")]
    public void A_CRI_socket_with_white_space_is_refused(string socket)
    {
        var e = Assert.Throws<KubeException>(() => KubeletFiles.KubeletStart(Kubelet(criSocket: socket)));
        Assert.Equal("Manifests.InvalidCriSocket", e.ErrorId);
        Assert.Equal(socket, e.Target);
        Assert.Contains("containerd.sock", e.RecommendedAction);
    }

    [Fact]
    public void The_kubelet_files_need_a_DNS_domain()
    {
        var e = Assert.Throws<KubeException>(() => KubeletFiles.KubeletStart(Kubelet(dnsDomain: " ")));
        Assert.Equal("Manifests.MissingValue", e.ErrorId);
        Assert.Equal("networking.dnsDomain", e.Target);
        Assert.Contains("cluster.local", e.RecommendedAction);
    }

    [Theory]
    [InlineData("10.96.0.0/29")]
    [InlineData("10.96.0.8/30")]
    [InlineData("fd00::/125")]
    public void A_service_subnet_without_a_tenth_address_is_refused(string subnet)
    {
        var e = Assert.Throws<KubeException>(() => KubeletFiles.ClusterDnsIP(subnet));
        Assert.Equal("Manifests.ServiceSubnetTooSmall", e.ErrorId);
        Assert.Equal(subnet, e.Target);
        Assert.Contains(subnet, e.Message);
        Assert.Contains("10.96.0.0/12", e.RecommendedAction);
    }

    [Theory]
    [InlineData("/usr/local/bin/my kubelet")]
    [InlineData("/opt/$HOME/kubelet")]
    [InlineData("/opt/100%/kubelet")]
    [InlineData("/opt/\"k\"/kubelet")]
    public void A_kubelet_path_systemd_would_interpret_is_refused(string path)
    {
        var e = Assert.Throws<KubeException>(() => KubeletSystemdUnits.Render(kubeletPath: path));
        Assert.Equal("Manifests.InvalidPath", e.ErrorId);
        Assert.Equal(path, e.Target);
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("plain absolute path", e.RecommendedAction);
    }

    [Fact]
    public void A_relative_unit_directory_is_refused()
    {
        var e = Assert.Throws<KubeException>(() => KubeletSystemdUnits.Render(unitDir: "etc/systemd/system"));
        Assert.Equal("Manifests.RelativePath", e.ErrorId);
        Assert.Contains("systemd unit directory 'etc/systemd/system'", e.Message);
    }
}
