using KubePS.Core.Nodes;
using KubePS.Core.Preflight;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Tests.Lab;
using KubePS.Tests.Preparation;
using Xunit;
using Sink = KubePS.Tests.Infrastructure.CapturingSink;

namespace KubePS.Tests.Preflight;

/// <summary>Preflight over the fleet when one node dies in the middle of its probe: that node's error, the others' results.</summary>
public sealed class LabPreflightFaultTests
{
    [Fact]
    public async Task A_node_whose_sshd_is_killed_mid_preflight_is_that_nodes_error_while_the_others_finish()
    {
        await using var lab = await NodeLab.CreateAsync(3, withShims: true);
        var victim = lab.Nodes[1];
        // The probe asks systemctl about the kubelet; on the victim that question hangs (a handler of the lab's systemctl).
        (await lab.ExecAsync(victim, """
            mkdir -p /etc/lab-systemd/handlers
            printf '#!/bin/sh\ntouch /tmp/probe-reached-kubelet\nsleep 60\n' > /etc/lab-systemd/handlers/kubelet
            chmod 755 /etc/lab-systemd/handlers/kubelet
            """)).EnsureSuccess("hanging handler");
        var sessions = await LabPrep.OpenAsync(lab, lab.Nodes, new Sink());
        var sink = new Sink();
        var request = new KubePreflightRequest { Role = PreflightRole.Worker, KubernetesVersion = KubeVersion.Parse("1.31.14") };

        var run = FleetPreparation.PreflightAsync(sessions, request, sink);
        (await lab.ExecAsync(victim, "for i in $(seq 300); do [ -e /tmp/probe-reached-kubelet ] && exit 0; sleep 0.05; done; exit 1"))
            .EnsureSuccess("the victim's probe did not start");
        await lab.KillSshdAsync(victim);
        var outcomes = await run;

        Assert.Equal([sessions[0], sessions[2]], outcomes.Select(o => o.Session));
        Assert.All(outcomes, o => Assert.NotEmpty(o.Report.Results));
        var lost = Assert.Single(sink.Errors, e => e.Target == sessions[1]);
        Assert.Equal("Node.ConnectionLost", lost.ErrorId);
        Assert.Contains(victim.Address, lost.Message);
        // The survivors' own findings are still reported (each has errors in a lab: no runtime, no kubelet).
        Assert.All(sink.Errors.Where(e => e.Target != sessions[1]), e => Assert.Equal("Preflight.Failed", e.ErrorId));
        Assert.DoesNotContain(sink.Objects.OfType<KubePreflightResult>(), r => r.HostName == victim.Address);

        // Progress: one parent for the operation, one child per node, every child and the parent completed.
        var records = sink.Progress.ToList();
        var parent = records.First();
        Assert.Equal(-1, parent.ParentActivityId);
        var children = records.Where(p => p.ParentActivityId == parent.ActivityId).GroupBy(p => p.ActivityId).ToList();
        Assert.Equal(3, children.Count);
        Assert.All(children, c => Assert.True(c.Last().Completed));
        Assert.Equal("failed", children.Single(c => c.First().Activity == victim.Address).Last().Status);
        Assert.True(records.Last().Completed);

        // The node comes back (same host key); without the hanging handler its preflight runs again.
        await lab.RestartNodeAsync(victim);
        (await lab.ExecAsync(victim, "rm -f /etc/lab-systemd/handlers/kubelet")).EnsureSuccess("remove handler");
        await using var again = await NodeSessionFactory.OpenAsync(lab.SessionOptions(victim));
        var retry = Assert.Single(await FleetPreparation.PreflightAsync([again], request, new Sink()));
        Assert.NotEmpty(retry.Report.Results);
    }
}
