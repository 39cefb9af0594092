using KubePS.Core;
using KubePS.Core.Operations;
using KubePS.Core.Workflows;
using Xunit;

namespace KubePS.Tests.Workflows;

public sealed class PhaseRunnerTests
{
    sealed class Ctx { public List<string> Ran { get; } = new(); public bool ExternalEtcd; }

    sealed class Step(string name, Func<Ctx, bool>? applies = null, Exception? fail = null) : Phase<Ctx>
    {
        public override string Name => name;
        public override string Summary => "do " + name;
        public override bool ShouldRun(Ctx c) => applies?.Invoke(c) ?? true;
        public override Task RunAsync(Ctx c, IOperationSink sink, CancellationToken ct)
        {
            if (fail is not null) throw fail;
            c.Ran.Add(name);
            return Task.CompletedTask;
        }
    }

    static readonly Phase<Ctx>[] InitLike =
    [
        new Step("preflight"), new Step("certs/ca"), new Step("certs/apiserver"), new Step("kubeconfig/admin"),
        new Step("etcd/local", c => !c.ExternalEtcd), new Step("control-plane/kube-apiserver"), new Step("addon/coredns"), new Step("addon/kube-proxy"),
    ];

    static async Task<(Ctx, IReadOnlyList<PhaseResult>)> Run(PhaseSelection sel, bool externalEtcd = false)
    {
        var ctx = new Ctx { ExternalEtcd = externalEtcd };
        var results = await PhaseRunner.RunAsync(InitLike, ctx, "cp1", sel, new CapturingSink(), CancellationToken.None);
        return (ctx, results);
    }

    [Fact]
    public async Task A_group_name_selects_every_phase_below_it_like_kubeadm_init_phase_certs()
    {
        var (ctx, _) = await Run(new PhaseSelection(["certs"], null));
        Assert.Equal(new[] { "certs/ca", "certs/apiserver" }, ctx.Ran);
    }

    [Fact]
    public async Task Skip_phases_takes_names_and_prefixes_case_insensitively()
    {
        var (ctx, results) = await Run(new PhaseSelection(null, ["Addon/Kube-Proxy", "certs"]));
        Assert.Equal(new[] { "preflight", "kubeconfig/admin", "etcd/local", "control-plane/kube-apiserver", "addon/coredns" }, ctx.Ran);
        Assert.Equal(PhaseStatus.Skipped, results.Single(r => r.Phase == "addon/kube-proxy").Status);
    }

    [Fact]
    public async Task A_phase_that_does_not_apply_is_reported_and_not_run()
    {
        var (ctx, results) = await Run(PhaseSelection.All, externalEtcd: true);
        Assert.DoesNotContain("etcd/local", ctx.Ran);
        Assert.Equal(PhaseStatus.NotApplicable, results.Single(r => r.Phase == "etcd/local").Status);
    }

    [Fact]
    public async Task An_unknown_phase_name_is_refused_before_any_phase_runs()
    {
        var ctx = new Ctx();
        var e = await Assert.ThrowsAsync<KubeException>(() => PhaseRunner.RunAsync(InitLike, ctx, "cp1", new PhaseSelection(null, ["addons"]), new CapturingSink(), CancellationToken.None));
        Assert.Equal("Workflow.UnknownPhase", e.ErrorId);
        Assert.Contains("'addons'", e.Message);
        Assert.Contains("addon/coredns", e.Message);
        Assert.Empty(ctx.Ran);
    }

    [Fact]
    public async Task A_failing_phase_keeps_its_error_id_names_phase_and_node_and_stops_the_workflow()
    {
        var phases = new Phase<Ctx>[] { new Step("certs/ca"), new Step("certs/apiserver", fail: new KubeException("Pki.SanMissing", "apiserver.crt lacks 10.0.0.10")), new Step("kubeconfig/admin") };
        var ctx = new Ctx();
        var sink = new CapturingSink();
        var e = await Assert.ThrowsAsync<KubeException>(() => PhaseRunner.RunAsync(phases, ctx, "cp1", PhaseSelection.All, sink, CancellationToken.None));
        Assert.Equal("Pki.SanMissing", e.ErrorId);
        Assert.StartsWith("phase certs/apiserver on cp1: ", e.Message);
        Assert.Equal(new[] { "certs/ca" }, ctx.Ran);
        Assert.True(sink.Progress.Last().Completed);   // progress is completed on failure too
    }
}
