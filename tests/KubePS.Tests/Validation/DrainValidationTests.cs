using System.Net;
using System.Net.Sockets;
using KubePS.Core;
using KubePS.Core.Api;
using KubePS.Core.Cluster;
using KubePS.Core.Network;
using KubePS.Core.Workflows.Reset;
using KubePS.Tests.Infrastructure;
using Xunit;

namespace KubePS.Tests.Validation;

/// <summary>
/// A loopback port that listens but never answers: an API client pointed at it shows whether anything was sent
/// (a connection waits in the backlog) without a cluster.
/// </summary>
public sealed class SilentApi : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    public SilentApi() => _listener.Start();
    public KubeApiClient Client() =>
        new(new KubeApiCredentials(new Uri($"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}"), insecureSkipTlsVerify: true),
            TimeSpan.FromSeconds(2), TimeSpan.Zero);
    /// <summary>True when a client connected.</summary>
    public bool Contacted => _listener.Pending();
    public void Dispose() => _listener.Stop();
}

/// <summary>Suspend-KubeNode -Drain, Reset-KubeNode and Install-KubeNetworkPlugin refuse bad options before the API server is asked anything.</summary>
public sealed class DrainValidationTests
{
    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:05:00")]
    public async Task A_drain_timeout_that_is_not_positive_is_refused_before_the_cluster_is_asked(string value)
    {
        var t = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        using var api = new SilentApi();
        using var client = api.Client();
        var sink = new CapturingSink();
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => NodeDrain.SuspendAsync(client, "w1", true, new DrainOptions { Timeout = t }, sink, CancellationToken.None));
        Refusal.Names(e, "Drain.InvalidTimeout", t.ToString(), "positive");
        Assert.Contains(value, e.Message);
        Assert.False(api.Contacted);
        Assert.Empty(sink.Questions);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-30)]
    public async Task A_negative_grace_period_is_refused_before_the_cluster_is_asked(int seconds)
    {
        using var api = new SilentApi();
        using var client = api.Client();
        var e = await Assert.ThrowsAnyAsync<KubeException>(() =>
            NodeDrain.SuspendAsync(client, "w1", true, new DrainOptions { GracePeriodSeconds = seconds }, new CapturingSink(), CancellationToken.None));
        Refusal.Names(e, "Drain.InvalidGracePeriod", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "0 or more");
        Assert.False(api.Contacted);
    }

    [Fact]
    public void A_zero_grace_period_is_valid() => new DrainOptions { GracePeriodSeconds = 0 }.Validate();

    [Theory]
    [InlineData(0)]
    [InlineData(-1000)]
    public void A_retry_interval_that_is_not_positive_is_refused(int milliseconds)
    {
        var interval = TimeSpan.FromMilliseconds(milliseconds);
        var e = Assert.Throws<KubeException>(() => new DrainOptions { RetryInterval = interval }.Validate());
        Refusal.Names(e, "Drain.InvalidRetryInterval", interval.ToString(), "positive");
    }

    [Fact]
    public async Task Reset_with_remove_from_cluster_but_no_cluster_is_refused_before_the_node_is_touched()
    {
        var (session, node) = UntouchedNode.Session("w1");
        var sink = new CapturingSink();
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => ResetWorkflow.RunAsync(session, new ResetRequest { RemoveFromCluster = true }, sink, CancellationToken.None));
        Assert.Equal("Reset.NoCluster", e.ErrorId);
        Assert.Contains("-RemoveFromCluster", e.Message);
        Assert.Contains("-KubeConfig", e.RecommendedAction);
        Assert.Equal(0, node.Calls);
        Assert.Empty(sink.Questions);
    }

    [Fact]
    public async Task Reset_with_a_drain_timeout_that_is_not_positive_is_refused_before_the_node_is_touched()
    {
        // Found by this test: the drain options were only checked in the drain phase, after the node's preflight read it.
        using var api = new SilentApi();
        using var client = api.Client();
        var (session, node) = UntouchedNode.Session("w1");
        var sink = new CapturingSink();
        var e = await Assert.ThrowsAnyAsync<KubeException>(() =>
            ResetWorkflow.RunAsync(session, new ResetRequest { RemoveFromCluster = true, Api = client, DrainTimeout = TimeSpan.Zero }, sink, CancellationToken.None));
        Refusal.Names(e, "Drain.InvalidTimeout", TimeSpan.Zero.ToString(), "positive");
        Assert.Equal(0, node.Calls);
        Assert.False(api.Contacted);
        Assert.Empty(sink.Questions);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:10")]
    public async Task Reset_with_a_static_pod_stop_timeout_that_is_not_positive_is_refused_before_the_node_is_touched(string value)
    {
        // Found by this test: a negative wait was taken and rendered into the cleanup script as a loop that never waits.
        var t = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        var (session, node) = UntouchedNode.Session("w1");
        var e = await Assert.ThrowsAnyAsync<KubeException>(() =>
            ResetWorkflow.RunAsync(session, new ResetRequest { StaticPodStopTimeout = t }, new CapturingSink(), CancellationToken.None));
        Refusal.Names(e, "Reset.InvalidTimeout", t.ToString(), "positive");
        Assert.Equal(0, node.Calls);
    }

    [Theory]
    [InlineData("registry.example.com:5000")]
    [InlineData("")]
    [InlineData("registry.example.com/ calico")]
    public void A_network_plugin_image_repository_that_is_not_a_registry_path_is_refused(string repo)
    {
        var e = Assert.Throws<KubeException>(() =>
            new NetworkPluginRequest { KubernetesVersion = Core.Versioning.VersionCatalog.NewestRelease, PodSubnet = "10.244.0.0/16", ImageRepository = repo }.Validate());
        Refusal.Names(e, "Network.InvalidImageRepository", repo, "host[:port]/path");
        Assert.Contains("registry.example.com/calico", e.Message);
    }

    [Theory]
    [InlineData("registry.example.com:5000", null)]
    [InlineData(null, "10.244.0.0/28")]
    [InlineData(null, "10.244.0.0")]
    public async Task Install_network_plugin_refuses_a_bad_image_repository_or_pod_subnet_before_the_cluster_is_asked(string? repo, string? subnet)
    {
        // Found by this test: the API server's version and kubeadm-config were read first, so the refusal needed a reachable cluster.
        using var api = new SilentApi();
        using var client = api.Client();
        var e = await Assert.ThrowsAnyAsync<KubeException>(() =>
            NetworkPluginInstaller.InstallAsync(client, NetworkPluginKind.Flannel, subnet, null, repo, new CapturingSink(), CancellationToken.None));
        Assert.Equal(repo is not null ? "Network.InvalidImageRepository" : "Network.InvalidPodSubnet", e.ErrorId);
        Assert.Contains((repo ?? subnet)!, e.Message);
        Assert.False(api.Contacted);
    }
}
