using KubePS.Core;
using KubePS.Core.Workflows.Init;
using KubePS.Tests.Infrastructure;
using Xunit;
using static KubePS.Tests.Init.InitTestSupport;

namespace KubePS.Tests.Validation;

/// <summary>Initialize-KubeControlPlane (InitWorkflow.RunAsync) refuses bad parameters before the node or a dry-run folder is touched.</summary>
public sealed class InitValidationTests : IDisposable
{
    readonly string _dir = TempDir();
    public void Dispose() => Delete(_dir);

    static async Task<(KubeException Error, int Calls)> OnUntouchedNode(Func<InitRequest, InitRequest> tweak)
    {
        var (session, node) = UntouchedNode.Session("cp1");
        var request = tweak(new InitRequest { Configuration = Config(ExampleEcdsa) });
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => InitWorkflow.RunAsync(session, request, new CapturingSink(), CancellationToken.None));
        return (e, node.Calls);
    }

    [Theory]
    [InlineData("CP1")]
    [InlineData("cp 1")]
    [InlineData("cp_1")]
    [InlineData("-cp1")]
    [InlineData("cp1.")]
    [InlineData("cp..1")]
    [InlineData("cp1/x")]
    public async Task A_node_name_that_is_not_a_lower_case_dns_name_is_refused_before_the_node_is_touched(string name)
    {
        // Found by this test: names with '_', '/', a leading '-' or empty labels were taken (only case and spaces were checked),
        // though kubeadm and the API server refuse them as a Node's name.
        var (e, calls) = await OnUntouchedNode(r => r with { NodeName = name });
        Refusal.Names(e, "Init.InvalidNodeName", name, "RFC 1123", "cp1");
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("cp1")]
    [InlineData("cp-1.example.com")]
    [InlineData("10.0.0.11")]
    public void A_lower_case_dns_name_is_a_valid_node_name(string name) =>
        new InitRequest { Configuration = Config(ExampleEcdsa), NodeName = name }.Validate();

    [Theory]
    [InlineData("kubeps-rel-{0}")]
    [InlineData("./kubeps-rel-{0}")]
    [InlineData("kubeps-rel-{0}/dryrun")]
    public async Task A_relative_dry_run_folder_is_refused_before_anything_is_written(string template)
    {
        string id = Guid.NewGuid().ToString("N");
        string path = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, id);
        var e = await Assert.ThrowsAnyAsync<KubeException>(() =>
            InitWorkflow.RunAsync(null, new InitRequest { Configuration = Config(ExampleEcdsa), DryRunPath = path }, new CapturingSink(), CancellationToken.None));
        Refusal.Names(e, "Init.InvalidOutputPath", path, "full path");
        Assert.Empty(Directory.GetFileSystemEntries(Directory.GetCurrentDirectory(), $"kubeps-rel-{id}*"));
    }

    [Fact]
    public async Task Without_a_session_and_without_a_dry_run_init_says_what_to_give()
    {
        var e = await Assert.ThrowsAnyAsync<KubeException>(() =>
            InitWorkflow.RunAsync(null, new InitRequest { Configuration = Config(ExampleEcdsa) }, new CapturingSink(), CancellationToken.None));
        Assert.Equal("Init.SessionRequired", e.ErrorId);
        Assert.Contains("New-KubeNodeSession", e.RecommendedAction);
        Assert.Contains("-DryRun -OutputPath", e.RecommendedAction);
    }

    [Theory]
    [InlineData("cluster")]
    public async Task A_dry_run_node_named_cluster_is_refused_and_nothing_is_written(string name)
    {
        var e = await Assert.ThrowsAnyAsync<KubeException>(() =>
            InitWorkflow.RunAsync(null, new InitRequest { Configuration = Config(ExampleEcdsa.Replace("  name: cp1\n", "")), DryRunPath = _dir, NodeName = name },
                new CapturingSink(), CancellationToken.None));
        Assert.Equal("Init.InvalidNodeName", e.ErrorId);
        Assert.Contains("'cluster'", e.Message);
        Assert.Contains("another node name", e.RecommendedAction);
        Assert.Empty(Snapshot(_dir));
    }
}
