using KubePS.Core;
using KubePS.Core.Configuration;
using KubePS.Core.Pki;
using Xunit;

namespace KubePS.Tests.Pki;

/// <summary>The seeds' configuration file drives the certificates: Import-KubeadmConfiguration f.yaml | New-KubePki.</summary>
public sealed class ConfigurationToPkiTests
{
    static KubeClusterConfiguration Example() => KubeClusterConfiguration.ReadFile(Repo.Path_("examples", "kubeadm-config.yaml"));

    [Fact]
    public void The_example_configuration_yields_an_apiserver_certificate_with_every_certSAN_judged_by_openssl()
    {
        var config = Example();
        var request = PkiRequest.FromConfiguration(config, "cp1", "10.0.0.10");
        using var dir = new TempDir();
        KubePkiBuilder.Create(request).Export(dir.Path);

        var sans = Tool.Sans(dir.File("apiserver.crt"));
        foreach (var san in config.ApiServerCertSANs)
            Assert.Contains(System.Net.IPAddress.TryParse(san, out _) ? $"IP Address:{san}" : $"DNS:{san}", sans);
        // And what kubeadm adds itself (facts §1.2): the endpoint host, the first service IP, the advertise address, node name.
        Assert.Contains("DNS:k8s-api.example.internal", sans);
        Assert.Contains("IP Address:10.96.0.1", sans);
        Assert.Contains("IP Address:10.0.0.10", sans);
        Assert.Contains("DNS:cp1", sans);
        foreach (var san in config.EtcdServerCertSANs)
            Assert.Contains(System.Net.IPAddress.TryParse(san, out _) ? $"IP Address:{san}" : $"DNS:{san}", Tool.Sans(dir.File("etcd/server.crt")));
        foreach (var san in config.EtcdPeerCertSANs)
            Assert.Contains($"IP Address:{san}", Tool.Sans(dir.File("etcd/peer.crt")));
        Assert.Equal(0, Tool.Run("openssl", "verify", "-CAfile", dir.File("ca.crt"), dir.File("apiserver.crt")).ExitCode);
    }

    [Fact]
    public void Node_name_and_address_come_from_the_configuration_when_not_given()
    {
        var request = PkiRequest.FromConfiguration(Example());
        Assert.Equal("cp1", request.NodeName);
        Assert.Equal("10.0.0.11", request.AdvertiseAddress);
        Assert.Equal("registry.aliyuncs.com/google_containers", Example().ImageRepository);
        Assert.Equal("v1.30.14", request.KubernetesVersion.ToString());
    }

    [Fact]
    public void A_configuration_without_node_name_and_no_argument_is_refused_before_anything_is_made()
    {
        var config = KubeClusterConfiguration.Parse("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.30.4\n");
        var e = Assert.Throws<KubeException>(() => PkiRequest.FromConfiguration(config, advertiseAddress: "10.0.0.10"));
        Assert.Equal("Pki.NodeNameRequired", e.ErrorId);
    }

    [Fact]
    public void An_invalid_configuration_is_refused_with_its_validation_error()
    {
        var config = KubeClusterConfiguration.Parse("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.30.4\nnetworking:\n  serviceSubnet: 10.96.0.0/12\n  podSubnet: 10.96.0.0/16\n");
        var e = Assert.ThrowsAny<KubeException>(() => PkiRequest.FromConfiguration(config, "cp1", "10.0.0.10"));
        Assert.Equal("Config.OverlappingSubnets", e.ErrorId);
    }
}
