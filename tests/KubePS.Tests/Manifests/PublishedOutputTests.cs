using System.Net;
using System.Text;
using KubePS.Core.Manifests;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.Manifests;

/// <summary>KubePS's renders compared with real kubeadm output published for other versions (Published/README.md).</summary>
public sealed class PublishedOutputTests
{
    static ControlPlaneManifestRequest Devbox() => new()
    {
        KubernetesVersion = KubeVersion.Parse("1.24.3"),
        NodeName = "devbox",
        AdvertiseAddress = IPAddress.Parse("192.168.47.128"),
        ExistingHostDirectories = ["/etc/pki", "/etc/ca-certificates", "/usr/share/ca-certificates", "/usr/local/share/ca-certificates"],
    };

    [Theory]
    [InlineData("kube-apiserver")]
    [InlineData("kube-controller-manager")]
    [InlineData("kube-scheduler")]
    public void Kubeadm_1_24_3_dry_run_manifests_are_reproduced_byte_for_byte(string component)
    {
        var r = Devbox();
        var file = component switch
        {
            "kube-apiserver" => StaticPodManifests.KubeApiServer(r),
            "kube-controller-manager" => StaticPodManifests.KubeControllerManager(r),
            _ => StaticPodManifests.KubeScheduler(r),
        };
        Assert.Equal(Published.Read($"v1.24.3-{component}.yaml"), Encoding.UTF8.GetString(file.Content));
    }

    [Fact]
    public void Kubeadm_1_24_3_dry_run_kubelet_files_are_reproduced_byte_for_byte()
    {
        var r = new KubeletRequest
        {
            KubernetesVersion = KubeVersion.Parse("1.24.3"), NodeName = "devbox",
            CriSocket = "unix:///var/run/cri-dockerd.sock", SystemdResolvedActive = true,
        };
        Assert.Equal(Published.Read("v1.24.3-kubelet-config.yaml"), Encoding.UTF8.GetString(KubeletFiles.Config(r).File.Content));
        Assert.Equal(Published.Read("v1.24.3-kubeadm-flags.env"), Encoding.UTF8.GetString(KubeletFiles.FlagsEnv(r).Content));
    }

    [Fact]
    public void Kubelet_config_map_of_1_19_3_is_reproduced_with_its_published_hash_annotation()
    {
        var r = new KubeletRequest
        {
            KubernetesVersion = KubeVersion.Parse("1.19.3"), NodeName = "master1",
            ServiceSubnet = "192.168.128.0/20", DockerCgroupDriver = "systemd", // dockershim, the 1.19 default socket
        };
        string doc = KubeletFiles.Config(r).ClusterDocument;
        Assert.Equal(Published.Read("v1.19.3-kubelet-config.yaml"), doc);
        Assert.Equal("sha256:8381625d7b7c8ec3f7b5f3f27668a0ca6df9c9dd7de75e87925758629d14c79c",
            ComponentConfigHash.Compute(new Dictionary<string, string> { ["kubelet"] = doc }));
    }

    [Theory]
    [InlineData("1.20.0", "v1.20.0-kubelet-config.yaml", false, "10.96.0.0/12", null)]
    [InlineData("1.22.9", "v1.22.9-kubelet-config.yaml", true, "10.96.0.0/12", null)]
    [InlineData("1.23.0", "v1.23.0-kubelet-config.yaml", false, "10.96.0.0/12", null)]
    [InlineData("1.30.14", "v1.30-kubelet-config.yaml", true, "10.96.0.0/12", null)]
    [InlineData("1.35.0", "v1.35.0-kubelet-config.yaml", false, "172.20.0.0/16", null)]
    public void Kubelet_config_yaml_matches_published_kubeadm_output(string version, string file, bool resolved, string serviceSubnet, string? socket)
    {
        var r = new KubeletRequest
        {
            KubernetesVersion = KubeVersion.Parse(version), NodeName = "node01",
            SystemdResolvedActive = resolved, ServiceSubnet = serviceSubnet, CriSocket = socket,
        };
        Assert.Equal(Published.Read(file), Encoding.UTF8.GetString(KubeletFiles.Config(r).File.Content));
    }
}
