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
        var outcome = await NodePreparation.PreflightAndFixAsync(session, request, new NodePrerequisiteOptions(), new CapturingSink(), default);
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
        var sink = new CapturingSink();
        var facts = await FleetPreparation.GetFactsAsync(sessions, refresh: false, sink);
        var error = Assert.Single(sink.Errors);
        Assert.Equal("Node.Unreachable", error.ErrorId);
        Assert.Same(sessions[0], error.Target);
        Assert.Equal("opok", Assert.IsType<NodeFacts>(Assert.Single(sink.Objects)).NodeName);
        Assert.Equal("opok", Assert.Single(facts).NodeName);
    }

    /// <summary>
    /// A transport that answers the probe with healthy probe output only once <paramref name="gate"/> opens, and counts
    /// how many of its kind are inside RunAsync at once.
    /// </summary>
    sealed class GatedTransport(string host, Task gate, Counter counter) : INodeTransport
    {
        public string HostName => host;
        public async Task<CommandResult> RunAsync(string script, TimeSpan? timeout, CancellationToken ct)
        {
            counter.Enter();
            try
            {
                await gate.WaitAsync(ct);
                return new CommandResult(host, 0, ProbeOutput.Healthy(host).Text, "", TimeSpan.Zero);
            }
            finally { counter.Leave(); }
        }
        public Task<IReadOnlyList<FileWriteResult>> WriteFilesAsync(IReadOnlyList<NodeFile> files, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyDictionary<string, byte[]?>> ReadFilesAsync(IReadOnlyList<string> paths, CancellationToken ct) => throw new NotSupportedException();
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    sealed class Counter
    {
        int _now;
        public int Max;
        public readonly TaskCompletionSource AllInside = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Expected = int.MaxValue;
        public void Enter()
        {
            int n = Interlocked.Increment(ref _now);
            int m;
            while ((m = Max) < n && Interlocked.CompareExchange(ref Max, n, m) != m) { }
            if (n >= Expected) AllInside.TrySetResult();
        }
        public void Leave() => Interlocked.Decrement(ref _now);
    }

    [Fact]
    public async Task Preflight_checks_every_piped_node_at_the_same_time_and_a_failed_node_gets_its_own_error()
    {
        // The probes only answer once all four nodes are inside theirs: one node after the other would never finish.
        var counter = new Counter { Expected = 4 };
        var sessions = Enumerable.Range(1, 4).Select(i => new KubeNodeSession($"par{i}", NodeTransportKind.OpenSsh,
            new GatedTransport($"par{i}", counter.AllInside.Task, counter))).ToList<KubeNodeSession>();
        sessions.Add(new KubeNodeSession("down2", NodeTransportKind.OpenSsh, new BrokenTransport("down2")));
        var sink = new CapturingSink();
        var request = new KubePreflightRequest { Role = PreflightRole.Worker, KubernetesVersion = KubeVersion.Parse("1.30.4") };
        var run = FleetPreparation.PreflightAsync(sessions, request, sink);
        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30))));
        var outcomes = await run;

        Assert.Equal(4, counter.Max);
        Assert.Equal(["par1", "par2", "par3", "par4"], outcomes.Select(o => o.HostName));
        Assert.All(outcomes, o => Assert.True(o.Report.Passed, string.Join("; ", o.Report.Errors)));
        var error = Assert.Single(sink.Errors);
        Assert.Equal("Node.Unreachable", error.ErrorId);
        Assert.Same(sessions[4], error.Target);
        Assert.Equal(4 * outcomes[0].Report.Results.Count, sink.Objects.OfType<KubePreflightResult>().Count());
    }

    [Fact]
    public async Task A_throttle_limit_of_one_works_on_one_node_at_a_time()
    {
        var counter = new Counter();
        var open = Task.CompletedTask;
        var sessions = Enumerable.Range(1, 3).Select(i => new KubeNodeSession($"one{i}", NodeTransportKind.OpenSsh, new GatedTransport($"one{i}", open, counter))).ToList();
        var facts = await FleetPreparation.GetFactsAsync(sessions, refresh: true, new CapturingSink(), throttleLimit: 1);
        Assert.Equal(3, facts.Count);
        Assert.Equal(1, counter.Max);
    }

    [Fact]
    public async Task A_node_that_fails_its_checks_is_reported_as_Preflight_Failed_for_that_node_with_its_results()
    {
        var bad = ProbeOutput.Healthy("busy1").Add("net.listen", "10250");
        var sessions = new[]
        {
            new KubeNodeSession("busy1", NodeTransportKind.OpenSsh, new BrokenTransport("busy1")) { Facts = bad.Facts("busy1", new KubePreflightRequest().ProbeOptions) },
            new KubeNodeSession("ok1", NodeTransportKind.OpenSsh, new BrokenTransport("ok1")) { Facts = ProbeOutput.Healthy("ok1").Facts("ok1", new KubePreflightRequest().ProbeOptions) },
        };
        var sink = new CapturingSink();
        var outcomes = await FleetPreparation.PreflightAsync(sessions, new KubePreflightRequest { Role = PreflightRole.Worker, KubernetesVersion = KubeVersion.Parse("1.30.4") }, sink);
        Assert.Equal(2, outcomes.Count);
        var error = Assert.Single(sink.Errors);
        Assert.Equal("Preflight.Failed", error.ErrorId);
        Assert.Same(sessions[0], error.Target);
        Assert.Contains("Port-10250", error.Message);
        Assert.Contains(sink.Objects.OfType<KubePreflightResult>(), r => r.HostName == "busy1" && r.Check == "Port-10250" && !r.Passed);
        Assert.True(outcomes.Single(o => o.HostName == "ok1").Report.Passed);
    }
}
