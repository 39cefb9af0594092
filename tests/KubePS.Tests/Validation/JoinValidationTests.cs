using KubePS.Core;
using KubePS.Core.Bootstrap;
using KubePS.Core.Configuration;
using KubePS.Core.Nodes;
using KubePS.Core.Workflows.Join;
using KubePS.Tests.Infrastructure;
using Xunit;

namespace KubePS.Tests.Validation;

/// <summary>
/// Join-KubeNode (JoinWorkflow.RunAsync) refuses bad parameters before discovery and before any node is touched; the
/// token's secret never shows in a refusal.
/// </summary>
public sealed class JoinValidationTests
{
    const string Secret = "0123456789abcdef";
    static readonly BootstrapTokenString Token = BootstrapTokenString.Parse("abcdef." + Secret);
    const string Hash = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// <summary>A request whose discovery file does not exist: a refusal that came from discovery would be Discovery.*, not the id under test.</summary>
    static JoinRequest FileJoin() => new() { DiscoveryFile = "/nonexistent/kubeps-" + Guid.NewGuid().ToString("N") + "/discovery.yaml" };

    static async Task<(KubeException Error, int Calls)> Refused(JoinRequest request, int nodes = 1)
    {
        var pairs = Enumerable.Range(1, nodes).Select(i => UntouchedNode.Session($"w{i}")).ToList();
        var e = await Assert.ThrowsAnyAsync<KubeException>(() =>
            JoinWorkflow.RunAsync(pairs.Select(p => p.Session).ToList(), request, new CapturingSink(), CancellationToken.None));
        Assert.DoesNotContain(Secret, e.ToString());
        Assert.DoesNotContain(Secret, e.RecommendedAction ?? "");
        return (e, pairs.Sum(p => p.Node.Calls));
    }

    [Fact]
    public async Task Without_any_session_join_says_where_sessions_come_from()
    {
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => JoinWorkflow.RunAsync([], FileJoin(), new CapturingSink(), CancellationToken.None));
        Assert.Equal("Join.SessionRequired", e.ErrorId);
        Assert.Contains("New-KubeNodeSession", e.RecommendedAction);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task One_advertise_address_for_several_nodes_is_refused_before_any_node_is_touched(int nodes)
    {
        var (e, calls) = await Refused(FileJoin() with { AdvertiseAddress = "10.0.0.12" }, nodes);
        Refusal.Names(e, "Join.AdvertiseAddressForOneNode", "10.0.0.12", "alone");
        Assert.Contains($"{nodes} nodes", e.Message);
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("10.0.0.300")]
    [InlineData("w1.example.com")]
    [InlineData("10.0.0.12:6443")]
    public async Task An_advertise_address_that_is_not_an_ip_is_refused_before_any_node_is_touched(string address)
    {
        var (e, calls) = await Refused(FileJoin() with { AdvertiseAddress = address });
        Refusal.Names(e, "Join.InvalidAdvertiseAddress", address, "10.0.0.12");
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("W1")]
    [InlineData("w 1")]
    [InlineData("w_1")]
    [InlineData("w1-")]
    [InlineData("w1..example")]
    public async Task A_node_name_that_is_not_a_lower_case_dns_name_is_refused_before_any_node_is_touched(string name)
    {
        // Found by this test: '_', a trailing '-' and empty labels were taken as a node name.
        var (e, calls) = await Refused(FileJoin() with { NodeName = name });
        Refusal.Names(e, "Join.InvalidNodeName", name, "RFC 1123", "w1");
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    public async Task A_throttle_limit_below_one_is_refused_before_any_node_is_touched(int limit)
    {
        var (e, calls) = await Refused(FileJoin() with { ThrottleLimit = limit });
        Refusal.Names(e, "Join.InvalidThrottleLimit", limit.ToString(System.Globalization.CultureInfo.InvariantCulture), "from 1");
        Assert.Equal(0, calls);
    }

    public static TheoryData<string, string> BadTimeouts => new()
    {
        { "discovery", "00:00:00" }, { "discovery", "-00:00:05" },
        { "TLS bootstrap", "00:00:00" }, { "TLS bootstrap", "-00:01:00" },
        { "node Ready", "00:00:00" }, { "node Ready", "-1.00:00:00" },
    };

    [Theory]
    [MemberData(nameof(BadTimeouts))]
    public async Task A_timeout_that_is_not_positive_is_refused_before_any_node_is_touched(string which, string value)
    {
        var t = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        var request = which switch
        {
            "discovery" => FileJoin() with { DiscoveryTimeout = t },
            "TLS bootstrap" => FileJoin() with { TlsBootstrapTimeout = t },
            _ => FileJoin() with { NodeReadyTimeout = t },
        };
        var (e, calls) = await Refused(request);
        Refusal.Names(e, "Join.InvalidTimeout", t.ToString(), "positive");
        Assert.Contains(which, e.Message);
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("dryrun")]
    [InlineData("./out/join")]
    public async Task A_relative_dry_run_folder_is_refused_before_any_node_is_touched(string path)
    {
        var (e, calls) = await Refused(FileJoin() with { DryRunPath = path });
        Refusal.Names(e, "Join.InvalidOutputPath", path, "full path");
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task Several_bad_parameters_are_reported_together()
    {
        var (e, calls) = await Refused(FileJoin() with { NodeName = "W_1", ThrottleLimit = 0, DryRunPath = "rel" });
        Assert.Equal(["Join.InvalidNodeName", "Join.InvalidThrottleLimit", "Join.InvalidOutputPath"], Refusal.Ids(e));
        Assert.Equal(0, calls);
    }

    [Fact]
    public void A_join_command_without_a_ca_hash_is_refused_and_does_not_show_the_token()
    {
        var e = Assert.Throws<KubeException>(() => new KubeJoinCommand("10.0.0.10:6443", Token, [], null));
        Refusal.Names(e, "Join.NoCACertHash", "10.0.0.10:6443", "Get-KubeCACertHash");
        Assert.DoesNotContain(Secret, e.ToString());
        // With a hash it is a join command.
        Assert.Equal("10.0.0.10:6443", new KubeJoinCommand("10.0.0.10:6443", Token, [Hash], null).ApiServerEndpoint);
    }

    [Fact]
    public async Task A_join_command_from_a_kubeconfig_without_a_cluster_ca_is_refused_before_the_cluster_is_asked()
    {
        using var api = new SilentApi();
        using var client = api.Client();
        var e = await Assert.ThrowsAnyAsync<KubeException>(() =>
            JoinCommands.GetAsync(client, new JoinCommandRequest { TokenId = "abcdef" }, new CapturingSink(), CancellationToken.None));
        Refusal.Names(e, "Join.NoClusterCA", client.Credentials.Server.ToString(), "certificate-authority-data");
        Assert.False(api.Contacted);
    }

    [Theory]
    [InlineData("00:00:00", "00:00:05", "00:00:00")]
    [InlineData("-00:01:00", "00:00:05", "-00:01:00")]
    [InlineData("00:05:00", "00:00:00", "00:00:00")]
    [InlineData("00:05:00", "-00:00:01", "-00:00:01")]
    public void Token_discovery_with_a_non_positive_timeout_or_interval_is_refused_naming_it(string timeout, string interval, string offending)
    {
        // Found by this test: a bad retry interval was reported with the (good) timeout as the error's target.
        var request = new TokenDiscoveryRequest
        {
            ApiServerEndpoint = "10.0.0.10:6443", Token = Token, CACertHashes = [Hash],
            Timeout = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture),
            RetryInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture),
        };
        var e = Assert.Throws<KubeException>(() => TokenDiscovery.Validate(request, DateTimeOffset.UtcNow));
        Assert.Equal("Discovery.InvalidTimeout", e.ErrorId);
        Assert.Equal(TimeSpan.Parse(offending, System.Globalization.CultureInfo.InvariantCulture), e.Target);
        Assert.Contains(offending, e.Message);
        Assert.Contains("5 minutes and 5 seconds", e.RecommendedAction);
        Assert.DoesNotContain(Secret, e.ToString());
    }

    [Fact]
    public async Task A_discovery_file_path_that_cannot_be_read_as_a_file_is_refused_naming_it()
    {
        string dir = Tool.TempDir("val-discovery");
        try
        {
            var e = await Assert.ThrowsAnyAsync<KubeException>(() => DiscoveryFile.DiscoverAsync(dir, TimeSpan.FromSeconds(5), new CapturingSink(), CancellationToken.None));
            Refusal.Names(e, "Discovery.FileUnavailable", dir, "path");
            Assert.Contains(dir, e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
