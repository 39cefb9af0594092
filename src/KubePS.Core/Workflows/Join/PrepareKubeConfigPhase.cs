using KubePS.Core.KubeConfigs;
using KubePS.Core.Operations;
using KubePS.Core.Workflows.Init;

namespace KubePS.Core.Workflows.Join;

/// <summary>
/// control-plane-prepare/kubeconfig: admin.conf, controller-manager.conf and scheduler.conf for this node, signed by the
/// cluster CA (a control-plane join makes neither super-admin.conf nor kubelet.conf: the kubelet gets its own through the
/// TLS bootstrap). Runs init's kubeconfig phases for those roles.
/// </summary>
sealed class PrepareKubeConfigPhase : Phase<JoinContext>
{
    static readonly IReadOnlyList<KubeConfigPhase<JoinContext>> Roles =
    [
        new(KubeConfigRole.Admin, "Generate a kubeconfig file for the admin to use and for kubeadm itself"),
        new(KubeConfigRole.ControllerManager, "Generate a kubeconfig file for the controller manager to use"),
        new(KubeConfigRole.Scheduler, "Generate a kubeconfig file for the scheduler to use"),
    ];

    public override string Name => "control-plane-prepare/kubeconfig";
    public override string Summary => "Generate the kubeconfig for the new control plane components";
    public override bool ShouldRun(JoinContext c) => c.IsControlPlane;

    public override async Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct)
    {
        foreach (var phase in Roles) await phase.RunAsync(c, sink, ct).ConfigureAwait(false);
    }
}
