using KubePS.Core.Api;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Reset;

/// <summary>delete-node (with RemoveFromCluster): deletes the Node object once the kubelet is stopped (a running kubelet would register it again).</summary>
sealed class DeleteNodePhase : Phase<ResetContext>
{
    public override string Name => "delete-node";
    public override string Summary => "Delete the Node object";
    public override bool ShouldRun(ResetContext c) => c.Request.RemoveFromCluster && c.Request.Api is not null;

    public override async Task RunAsync(ResetContext c, IOperationSink sink, CancellationToken ct)
    {
        var name = c.NodeName ?? throw new KubeException("Reset.NodeNameUnknown", $"{c.HostName}: the Node's name could not be read from the node.",
            KubeErrorCategory.ObjectNotFound, c.HostName, "Give -NodeName.");
        if (await c.Request.Api!.DeleteAsync(KubeResource.Node, null, name, ct).ConfigureAwait(false))
        {
            c.NodeDeleted = true;
            c.Removed.Add("Node " + name);
            sink.WriteVerbose($"{c.HostName}: deleted Node {name}");
        }
        else sink.WriteVerbose($"{c.HostName}: the cluster had no Node {name}");
    }
}
