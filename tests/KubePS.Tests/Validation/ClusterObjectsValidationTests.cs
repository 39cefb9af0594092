using KubePS.Core;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;
using KubePS.Tests.ClusterObjects;
using Xunit;

namespace KubePS.Tests.Validation;

/// <summary>
/// The refusals of the cluster objects the init/join/upgrade phases create (kubeadm-config, kubelet-config, CoreDNS,
/// bootstrap tokens, upload-certs, the node's CRI socket annotation, certificate renewal options): all come while the
/// objects are rendered, before anything is sent to the API server.
/// </summary>
public sealed class ClusterObjectsValidationTests : ClusterObjectsTestBase
{
    static readonly KubeVersion V132 = KubeVersion.Parse("1.32.0");

    [Theory]
    [InlineData("")]
    [InlineData("  \n")]
    public void An_empty_ClusterConfiguration_is_not_stored_in_kubeadm_config(string yaml)
    {
        var e = Assert.Throws<KubeException>(() => UploadConfigObjects.Kubeadm(V132, yaml));
        Assert.Equal("ClusterObjects.EmptyClusterConfiguration", e.ErrorId);
        Assert.Equal("ClusterConfiguration", e.Target);
        Assert.Contains("kubeadm-config", e.Message);
        Assert.Contains("serialized ClusterConfiguration", e.RecommendedAction);
    }

    [Theory]
    [InlineData("1.32.0", "kubelet-config")]
    [InlineData("1.24.0", "kubelet-config")]
    [InlineData("1.23.0", "kubelet-config-1.23")]
    [InlineData("1.20.0", "kubelet-config-1.20")]
    public void An_empty_KubeletConfiguration_is_refused_naming_the_ConfigMap(string version, string configMap)
    {
        var e = Assert.Throws<KubeException>(() => UploadConfigObjects.Kubelet(KubeVersion.Parse(version), " ", null));
        Assert.Equal("ClusterObjects.EmptyKubeletConfiguration", e.ErrorId);
        Assert.Equal(configMap, e.Target);
        Assert.Contains(configMap, e.Message);
        Assert.Contains("KubeletConfiguration", e.RecommendedAction);
    }

    [Theory]
    [InlineData("cp1", "cp1.example", 6443)]
    [InlineData("cp1", "10.0.0.11", 0)]
    [InlineData("cp1", "10.0.0.11", 65536)]
    [InlineData(" ", "10.0.0.11", 6443)]
    public void A_ClusterStatus_API_endpoint_needs_a_node_name_an_IP_and_a_port(string node, string address, int port)
    {
        // 1.18–1.21 keep a ClusterStatus in kubeadm-config.
        var e = Assert.Throws<KubeException>(() => UploadConfigObjects.Kubeadm(KubeVersion.Parse("1.20.15"), "kind: ClusterConfiguration\n",
            [new ControlPlaneApiEndpoint(node, address, port)]));
        Assert.Equal("ClusterObjects.InvalidApiEndpoint", e.ErrorId);
        Assert.Equal(node, e.Target);
        Assert.Contains($"{address}:{port}", e.Message);
        Assert.Contains("1-65535", e.Message);
        Assert.Contains("6443", e.RecommendedAction);
    }

    [Theory]
    [InlineData("etc/kubernetes/pki")]
    [InlineData("")]
    [InlineData("~/pki")]
    public void Upload_certs_refuses_a_relative_certificates_dir(string dir)
    {
        var e = Assert.Throws<KubeException>(() => UploadCertsObjects.FilesToUpload(dir));
        Assert.Equal("ClusterObjects.InvalidCertificatesDir", e.ErrorId);
        Assert.Equal(dir, e.Target);
        Assert.Contains($"'{dir}'", e.Message);
        Assert.Contains("/etc/kubernetes/pki", e.RecommendedAction);
    }

    [Theory]
    [InlineData("")]
    [InlineData("unix:///run/containerd/containerd.sock extra")]
    [InlineData("\t")]
    public void The_CRI_socket_annotation_refuses_an_empty_socket_or_one_with_spaces(string socket)
    {
        var e = Assert.Throws<KubeException>(() => NodeObjects.CriSocketAnnotationPatch(V132, socket));
        Assert.Equal("ClusterObjects.InvalidCriSocket", e.ErrorId);
        Assert.Equal(socket, e.Target);
        Assert.Contains($"'{socket}'", e.Message);
        Assert.Contains("unix:///var/run/containerd/containerd.sock", e.RecommendedAction);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void CoreDNS_refuses_negative_replicas(int replicas)
    {
        var e = Assert.Throws<KubeException>(() => CoreDnsObjects.Render(Cluster("1.32.0"), replicas));
        Assert.Equal("ClusterObjects.InvalidReplicas", e.ErrorId);
        Assert.Equal(replicas.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Target);
        Assert.Contains($"({replicas})", e.Message);
        Assert.Contains("2", e.RecommendedAction);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-86400)]
    public void A_bootstrap_token_with_a_negative_TTL_is_refused_without_showing_its_secret(int seconds)
    {
        var ttl = TimeSpan.FromSeconds(seconds);
        var spec = new BootstrapTokenSpec("abcdef.0123456789abcdef") { Ttl = ttl };
        var e = Assert.Throws<KubeException>(() => BootstrapTokenObjects.Secret(spec, DateTimeOffset.UtcNow));
        Assert.Equal("ClusterObjects.InvalidTokenTtl", e.ErrorId);
        Assert.Equal(ttl.ToString(), e.Target);
        Assert.Contains("abcdef", e.Message);
        Assert.Contains(ttl.ToString(), e.Message);
        Assert.DoesNotContain("0123456789abcdef", e.Message);
        Assert.Contains("24h", e.RecommendedAction);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Certificate_renewal_refuses_a_validity_that_is_not_positive(int days)
    {
        var v = TimeSpan.FromDays(days);
        var e = Assert.Throws<KubeException>(() => new KubePS.Core.Pki.CertificateRenewalOptions { Validity = v }.Validate());
        Assert.Equal("Certificates.InvalidValidity", e.ErrorId);
        Assert.Equal(v, e.Target);
        Assert.Contains(v.ToString(), e.Message);
        Assert.Contains("365 days", e.RecommendedAction);
    }
}
