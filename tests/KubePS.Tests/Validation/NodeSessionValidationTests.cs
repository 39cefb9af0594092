using KubePS.Core;
using KubePS.Core.Bootstrap;
using KubePS.Core.Nodes;
using KubePS.Tests.Infrastructure;
using Xunit;

namespace KubePS.Tests.Validation;

/// <summary>Invoke-KubeNodeCommand and the node probe refuse bad input before a node is touched.</summary>
public sealed class NodeSessionValidationTests
{
    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\n\t\n")]
    public async Task An_empty_script_is_refused_before_any_node_is_touched(string script)
    {
        var (a, na) = UntouchedNode.Session("n1");
        var sink = new CapturingSink();
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => NodeCommand.InvokeAsync([a], script, null, sink));
        Assert.Equal("Node.EmptyScript", e.ErrorId);
        Assert.Contains("bash commands", e.RecommendedAction);
        Assert.Equal(0, na.Calls);
        Assert.Empty(sink.Questions);
    }

    [Theory]
    [InlineData("var/lib/etcd")]
    [InlineData("")]
    [InlineData("/var/lib/etcd\nrm -rf /")]
    public async Task A_probe_path_that_is_not_absolute_is_refused_before_the_node_is_touched(string path)
    {
        var node = new UntouchedNode("n1");
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => NodeProbe.GatherAsync(node, new NodeProbeOptions { Paths = ["/etc/kubernetes", path] }, CancellationToken.None));
        Refusal.Names(e, "Node.InvalidProbePath", path, "/var/lib/etcd");
        Assert.Equal(0, node.Calls);
    }

    [Theory]
    [InlineData("containerd.sock")]
    [InlineData("unix://run/containerd.sock")]
    [InlineData("tcp://127.0.0.1:9000")]
    public async Task A_probed_cri_socket_that_is_not_a_unix_socket_is_refused_before_the_node_is_touched(string socket)
    {
        var node = new UntouchedNode("n1");
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => NodeProbe.GatherAsync(node, new NodeProbeOptions { CriSockets = [socket] }, CancellationToken.None));
        Refusal.Names(e, "Node.InvalidCriSocket", socket, "unix:///var/run/containerd/containerd.sock");
        Assert.Equal(0, node.Calls);
    }

    [Fact]
    public async Task Uploading_certificates_from_a_folder_that_does_not_exist_is_refused_before_the_cluster_is_asked()
    {
        using var api = new SilentApi();
        using var client = api.Client();
        using var temp = new TempDir();
        string dir = temp.File("pki");
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => ControlPlaneCertificates.PublishFromDirectoryAsync(client, dir, null, new CapturingSink(), CancellationToken.None));
        Refusal.Names(e, "Bootstrap.CertificatesDirNotFound", dir, "ca.crt", "sa.key");
        Assert.False(api.Contacted);
        Assert.False(Directory.Exists(dir));
    }
}
