using KubePS.Core;
using KubePS.Core.Workflows;
using Xunit;
using static KubePS.Tests.Init.InitTestSupport;

namespace KubePS.Tests.Init;

/// <summary>-Phase and -SkipPhase end to end on dry runs, judged by what lands in the folder.</summary>
public sealed class PhaseSelectionTests : IDisposable
{
    readonly string _dir = TempDir();
    public void Dispose() => Delete(_dir);

    IEnumerable<string> NodeFiles(string node) =>
        Directory.GetFiles(Path.Combine(_dir, node), "*", SearchOption.AllDirectories)
            .Select(f => "/" + Path.GetRelativePath(Path.Combine(_dir, node), f)).Where(f => f != "/files.txt").Order();

    [Fact]
    public async Task Phase_certs_writes_the_certificates_and_nothing_else()
    {
        var cp = await DryRunAsync(ExampleEcdsa, _dir, tweak: r => r with { Phases = ["certs"] });
        var files = NodeFiles("cp1").ToList();
        Assert.Equal(22, files.Count);
        Assert.All(files, f => Assert.StartsWith("/etc/kubernetes/pki/", f));
        Assert.False(Directory.Exists(Path.Combine(_dir, "cluster")));
        Assert.False(File.Exists(Path.Combine(_dir, "cp1", "commands.sh")));
        Assert.All(cp.Phases, p => Assert.Equal(p.Name.StartsWith("certs/") ? PhaseStatus.Completed : PhaseStatus.Skipped, p.Status));
        Assert.Null(cp.BootstrapToken);
    }

    [Fact]
    public async Task Later_phases_run_alone_reuse_what_earlier_ones_wrote()
    {
        await DryRunAsync(ExampleEcdsa, _dir, tweak: r => r with { Phases = ["certs", "kubeconfig"] });
        var ca = File.ReadAllBytes(Path.Combine(_dir, "cp1/etc/kubernetes/pki/ca.crt"));
        var cp = await DryRunAsync(ExampleEcdsa, _dir, tweak: r => r with { Phases = ["control-plane", "etcd"] });
        Assert.Equal(ca, File.ReadAllBytes(Path.Combine(_dir, "cp1/etc/kubernetes/pki/ca.crt")));
        Assert.Equal(["etcd/local", "control-plane/kube-apiserver", "control-plane/kube-controller-manager", "control-plane/kube-scheduler"],
            cp.Changes.Select(c => c.Phase).Distinct());
        Assert.Contains("/etc/kubernetes/manifests/kube-apiserver.yaml", NodeFiles("cp1"));
    }

    [Fact]
    public async Task SkipPhase_addon_kube_proxy_leaves_out_kube_proxy_and_only_it()
    {
        await DryRunAsync(ExampleEcdsa, _dir, tweak: r => r with { SkipPhases = ["addon/kube-proxy"] });
        var objects = Directory.GetFiles(Path.Combine(_dir, "cluster")).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(objects, o => o!.Contains("kube-proxy") || o.Contains("node-proxier"));
        Assert.Contains("deployment-kube-system-coredns.yaml", objects);
        Assert.Contains("configmap-kube-system-kubeadm-config.yaml", objects);
    }

    [Fact]
    public async Task The_configurations_skipPhases_are_skipped_as_kubeadm_skips_them()
    {
        var yaml = ExampleEcdsa.Replace("kind: InitConfiguration\n", "kind: InitConfiguration\nskipPhases:\n  - addon/coredns\n");
        var cp = await DryRunAsync(yaml, _dir);
        Assert.Equal(PhaseStatus.Skipped, cp.Phases.Single(p => p.Name == "addon/coredns").Status);
        Assert.False(File.Exists(Path.Combine(_dir, "cluster", "deployment-kube-system-coredns.yaml")));
        Assert.True(File.Exists(Path.Combine(_dir, "cluster", "daemonset-kube-system-kube-proxy.yaml")));
    }

    [Fact]
    public async Task An_unknown_phase_name_fails_before_anything_is_written()
    {
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => DryRunAsync(ExampleEcdsa, _dir, tweak: r => r with { Phases = ["cert/ca"] }));
        Assert.Equal("Workflow.UnknownPhase", e.ErrorId);
        Assert.Contains("certs/apiserver", e.Message);
        Assert.Empty(Snapshot(_dir));
    }

    [Fact]
    public async Task A_kubeconfig_phase_without_the_CA_on_the_node_fails_and_writes_nothing()
    {
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => DryRunAsync(ExampleEcdsa, _dir, tweak: r => r with { Phases = ["kubeconfig/admin"] }));
        Assert.Equal("Init.CANotFound", e.ErrorId);
        Assert.StartsWith("phase kubeconfig/admin on cp1: ", e.Message);
        Assert.Empty(Snapshot(_dir));
    }
}
