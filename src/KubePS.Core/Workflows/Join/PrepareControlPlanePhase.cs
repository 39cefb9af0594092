using KubePS.Core.Operations;
using KubePS.Core.Workflows.Init;

namespace KubePS.Core.Workflows.Join;

/// <summary>control-plane-prepare/control-plane: this node's kube-apiserver, kube-controller-manager and kube-scheduler manifests.</summary>
sealed class PrepareControlPlanePhase : Phase<JoinContext>
{
    public override string Name => "control-plane-prepare/control-plane";
    public override string Summary => "Generate the manifests for the new control plane components";
    public override bool ShouldRun(JoinContext c) => c.IsControlPlane;

    public override async Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct)
    {
        foreach (var phase in ControlPlanePhase<JoinContext>.All) await phase.RunAsync(c, sink, ct).ConfigureAwait(false);
    }
}
