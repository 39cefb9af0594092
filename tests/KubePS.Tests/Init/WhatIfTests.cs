using Xunit;
using static KubePS.Tests.Init.InitTestSupport;

namespace KubePS.Tests.Init;

/// <summary>
/// -WhatIf is a sink that answers every ShouldProcess question with no: nothing may change, and the questions are the
/// list of what each phase would change.
/// </summary>
public sealed class WhatIfTests : IDisposable
{
    readonly string _dir = TempDir();
    public void Dispose() => Delete(_dir);

    [Fact]
    public async Task WhatIf_on_a_fresh_node_changes_nothing_and_lists_every_phases_changes()
    {
        var sink = new CapturingSink(answer: false);
        var cp = await DryRunAsync(ExampleEcdsa, _dir, sink);

        Assert.Empty(Snapshot(_dir));
        Assert.Equal(0, cp.ChangeCount);
        Assert.All(cp.Changes, c => Assert.False(c.Applied));
        var questions = sink.WhatIfText();
        Assert.Contains("What if: Performing the operation \"[certs/ca] create /etc/kubernetes/pki/ca.key (0600), create /etc/kubernetes/pki/ca.crt (0644)\" on target \"cp1\".", questions);
        Assert.Contains(questions, q => q.Contains("[kubeconfig/super-admin] create /etc/kubernetes/super-admin.conf (0600)"));
        Assert.Contains(questions, q => q.Contains("[control-plane/kube-apiserver] create /etc/kubernetes/manifests/kube-apiserver.yaml (0600)"));
        Assert.Contains(questions, q => q.Contains("[kubelet-start] systemctl daemon-reload, systemctl enable kubelet, systemctl restart kubelet"));
        Assert.Contains(questions, q => q.Contains("[upload-config/kubeadm] create ConfigMap kube-system/kubeadm-config"));
        Assert.Contains(questions, q => q.Contains("[mark-control-plane] patch Node cp1: labels node-role.kubernetes.io/control-plane"));
        Assert.Contains(questions, q => q.Contains("[bootstrap-token] create Secret kube-system/bootstrap-token-abcdef"));
        Assert.Contains(questions, q => q.Contains("[addon/kube-proxy] create DaemonSet kube-system/kube-proxy"));
        // Every change not made was asked about first (one question per phase's batch of files, per command, per object).
        Assert.All(cp.Changes, c => Assert.Contains(questions, q => q.Contains($"[{c.Phase}] ") && q.Contains(c.Action)));
        Assert.True(questions.Count >= 50, $"only {questions.Count} questions");
    }

    [Fact]
    public async Task WhatIf_on_an_initialized_node_has_nothing_to_ask()
    {
        await DryRunAsync(ExampleEcdsa, _dir);
        var before = Snapshot(_dir);
        var sink = new CapturingSink(answer: false);
        var cp = await DryRunAsync(ExampleEcdsa, _dir, sink);
        Assert.Empty(sink.Questions);
        Assert.Empty(cp.Changes);
        Assert.Equal(before, Snapshot(_dir));
    }

    [Fact]
    public async Task WhatIf_after_a_configuration_change_lists_exactly_what_differs()
    {
        await DryRunAsync(ExampleEcdsa, _dir);
        var before = Snapshot(_dir);
        var changed = ExampleEcdsa.Replace("audit-log-maxage: \"30\"", "audit-log-maxage: \"60\"");
        var sink = new CapturingSink(answer: false);
        await DryRunAsync(changed, _dir, sink);
        Assert.Equal(
        [
            "What if: Performing the operation \"[control-plane/kube-apiserver] update /etc/kubernetes/manifests/kube-apiserver.yaml (0600)\" on target \"cp1\".",
            $"What if: Performing the operation \"[upload-config/kubeadm] update ConfigMap kube-system/kubeadm-config\" on target \"{Path.Combine(_dir, "cluster")}\".",
        ], sink.WhatIfText());
        Assert.Equal(before, Snapshot(_dir));
    }
}
