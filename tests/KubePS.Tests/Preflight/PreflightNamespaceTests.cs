using KubePS.Core.Nodes;
using KubePS.Core.Preflight;
using KubePS.Core.Versioning;
using KubePS.Tests.Preflight.Support;
using Xunit;

namespace KubePS.Tests.Preflight;

/// <summary>
/// Preflight for real: the probe runs with bash inside network and mount namespaces these tests create, where a
/// port is held open or /proc/swaps and /etc/fstab are replaced, and the runner must see exactly that node's state.
/// </summary>
public sealed class PreflightNamespaceTests
{
    static KubePreflightRequest Init(string version = "1.30.4") => new() { KubernetesVersion = KubeVersion.Parse(version) };

    [Fact]
    public async Task A_node_with_6443_held_open_fails_Port_6443_and_a_fresh_node_does_not()
    {
        await using var busy = await NamespaceNode.StartAsync("busy", new NamespaceNode.Options { Setup = NodeProbeTests.Listener(6443) });
        await using var idle = await NamespaceNode.StartAsync("idle", new NamespaceNode.Options());
        var sink = new CapturingSink();

        var busyReport = await PreflightRunner.RunAsync(busy.Transport(), Init(), sink, default);
        var idleReport = await PreflightRunner.RunAsync(idle.Transport(), Init(), sink, default);

        var port = Assert.Single(busyReport.Results, r => r.Check == "Port-6443");
        Assert.False(port.Passed);
        Assert.Equal(PreflightSeverity.Error, port.Severity);
        Assert.Contains(busyReport.Errors, r => r.Check == "Port-6443");
        Assert.True(Assert.Single(idleReport.Results, r => r.Check == "Port-6443").Passed);
        Assert.True(Assert.Single(busyReport.Results, r => r.Check == "Port-10250").Passed);
    }

    [Theory]
    [InlineData("1.30.4", PreflightSeverity.Warning)]
    [InlineData("1.22.17", PreflightSeverity.Error)]
    public async Task A_node_whose_proc_swaps_lists_a_device_fails_Swap(string version, PreflightSeverity expected)
    {
        await using var node = await NamespaceNode.StartAsync("swappy", new NamespaceNode.Options
        {
            Setup = """
                d=$(mktemp -d); mount -t tmpfs kubeps-test "$d"
                printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/vdb2                               partition\t4194300\t0\t-2\n' > "$d/swaps"
                printf '/dev/vdb2 none swap sw 0 0\n' > "$d/fstab"
                mount --bind "$d/swaps" /proc/swaps
                mount --bind "$d/fstab" /etc/fstab
                """,
        });
        var report = await PreflightRunner.RunAsync(node.Transport(), Init(version), new CapturingSink(), default);
        var swap = Assert.Single(report.Results, r => r.Check == "Swap");
        Assert.False(swap.Passed);
        Assert.Equal(expected, swap.Severity);
        Assert.Contains("/dev/vdb2", swap.Message);
        Assert.Contains("fstab", swap.Message);
    }

    [Fact]
    public async Task The_session_caches_the_facts_and_gathers_again_only_for_paths_it_lacks()
    {
        await using var node = await NamespaceNode.StartAsync("cached", new NamespaceNode.Options());
        var transport = node.Transport();
        var session = new KubeNodeSession("cached", NodeTransportKind.Local, transport);
        await PreflightRunner.RunAsync(session, Init(), new CapturingSink(), default);
        await PreflightRunner.RunAsync(session, Init(), new CapturingSink(), default);
        Assert.Single(transport.Scripts);
        Assert.NotNull(session.Facts);
        await PreflightRunner.RunAsync(session, Init() with { EtcdDataDir = "/srv/etcd" }, new CapturingSink(), default);
        Assert.Equal(2, transport.Scripts.Count);
        Assert.Equal(NodePathState.Absent, session.Facts!.PathState("/srv/etcd"));
    }
}
