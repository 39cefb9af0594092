using KubePS.Core;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.ClusterObjects;

/// <summary>Bad input fails before any object is rendered, with a stable id, the value and what would be valid.</summary>
public sealed class ClusterObjectsRequestTests : ClusterObjectsTestBase
{
    [Theory]
    [InlineData("http://10.0.0.1:6443", "ClusterObjects.InvalidEndpoint")]
    [InlineData("10.0.0.1:6443", "ClusterObjects.InvalidEndpoint")]
    [InlineData("https://10.0.0.1:6443/api", "ClusterObjects.InvalidEndpoint")]
    public void Control_plane_endpoint_must_be_an_https_url(string endpoint, string id)
    {
        var ex = Assert.Throws<KubeException>(() => BootstrapTokenObjects.ClusterInfo(Cluster("1.30", endpoint: endpoint)));
        Assert.Equal(id, ex.ErrorId);
        Assert.Contains(endpoint, ex.Message);
        Assert.Equal(KubeErrorCategory.InvalidArgument, ex.Category);
        Assert.NotNull(ex.RecommendedAction);
    }

    [Fact]
    public void Each_field_is_checked_with_its_own_error_id()
    {
        Assert.Equal("ClusterObjects.InvalidPodSubnet",
            Assert.Throws<KubeException>(() => KubeProxyObjects.Render(Cluster("1.30", podSubnet: "10.244.0.0/40"))).ErrorId);
        Assert.Equal("ClusterObjects.InvalidDnsDomain",
            Assert.Throws<KubeException>(() => CoreDnsObjects.Render(Cluster("1.30", dnsDomain: "cluster..local"))).ErrorId);
        Assert.Equal("ClusterObjects.InvalidImageRepository",
            Assert.Throws<KubeException>(() => CoreDnsObjects.Render(Cluster("1.30", imageRepository: "my registry"))).ErrorId);
        Assert.Equal("ClusterObjects.InvalidAdvertiseAddress",
            Assert.Throws<KubeException>(() => KubeProxyObjects.Render(Cluster("1.30", advertise: "cp1"))).ErrorId);
        Assert.Equal("Version.Unsupported",
            Assert.Throws<KubeException>(() => CoreDnsObjects.Render(Cluster("1.17"))).ErrorId);

        var noCa = new ClusterObjectsRequest { Version = KubeVersion.Parse("1.30"), ControlPlaneEndpoint = "https://10.0.0.1:6443", CACertificatePem = "hello" };
        Assert.Equal("ClusterObjects.InvalidCACertificate", Assert.Throws<KubeException>(() => BootstrapTokenObjects.ClusterInfo(noCa)).ErrorId);
        var badCa = new ClusterObjectsRequest
        {
            Version = KubeVersion.Parse("1.30"), ControlPlaneEndpoint = "https://10.0.0.1:6443",
            CACertificatePem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        };
        Assert.Equal("ClusterObjects.InvalidCACertificate", Assert.Throws<KubeException>(() => BootstrapTokenObjects.ClusterInfo(badCa)).ErrorId);
    }
}
