using KubePS.Core.Nodes;
using KubePS.Core.Preflight;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Tests.Lab;
using KubePS.Tests.Preparation;
using Xunit;
using Xunit.Abstractions;
using Sink = KubePS.Tests.Infrastructure.CapturingSink;

namespace KubePS.Tests.Preflight;

/// <summary>
/// Invoke-KubePreflight's Core path (FleetPreparation.PreflightAsync) over real SSH on three lab nodes with shims, each
/// in a different real state set up with nsenter: a port held open by a process in the node, swap in the node's
/// /proc/swaps view and fstab. The results are judged against that state as ss and /proc/swaps show it.
/// </summary>
public sealed class LabPreflightTests(ITestOutputHelper output)
{
    static KubePreflightRequest Init(string version, params string[] ignore) =>
        new() { Role = PreflightRole.ControlPlane, KubernetesVersion = KubeVersion.Parse(version), IgnorePreflightErrors = ignore };

    static KubePreflightResult Check(NodePreflightOutcome o, string name) => o.Report.Results.Single(r => r.Check == name);

    [Fact]
    public async Task Preflight_results_match_each_nodes_real_state_and_ignored_errors_become_warnings()
    {
        await using var lab = await NodeLab.CreateAsync(3, withShims: true);
        var (busy, swapping, clean) = (lab.Nodes[0], lab.Nodes[1], lab.Nodes[2]);
        await LabPrep.HoldPortAsync(lab, busy, 6443);
        await LabPrep.FakeSwapAsync(lab, swapping);
        var sessions = await LabPrep.OpenAsync(lab, lab.Nodes, new Sink());

        // The judges: what the nodes really are, read without KubePS.
        Assert.True(await LabPrep.ListensAsync(lab, busy, 6443));
        Assert.False(await LabPrep.ListensAsync(lab, swapping, 6443));
        Assert.False(await LabPrep.ListensAsync(lab, clean, 6443));
        Assert.Equal("1", (await LabPrep.ShAsync(lab, swapping, "tail -n +2 /proc/swaps | wc -l")).Trim());
        Assert.Equal("0", (await LabPrep.ShAsync(lab, clean, "tail -n +2 /proc/swaps | wc -l")).Trim());

        var sink = new Sink();
        var outcomes = await FleetPreparation.PreflightAsync(sessions, Init("1.30.4"), sink);
        Assert.Equal(3, outcomes.Count);
        foreach (var o in outcomes)
            foreach (var r in o.Report.Results.Where(r => !r.Passed)) output.WriteLine(r.ToString());

        var (b, s, c) = (outcomes[0], outcomes[1], outcomes[2]);
        Assert.False(Check(b, "Port-6443").Passed);
        Assert.Equal(PreflightSeverity.Error, Check(b, "Port-6443").Severity);
        Assert.True(Check(s, "Port-6443").Passed);
        Assert.True(Check(c, "Port-6443").Passed);

        // 1.23 and later: swap is a warning; the swapping node's fstab line is named too.
        Assert.False(Check(s, "Swap").Passed);
        Assert.Equal(PreflightSeverity.Warning, Check(s, "Swap").Severity);
        Assert.Contains("/swap.img", Check(s, "Swap").Message);
        Assert.Contains("fstab", Check(s, "Swap").Message);
        Assert.True(Check(b, "Swap").Passed);
        Assert.True(Check(c, "Swap").Passed);

        // Every node has errors here (no container runtime, no kubelet): each gets its own Preflight.Failed.
        Assert.Equal(3, sink.Errors.Count);
        Assert.Equal(sessions.ToHashSet(), sink.Errors.Select(e => (KubeNodeSession)e.Target!).ToHashSet());
        Assert.All(sink.Errors, e => Assert.Equal("Preflight.Failed", e.ErrorId));
        Assert.Contains("Port-6443", sink.Errors.Single(e => e.Target == sessions[0]).Message);
        Assert.DoesNotContain("Port-6443", sink.Errors.Single(e => e.Target == sessions[2]).Message);

        // 1.22: swap is an error.
        var old = await FleetPreparation.PreflightAsync([sessions[1]], Init("1.22.17"), new Sink());
        Assert.Equal(PreflightSeverity.Error, Check(old[0], "Swap").Severity);
        Assert.True(Check(old[0], "Swap").Blocking);

        // -IgnorePreflightErrors: the names kubeadm users know, case-insensitive; ignored errors are warnings, and a
        // node whose every error is ignored passes.
        var cleanErrors = c.Report.Errors.Select(e => e.Check).ToArray();
        var ignoring = await FleetPreparation.PreflightAsync(sessions, Init("1.30.4", [.. cleanErrors.Select(n => n.ToLowerInvariant())]), sink = new Sink());
        var port = Check(ignoring[0], "Port-6443");
        Assert.False(port.Ignored);
        Assert.True(port.Blocking, "Port-6443 was not in the ignore list");
        Assert.All(cleanErrors, n => Assert.True(Check(ignoring[2], n).Ignored && Check(ignoring[2], n).Severity == PreflightSeverity.Warning));
        Assert.True(ignoring[2].Report.Passed);
        Assert.DoesNotContain(sink.Errors, e => e.Target == sessions[2]);
        Assert.Contains(sink.Errors, e => e.Target == sessions[0]);

        var all = await FleetPreparation.PreflightAsync(sessions, Init("1.30.4", "all"), sink = new Sink());
        Assert.All(all, o => Assert.True(o.Report.Passed));
        Assert.True(Check(all[0], "Port-6443").Ignored);
        Assert.Empty(sink.Errors);
    }

    [Fact]
    public async Task Without_systemd_a_service_is_active_when_its_process_runs_and_the_probes_own_version_commands_do_not_count()
    {
        await using var lab = await NodeLab.CreateAsync(1);
        var node = lab.Nodes[0];
        var session = Assert.Single(await LabPrep.OpenAsync(lab, [node], new Sink()));
        // The node has the host's containerd binary (the probe runs "containerd --version") but no containerd runs.
        Assert.Equal("", (await LabPrep.ShAsync(lab, node, "command -v containerd >/dev/null && pgrep -x containerd || true")).Trim());
        var facts = Assert.Single(await FleetPreparation.GetFactsAsync([session], refresh: true, new Sink()));
        Assert.Equal(InitSystemKind.Other, facts.InitSystem);
        Assert.NotNull(facts.ContainerdVersion);
        Assert.False(facts.Services["containerd"].IsActive);

        // A process named containerd (a copy of sleep) is what the probe goes by without systemd.
        await LabPrep.ShAsync(lab, node, "cp /bin/sleep /tmp/containerd; setsid /tmp/containerd 600 </dev/null >/dev/null 2>&1 & sleep 0.2; pgrep -x containerd");
        facts = Assert.Single(await FleetPreparation.GetFactsAsync([session], refresh: true, new Sink()));
        Assert.True(facts.Services["containerd"].IsActive);
    }
}
