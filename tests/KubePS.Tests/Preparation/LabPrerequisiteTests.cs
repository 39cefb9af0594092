using System.Security.Cryptography;
using KubePS.Core.Preflight;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Tests.Lab;
using Xunit;
using Sink = KubePS.Tests.Infrastructure.CapturingSink;

namespace KubePS.Tests.Preparation;

/// <summary>
/// Install-KubeNodePrerequisite's and Invoke-KubePreflight -Fix's Core paths over real SSH on lab nodes with shims:
/// changes land in each prepared node's private /etc, /usr/local and dpkg database only (judged inside the nodes with
/// nsenter and on the host with plain file reads), a second run changes nothing, and preflight passes afterwards
/// except for the checks a lab node cannot pass (no container runtime runs, no kubelet is installed, no crictl).
/// </summary>
public sealed class LabPrerequisiteTests
{
    /// <summary>Checks a lab node with shims cannot pass after the prerequisites: no containerd runs (CRI), Debian 12 has no cri-tools (crictl, checked up to 1.31), no kubelet is installed.</summary>
    static readonly string[] LabCannotPass = ["CRI", "FileExisting-crictl", "KubeletVersion", "Service-Kubelet"];

    static KubePreflightRequest Init(string version = "1.30.4") => new() { Role = PreflightRole.ControlPlane, KubernetesVersion = KubeVersion.Parse(version) };

    /// <summary>What the host and a node look like from outside KubePS, for "nothing changed" comparisons.</summary>
    static async Task<string> NodeStateAsync(NodeLab lab, LabNode node) => await LabPrep.ShAsync(lab, node, """
        ls /etc/sysctl.d /etc/modules-load.d /usr/local/sbin /etc/systemd/system 2>&1
        cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/bridge/bridge-nf-call-iptables /etc/fstab /etc/hosts
        tail -n +2 /proc/swaps
        dpkg-query -W conntrack socat iptables 2>&1 || true
        sha256sum /var/lib/dpkg/status
        """);

    static string HostState()
    {
        string Hash(string f) => File.Exists(f) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))) : "absent";
        string List(string d) => Directory.Exists(d) ? string.Join(",", Directory.GetFileSystemEntries(d).Order()) : "absent";
        return string.Join("\n",
            Hash("/etc/fstab"), Hash("/etc/hosts"), Hash("/var/lib/dpkg/status"), Hash("/etc/resolv.conf"),
            List("/etc/sysctl.d"), List("/etc/modules-load.d"), List("/usr/local/sbin"), List("/etc/systemd/system"), List("/etc/lab-systemd"),
            File.ReadAllText("/proc/sys/net/ipv4/ip_forward"), File.ReadAllText("/proc/sys/net/bridge/bridge-nf-call-iptables"),
            File.ReadAllText("/proc/sys/vm/swappiness"), File.ReadAllText("/proc/swaps"));
    }

    [Fact]
    public async Task Prerequisites_land_only_in_each_prepared_nodes_private_files_and_a_second_run_changes_nothing()
    {
        string host = HostState();
        bool hostHasIptables = File.Exists("/usr/sbin/iptables");
        await using var lab = await NodeLab.CreateAsync(3, withShims: true);
        var (n1, n2, other) = (lab.Nodes[0], lab.Nodes[1], lab.Nodes[2]);
        await LabPrep.FakeSwapAsync(lab, n2);
        string otherBefore = await NodeStateAsync(lab, other);
        var sessions = await LabPrep.OpenAsync(lab, [n1, n2], new Sink());

        var sink = new Sink();
        var first = await FleetPreparation.InstallPrerequisitesAsync(sessions, new NodePrerequisiteOptions(), sink);
        Assert.Empty(sink.Errors);
        Assert.Equal(first.Count, sink.Objects.OfType<KubePreparationResult>().Count());
        foreach (var (node, s) in new[] { (n1, sessions[0]), (n2, sessions[1]) })
        {
            var mine = first.Where(r => r.HostName == s.HostName).ToList();
            Assert.Contains("created /etc/sysctl.d/99-kubernetes-cri.conf (0644)", mine.Single(r => r.Step == PreparationSteps.Sysctl).Changes);
            Assert.Contains("created /etc/modules-load.d/k8s.conf (0644)", mine.Single(r => r.Step == PreparationSteps.KernelModules).Changes);
            // conntrack is never on these machines; iptables only where .ci/run installed it on the host (whose /usr the nodes share).
            Assert.Contains(mine.Single(r => r.Step == PreparationSteps.Packages).Changes, c => c.Contains("conntrack") && c.Contains("iptables") == !hostHasIptables);
            Assert.Equal(PreparationStatus.Changed, mine.Single(r => r.Step == PreparationSteps.TimeSync).Status);
            Assert.Equal(PreparationStatus.Unchanged, mine.Single(r => r.Step == PreparationSteps.HostName).Status); // the lab's /etc/hosts names every node

            // Judged inside the node, without KubePS: the files, the node's own net.* sysctls, the node's dpkg database.
            Assert.Contains("net.ipv4.ip_forward = 1", await LabPrep.ShAsync(lab, node, "cat /etc/sysctl.d/99-kubernetes-cri.conf"));
            Assert.Equal("1\n1\n", await LabPrep.ShAsync(lab, node, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/bridge/bridge-nf-call-iptables"));
            Assert.Equal("overlay\nbr_netfilter\n", await LabPrep.ShAsync(lab, node, "grep -v '^#' /etc/modules-load.d/k8s.conf"));
            Assert.Equal("install ok installed\n", await LabPrep.ShAsync(lab, node, "dpkg-query -W -f='${Status}\\n' conntrack"));
            Assert.True(File.Exists(node.UpperPath("/etc/sysctl.d/99-kubernetes-cri.conf")), "the file is in the node's own overlay");
        }
        Assert.Equal(PreparationStatus.Unchanged, first.Single(r => r.HostName == sessions[0].HostName && r.Step == PreparationSteps.Swap).Status);
        Assert.Contains("swapoff -a", first.Single(r => r.HostName == sessions[1].HostName && r.Step == PreparationSteps.Swap).Changes);
        Assert.Equal("0", (await LabPrep.ShAsync(lab, n2, "tail -n +2 /proc/swaps | wc -l")).Trim());
        Assert.StartsWith("# kubeps: swap off: /swap.img", (await LabPrep.ShAsync(lab, n2, "grep swap.img /etc/fstab")).Trim());

        // Nothing outside the two nodes changed: not the third node, not the host (files, dpkg database, kernel settings).
        Assert.Equal(otherBefore, await NodeStateAsync(lab, other));
        Assert.Equal(host, HostState());

        var second = await FleetPreparation.InstallPrerequisitesAsync(sessions, new NodePrerequisiteOptions(), sink = new Sink());
        Assert.Empty(sink.Errors);
        Assert.Equal(first.Count, second.Count);
        Assert.All(second, r => Assert.True(r.Status == PreparationStatus.Unchanged, $"{r.HostName} {r.Step}: {string.Join("; ", r.Changes)}"));

        // Preflight passes afterwards, except for what a lab node cannot have.
        var after = await FleetPreparation.PreflightAsync(sessions, Init(), new Sink(), refresh: true);
        Assert.All(after.SelectMany(o => o.Report.Results).Where(r => !LabCannotPass.Contains(r.Check)),
            r => Assert.True(r.Passed, r.ToString()));
        Assert.Equal(host, HostState());
    }

    [Fact]
    public async Task Fix_repairs_the_failed_checks_of_each_node_and_WhatIf_changes_nothing()
    {
        await using var lab = await NodeLab.CreateAsync(2, withShims: true);
        await LabPrep.FakeSwapAsync(lab, lab.Nodes[0]);
        var sessions = await LabPrep.OpenAsync(lab, lab.Nodes, new Sink());
        string before = await NodeStateAsync(lab, lab.Nodes[0]);

        // -WhatIf: every fix step is asked about, declined, and the nodes stay as they were.
        var whatIf = new Sink(answer: false);
        var declined = await FleetPreparation.PreflightAsync(sessions, Init(), whatIf, fix: new NodePrerequisiteOptions());
        Assert.All(declined.SelectMany(o => o.Fixes), f => Assert.Equal(PreparationStatus.Skipped, f.Status));
        Assert.Contains(whatIf.Questions, q => q.Action.StartsWith(PreparationSteps.Swap, StringComparison.Ordinal) && q.Target == sessions[0].HostName);
        Assert.Equal(before, await NodeStateAsync(lab, lab.Nodes[0]));

        var sink = new Sink();
        var outcomes = await FleetPreparation.PreflightAsync(sessions, Init(), sink, fix: new NodePrerequisiteOptions());
        var swapNode = outcomes[0];
        Assert.Contains(swapNode.Fixes, f => f.Step == PreparationSteps.Swap && f.Changed);
        Assert.DoesNotContain(outcomes[1].Fixes, f => f.Step == PreparationSteps.Swap);   // its swap check passed: nothing to fix
        Assert.All(outcomes, o => Assert.Contains(o.Fixes, f => f.Step == PreparationSteps.Sysctl && f.Changed));
        foreach (var o in outcomes)
        {
            Assert.True(o.Report.Results.Single(r => r.Check == "Swap").Passed);
            Assert.True(o.Report.Results.Single(r => r.Check == "FileContent--proc-sys-net-ipv4-ip_forward").Passed);
            Assert.True(o.Report.Results.Single(r => r.Check == "FileExisting-conntrack").Passed);
            Assert.Equal(LabCannotPass.Where(n => n != "Service-Kubelet").Order(), o.Report.Errors.Select(e => e.Check).Order());
        }
        Assert.Equal("0", (await LabPrep.ShAsync(lab, lab.Nodes[0], "tail -n +2 /proc/swaps | wc -l")).Trim());
        // Fix results come before each node's check results; the remaining errors are each node's Preflight.Failed.
        Assert.Equal(2, sink.Errors.Count);
        Assert.All(sink.Errors, e => Assert.Equal("Preflight.Failed", e.ErrorId));
    }
}
