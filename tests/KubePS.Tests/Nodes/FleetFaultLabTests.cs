using KubePS.Core.Nodes;
using KubePS.Tests.Lab;
using Xunit;

namespace KubePS.Tests.Nodes;

/// <summary>
/// Faults injected into real nodes while a fleet operation runs: the failing node is that node's error, the others
/// finish. Each test restores the node it broke.
/// </summary>
[Collection(FaultLabCollection.Name)]
public sealed class FleetFaultLabTests(LabFixture fixture) : IAsyncLifetime
{
    readonly NodeLab _lab = fixture.Lab;
    IReadOnlyList<KubeNodeSession> _sessions = [];

    public async Task InitializeAsync() => _sessions = await _lab.OpenSessionsAsync();

    public async Task DisposeAsync()
    {
        foreach (var s in _sessions) await s.DisposeAsync();
    }

    [Fact]
    public async Task A_node_whose_sshd_is_killed_mid_operation_is_that_nodes_error_while_the_others_finish()
    {
        var victim = _lab.Nodes[1];
        var sink = new CapturingSink();
        try
        {
            var started = $"/tmp/kubeps-started-{Guid.NewGuid():N}";
            var run = NodeFleet.RunAsync(_sessions, "test: slow script", (s, ct) => s.RunAsync($"touch {started}; sleep 3; echo done", null, ct), sink);
            await WaitForFile(victim, started);   // the script runs on the victim: now its sshd dies under it
            await _lab.KillSshdAsync(victim);
            var results = await run;

            foreach (var (node, r) in _lab.Nodes.Zip(results))
            {
                if (node == victim)
                {
                    Assert.False(r.Succeeded);
                    Assert.Equal("Node.ConnectionLost", r.Error!.ErrorId);
                    Assert.Contains(victim.Address, r.Error.Message);
                }
                else
                {
                    Assert.True(r.Succeeded, r.Error?.Message);
                    Assert.Equal("done\n", r.Value!.Output);
                }
            }
            var error = Assert.Single(sink.Errors);
            Assert.Equal("Node.ConnectionLost", error.ErrorId);
            Assert.Same(_sessions[1], error.Target);
            AssertProgressCompleted(sink, _lab.Nodes.Count);
        }
        finally
        {
            await _lab.RestartNodeAsync(victim);
        }
        // The node is back with the same host key: a new session opens strictly.
        await using var again = await NodeSessionFactory.OpenAsync(_lab.SessionOptions(victim));
        Assert.Equal(victim.Name, (await again.RunAsync("hostname")).Output.Trim());
    }

    [Fact]
    public async Task A_node_whose_link_is_cut_mid_operation_is_Node_ConnectionLost_once_keepalives_fail()
    {
        var victim = _lab.Nodes[2];
        // Keepalives every second (ServerAliveCountMax 3): the dead link is noticed in about 4 s, not 15.
        // (Different options: a connection of its own, not the warm one of the other session.)
        await using var fast = await NodeSessionFactory.OpenAsync(_lab.SessionOptions(victim) with { SshOptions = ["ServerAliveInterval=1"] });
        var sink = new CapturingSink();
        try
        {
            var started = $"/tmp/kubeps-started-{Guid.NewGuid():N}";
            var run = NodeFleet.RunAsync([_sessions[0], fast], "test: script across a cut link",
                (s, ct) => s.RunAsync(s == fast ? $"touch {started}; sleep 10; echo done" : "sleep 1; echo done", null, ct), sink);
            await WaitForFile(victim, started);
            await _lab.CutLinkAsync(victim);
            var results = await run;
            Assert.True(results[0].Succeeded, results[0].Error?.Message);
            Assert.Equal("Node.ConnectionLost", results[1].Error?.ErrorId);
            AssertProgressCompleted(sink, 2);
        }
        finally
        {
            await _lab.RestoreLinkAsync(victim);
        }
    }

    async Task WaitForFile(LabNode node, string path) =>
        (await _lab.ExecAsync(node, $"for i in $(seq 200); do [ -e {path} ] && exit 0; sleep 0.05; done; exit 1")).EnsureSuccess($"{path} on {node}");

    static void AssertProgressCompleted(CapturingSink sink, int nodes)
    {
        var records = sink.Progress.ToList();
        var parent = records.First();
        Assert.Equal(-1, parent.ParentActivityId);
        var children = records.Where(p => p.ParentActivityId == parent.ActivityId).GroupBy(p => p.ActivityId).ToList();
        Assert.Equal(nodes, children.Count);
        Assert.All(children, c => Assert.True(c.Last().Completed));
        Assert.True(records.Last().Completed);
        Assert.Equal(parent.ActivityId, records.Last().ActivityId);
    }
}
