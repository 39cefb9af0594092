using KubePS.Core;
using KubePS.Core.Nodes;
using Xunit;

namespace KubePS.Tests.Nodes;

/// <summary>The fleet runner on its own (no nodes): throttling, per-node errors, progress, cancellation.</summary>
public sealed class NodeFleetTests
{
    static readonly string[] Nodes = ["cp1", "cp2", "cp3", "w1", "w2", "w3", "w4"];

    [Fact]
    public async Task No_more_than_the_throttle_limit_run_at_once_and_every_node_runs()
    {
        int running = 0, peak = 0;
        var sink = new CapturingSink();
        var results = await NodeFleet.RunAsync(Nodes, n => n, "test", async (n, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            lock (Nodes) peak = Math.Max(peak, now);
            await Task.Delay(30, ct);
            Interlocked.Decrement(ref running);
            return n.ToUpperInvariant();
        }, sink, throttleLimit: 3);

        Assert.Equal(Nodes.Select(n => n.ToUpperInvariant()), results.Select(r => r.Value));
        Assert.InRange(peak, 1, 3);
        Assert.Empty(sink.Errors);
    }

    [Fact]
    public async Task A_failing_node_becomes_its_own_error_with_the_node_as_target_and_the_others_finish()
    {
        var sink = new CapturingSink();
        var results = await NodeFleet.RunAsync(Nodes, n => n, "test", async (n, ct) =>
        {
            await Task.Yield();
            if (n == "cp2") throw new KubeException("Node.Unreachable", "cp2: cannot connect", KubeErrorCategory.ConnectionError, "cp2", "check it");
            if (n == "w2") throw new InvalidOperationException("boom");
            return n;
        }, sink);

        Assert.Equal(5, results.Count(r => r.Succeeded));
        var unreachable = Assert.Single(sink.Errors, e => e.ErrorId == "Node.Unreachable");
        Assert.Equal(KubeErrorCategory.ConnectionError, unreachable.Category);
        Assert.Equal("check it", unreachable.RecommendedAction);
        var unexpected = Assert.Single(sink.Errors, e => e.ErrorId == "Node.OperationFailed");
        Assert.Equal("w2", unexpected.Target);
        Assert.Contains("w2", unexpected.Message);
        Assert.IsType<InvalidOperationException>(unexpected.InnerException);
        Assert.Same(results[1].Error, unreachable);
    }

    [Fact]
    public async Task Progress_has_one_parent_and_one_child_per_node_and_all_are_completed_even_on_failure()
    {
        var sink = new CapturingSink();
        await NodeFleet.RunAsync(Nodes, n => n, "Preflight", (n, ct) =>
            n.StartsWith('w') ? throw new KubeException("X.Y", "fail") : Task.FromResult(n), sink);

        var records = sink.Progress.ToList();
        var parent = records[0];
        Assert.Equal("Preflight", parent.Activity);
        Assert.Equal(-1, parent.ParentActivityId);
        var children = records.Where(r => r.ParentActivityId == parent.ActivityId).GroupBy(r => r.ActivityId).ToList();
        Assert.Equal(Nodes.Length, children.Count);
        Assert.Equal(Nodes.OrderBy(n => n), children.Select(c => c.First().Activity).OrderBy(n => n));
        Assert.All(children, c => Assert.True(c.Last().Completed));
        Assert.True(records[^1].Completed);
        Assert.Equal(parent.ActivityId, records[^1].ActivityId);
    }

    [Fact]
    public async Task Cancellation_stops_the_fleet_and_still_completes_the_parent_progress()
    {
        using var cts = new CancellationTokenSource();
        var sink = new CapturingSink();
        var run = NodeFleet.RunAsync(Nodes, n => n, "test", async (n, ct) => { await Task.Delay(Timeout.Infinite, ct); return n; }, sink, 2, cts.Token);
        await Task.Delay(50);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Empty(sink.Errors);
        Assert.True(sink.Progress.Last().Completed);
    }

    [Fact]
    public async Task A_throttle_limit_below_one_is_Node_InvalidThrottleLimit() =>
        Assert.Equal("Node.InvalidThrottleLimit", (await Assert.ThrowsAsync<KubeException>(() =>
            NodeFleet.RunAsync(Nodes, n => n, "test", (n, ct) => Task.FromResult(n), new CapturingSink(), 0))).ErrorId);

    [Fact]
    public async Task Invoke_asks_before_each_node_and_skips_the_nodes_it_may_not_change()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"kubeps-test-{Guid.NewGuid():N}");
        try
        {
            var sessions = new List<KubeNodeSession>();
            foreach (var n in new[] { "a1", "a2" })
                sessions.Add(await NodeSessionFactory.OpenAsync(new NodeSessionOptions { HostName = n, DryRunPath = dir }));
            var declined = new CapturingSink(answer: false);
            var results = await NodeCommand.InvokeAsync(sessions, "echo hi", null, declined);
            Assert.Empty(results);
            Assert.Equal(2, declined.Questions.Count);
            Assert.False(File.Exists(Path.Combine(dir, "a1", "commands.sh")));

            var allowed = new CapturingSink();
            Assert.Equal(2, (await NodeCommand.InvokeAsync(sessions, "echo hi", null, allowed)).Count);
            Assert.True(File.Exists(Path.Combine(dir, "a1", "commands.sh")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>The process-wide session registry.</summary>
public sealed class NodeSessionRegistryTests
{
    static KubeNodeSession Fake(string host) => new(host, NodeTransportKind.DryRun, new DryRunTransport(host, "/nonexistent-kubeps"));

    [Fact]
    public async Task Sessions_are_found_by_host_name_case_insensitively_and_a_new_one_replaces_the_old()
    {
        var host = $"reg-{Guid.NewGuid():N}";
        var first = Fake(host);
        Assert.Null(NodeSessionRegistry.Add(first));
        Assert.Same(first, NodeSessionRegistry.Get(host.ToUpperInvariant()));
        Assert.Contains(first, NodeSessionRegistry.All);

        var second = Fake(host);
        Assert.Same(first, NodeSessionRegistry.Add(second));
        Assert.Same(second, NodeSessionRegistry.Find(host));
        Assert.False(first.IsClosed);

        await NodeSessionRegistry.RemoveAsync(first);          // not the registered one: the entry stays
        Assert.Same(second, NodeSessionRegistry.Find(host));
        await NodeSessionRegistry.RemoveAsync(second);
        Assert.Null(NodeSessionRegistry.Find(host));
        Assert.Equal("Node.SessionNotFound", Assert.Throws<KubeException>(() => NodeSessionRegistry.Get(host)).ErrorId);
    }
}
