using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Preflight;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.Preparation;

/// <summary>
/// The node-prerequisites plan applied for real, by bash, inside a namespace node whose /etc, /var/lib and /usr/local are
/// private overlays: the changes land in that node only, preflight passes afterwards, and a second run changes nothing.
/// </summary>
public sealed class PrerequisitesApplyTests
{
    const string FakeSwap = """
        d=$(mktemp -d); mount -t tmpfs kubeps-test "$d"
        printf 'Filename\tType\tSize\tUsed\tPriority\n/swap.img                               file\t2097148\t0\t-2\n' > "$d/swaps"
        mount --bind "$d/swaps" /proc/swaps
        printf '# /etc/fstab\nUUID=1234 / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n' > /etc/fstab
        echo 0 > /proc/sys/net/ipv4/ip_forward
        """;

    [Fact]
    public async Task Prerequisites_land_only_in_the_nodes_private_etc_and_a_second_run_changes_nothing()
    {
        string hostFstab = File.ReadAllText("/etc/fstab");
        string hostForward = File.ReadAllText("/proc/sys/net/ipv4/ip_forward");
        await using var node = await PrepNode.StartAsync("prep1", FakeSwap);
        var transport = node.Transport();
        var session = new KubeNodeSession("prep1", NodeTransportKind.Local, transport);
        var sink = new CapturingSink();

        var facts = await NodeProbe.GetFactsAsync(session, null, false, default);
        Assert.Equal(["/swap.img"], facts.SwapDevices);
        var before = PreflightRunner.Evaluate(facts, new KubePreflightRequest { Role = PreflightRole.Worker, KubernetesVersion = KubeVersion.Parse("1.29.15") });
        Assert.False(before.Results.Single(r => r.Check == "Swap").Passed);
        Assert.False(before.Results.Single(r => r.Check == "FileContent--proc-sys-net-ipv4-ip_forward").Passed);

        var plan = NodePrerequisites.Render(facts);
        var first = await NodePlanApplier.ApplyAsync(session, plan, sink, default);
        Assert.Null(session.Facts); // the node changed, so its cached facts were dropped

        Assert.Equal(PreparationStatus.Changed, first.Single(r => r.Step == PreparationSteps.Swap).Status);
        Assert.Equal(PreparationStatus.Changed, first.Single(r => r.Step == PreparationSteps.Sysctl).Status);
        Assert.Equal(PreparationStatus.Changed, first.Single(r => r.Step == PreparationSteps.KernelModules).Status);
        Assert.Equal(PreparationStatus.Changed, first.Single(r => r.Step == PreparationSteps.HostName).Status);
        Assert.Contains(first.Single(r => r.Step == PreparationSteps.Packages).Changes, c => c.Contains("conntrack"));

        // Judged inside the node with the plain tools: fstab commented, swap off, forwarding on, files present.
        Assert.Equal("", await PrepNode.Sh(node, "awk '$0 !~ /^[[:space:]]*#/ && $3 == \"swap\"' /etc/fstab"));
        Assert.Equal("0", (await PrepNode.Sh(node, "tail -n +2 /proc/swaps | wc -l")).Trim());
        Assert.Equal("1", (await PrepNode.Sh(node, "cat /proc/sys/net/ipv4/ip_forward")).Trim());
        Assert.Equal("1", (await PrepNode.Sh(node, "cat /proc/sys/net/bridge/bridge-nf-call-iptables")).Trim());
        Assert.Equal("overlay\nbr_netfilter\n", await PrepNode.Sh(node, "grep -v '^#' /etc/modules-load.d/k8s.conf"));
        Assert.Contains("10.77.0.5 prep1", await PrepNode.Sh(node, "cat /etc/hosts"));
        Assert.Contains("swapoff -a", await PrepNode.Sh(node, "cat /var/log/kubeps-shims.log"));

        // ... and nowhere else: the host's files are untouched, the node's writes sit in its overlay's upper dir.
        Assert.Equal(hostFstab, File.ReadAllText("/etc/fstab"));
        Assert.False(File.Exists("/etc/sysctl.d/99-kubernetes-cri.conf"));
        Assert.False(File.Exists("/etc/modules-load.d/k8s.conf"));
        Assert.Equal(hostForward, File.ReadAllText("/proc/sys/net/ipv4/ip_forward"));
        Assert.True(File.Exists(Path.Combine(node.Upper("/etc"), "sysctl.d/99-kubernetes-cri.conf")));

        var second = await NodePlanApplier.ApplyAsync(session, NodePrerequisites.Render(await NodeProbe.GetFactsAsync(session, null, false, default)), sink, default);
        Assert.All(second, r => Assert.True(r.Status == PreparationStatus.Unchanged, $"{r.Step}: {string.Join("; ", r.Changes)}"));

        var after = PreflightRunner.Evaluate(await NodeProbe.GetFactsAsync(session, null, true, default),
            new KubePreflightRequest { Role = PreflightRole.Worker, KubernetesVersion = KubeVersion.Parse("1.29.15") });
        Assert.True(after.Results.Single(r => r.Check == "Swap").Passed);
        Assert.True(after.Results.Single(r => r.Check == "FileContent--proc-sys-net-ipv4-ip_forward").Passed);
        Assert.True(after.Results.Single(r => r.Check == "FileExisting-conntrack").Passed);
        Assert.True(after.Results.Single(r => r.Check == "Hostname").Passed);
    }

    [Fact]
    public async Task WhatIf_declines_every_step_and_changes_nothing()
    {
        await using var node = await PrepNode.StartAsync("prep2", FakeSwap);
        var transport = node.Transport();
        var facts = await NodeProbe.GatherAsync(transport, null, default);
        var sink = new CapturingSink(answer: false);
        var results = await NodePlanApplier.ApplyAsync(transport, NodePrerequisites.Render(facts), sink, default);
        Assert.All(results, r => Assert.Equal(PreparationStatus.Skipped, r.Status));
        Assert.Equal(results.Count, sink.Questions.Count);
        Assert.All(sink.Questions, q => Assert.Equal("prep2", q.Target));
        Assert.Single(transport.Scripts); // only the probe ran
        Assert.Contains("/swap.img none swap", await PrepNode.Sh(node, "cat /etc/fstab"));
    }

    [Fact]
    public async Task Preflight_fix_applies_only_the_failed_checks_steps()
    {
        await using var node = await PrepNode.StartAsync("prep3", FakeSwap);
        var transport = node.Transport();
        var request = new KubePreflightRequest { Role = PreflightRole.Worker, KubernetesVersion = KubeVersion.Parse("1.30.4") };
        var facts = await NodeProbe.GatherAsync(transport, request.ProbeOptions, default);
        var report = PreflightRunner.Evaluate(facts, request);
        var plan = PreflightFix.Plan(report, facts)!;
        Assert.Contains(PreparationSteps.Swap, plan.Steps.Select(s => s.Id));
        Assert.DoesNotContain(PreparationSteps.TimeSync, plan.Steps.Select(s => s.Id));
        await NodePlanApplier.ApplyAsync(transport, plan, new CapturingSink(), default);
        var again = PreflightRunner.Evaluate(await NodeProbe.GatherAsync(transport, request.ProbeOptions, default), request);
        Assert.All(again.Results.Where(r => r.FixStep is not null && r.Check != "Service-Kubelet"), r => Assert.True(r.Passed, $"{r.Check}: {r.Message}"));
    }

    [Fact]
    public async Task A_failing_step_stops_the_script_and_names_the_step_and_the_cause()
    {
        var shims = PrepNode.DefaultShims();
        shims["apt-get"] = "echo 'E: Unable to locate package conntrack' >&2; exit 100";
        await using var node = await PrepNode.StartAsync("prep4", "", shims);
        var transport = node.Transport();
        var facts = await NodeProbe.GatherAsync(transport, null, default);
        var plan = NodePrerequisites.Render(facts, new NodePrerequisiteOptions { Steps = [PreparationSteps.Sysctl, PreparationSteps.Packages, PreparationSteps.HostName] });
        var e = await Assert.ThrowsAsync<KubeException>(() => NodePlanApplier.ApplyAsync(transport, plan, new CapturingSink(), default));
        Assert.Equal("Preparation.StepFailed", e.ErrorId);
        Assert.Contains(PreparationSteps.Packages, e.Message);
        Assert.Contains("Unable to locate package", e.Message);
        Assert.Contains("99-kubernetes-cri.conf", e.Message); // what was changed before the failure
        Assert.DoesNotContain("prep4", await PrepNode.Sh(node, "cat /etc/hosts")); // the later step did not run
    }
}
