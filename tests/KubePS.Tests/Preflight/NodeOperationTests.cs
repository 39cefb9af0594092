using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Preflight;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Tests.Preflight.Support;
using KubePS.Tests.Preparation;
using Xunit;

namespace KubePS.Tests.Preflight;

/// <summary>The per-node operations the cmdlets call, on namespace nodes and on a node whose transport fails.</summary>
public sealed class NodeOperationTests
{
    sealed class BrokenTransport(string host) : INodeTransport
    {
        public string HostName => host;
        public Task<CommandResult> RunAsync(string script, TimeSpan? timeout, CancellationToken ct) =>
            throw new KubeException("Node.Unreachable", $"{host}: connection refused", KubeErrorCategory.ConnectionError);
        public Task<IReadOnlyList<FileWriteResult>> WriteFilesAsync(IReadOnlyList<NodeFile> files, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyDictionary<string, byte[]?>> ReadFilesAsync(IReadOnlyList<string> paths, CancellationToken ct) => throw new NotSupportedException();
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Preflight_with_fix_turns_swap_off_and_the_second_preflight_passes_Swap()
    {
        await using var node = await PrepNode.StartAsync("opfix", """
            d=$(mktemp -d); mount -t tmpfs kubeps-test "$d"
            printf 'Filename\tType\tSize\tUsed\tPriority\n/swap.img file 100 0 -2\n' > "$d/swaps"; mount --bind "$d/swaps" /proc/swaps
            """);
        var session = new KubeNodeSession("opfix", NodeTransportKind.Local, node.Transport());
        var request = new KubePreflightRequest { Role = PreflightRole.Worker, KubernetesVersion = KubeVersion.Parse("1.30.4") };
        var outcome = await NodePreparation.PreflightAndFixAsync(session, request, new NodePrerequisiteOptions(), new RecordingSink(), default);
        Assert.False(outcome.Before.Results.Single(r => r.Check == "Swap").Passed);
        Assert.Contains(outcome.Fixes, f => f.Step == PreparationSteps.Swap && f.Changed);
        Assert.True(outcome.After.Results.Single(r => r.Check == "Swap").Passed);
        Assert.NotSame(outcome.Before, outcome.After);
    }

    [Fact]
    public async Task One_unreachable_node_is_a_non_terminating_error_and_the_next_node_still_runs()
    {
        await using var node = await NamespaceNode.StartAsync("opok", new NamespaceNode.Options());
        var sessions = new[]
        {
            new KubeNodeSession("down1", NodeTransportKind.OpenSsh, new BrokenTransport("down1")),
            new KubeNodeSession("opok", NodeTransportKind.Local, node.Transport()),
        };
        var sink = new RecordingSink();
        await KubePS.NodeSessionLoop.ForEachAsync(sessions, sink, default, "test", async s =>
            sink.WriteObject(await NodeProbe.GetFactsAsync(s, null, false, default)));
        var error = Assert.Single(sink.Errors);
        Assert.Equal("Node.Unreachable", error.ErrorId);
        Assert.Equal("down1", error.Target);
        Assert.Equal("opok", Assert.IsType<NodeFacts>(Assert.Single(sink.Objects)).NodeName);
    }
}
