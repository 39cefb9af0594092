using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// mark-control-plane: the version's control-plane labels (node-role.kubernetes.io/control-plane,
/// node.kubernetes.io/exclude-from-external-load-balancers; master up to 1.23) and taints (nodeRegistration.taints, by
/// default the version's control-plane NoSchedule taint) on this node's Node, keeping its other taints. The Node is
/// patched only when something is missing.
/// </summary>
public sealed class MarkControlPlanePhase<TContext> : Phase<TContext> where TContext : ControlPlaneContext
{
    public override string Name => "mark-control-plane";
    public override string Summary => "Mark a node as a control-plane";

    public override async Task RunAsync(TContext c, IOperationSink sink, CancellationToken ct)
    {
        var cluster = await c.ClusterAsync(Name, ct).ConfigureAwait(false);
        var taints = c.Configuration.ControlPlaneTaints.Select(NodeTaint.Parse).ToList();
        var node = await cluster.WaitForAsync(KubeResource.Node, null, c.NodeName, UploadConfigKubeletPhase.NodeRegistrationTimeout, ct).ConfigureAwait(false);
        var labels = string.Join(", ", NodeObjects.ControlPlaneLabels(c.KubernetesVersion));
        var description = taints.Count == 0 ? $"labels {labels}" : $"labels {labels} and taints {string.Join(", ", taints)}";
        await NodePatch.ApplyAsync(c, cluster, Name, node, current => NodeObjects.MarkControlPlanePatch(c.KubernetesVersion, current, taints), description, ct)
            .ConfigureAwait(false);
    }
}
