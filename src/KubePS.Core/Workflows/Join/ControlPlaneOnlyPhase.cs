using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Join;

/// <summary>A phase of init's run under a join's name, for control planes only (wait-control-plane, mark-control-plane).</summary>
sealed class ControlPlaneOnlyPhase(string name, Phase<JoinContext> inner) : Phase<JoinContext>
{
    public override string Name { get; } = name;
    public override string Summary => inner.Summary;
    public override bool ShouldRun(JoinContext c) => c.IsControlPlane && inner.ShouldRun(c);
    public override Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct) => inner.RunAsync(c, sink, ct);
}
