using System.Diagnostics;
using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Join;

/// <summary>
/// wait-node-ready (KubePS's, after kubeadm's phases): waits until the Node is registered and its Ready condition is
/// True, as the bootstrap identity sees it (kubeadm's RBAC lets it get Nodes). The time it took is reported apart from
/// the join itself. A dry run, or a run whose changes were declined, has no Node to wait for.
/// </summary>
sealed class WaitNodeReadyPhase : Phase<JoinContext>
{
    public override string Name => "wait-node-ready";
    public override string Summary => "Wait for the Node to be registered and Ready";

    public override async Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct)
    {
        if (c.Node.IsDryRun || c.Changes.AnyDeclined)
        {
            sink.WriteVerbose($"{c.Node.HostName}: [{Name}] nothing was started, so there is no Node to wait for");
            return;
        }
        var watch = Stopwatch.StartNew();
        string seen = "not registered";
        while (true)
        {
            var node = await c.Cluster.Store.GetAsync(KubeResource.Node, null, c.NodeName, ct).ConfigureAwait(false);
            if (node is not null)
            {
                var ready = (node["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(x => (string?)x["type"] == "Ready");
                if ((string?)ready?["status"] == "True")
                {
                    c.ReadyWait = watch.Elapsed;
                    c.ReadyNode = node;
                    sink.WriteVerbose($"{c.Node.HostName}: [{Name}] Node {c.NodeName} is Ready ({watch.Elapsed.TotalSeconds:F1}s)");
                    return;
                }
                seen = ready is null ? "registered, no Ready condition yet" : $"Ready={(string?)ready["status"]} ({(string?)ready["reason"]}: {(string?)ready["message"]})";
            }
            if (watch.Elapsed > c.Request.NodeReadyTimeout)
                throw new KubeException("Join.NodeNotReady",
                    $"{c.Node.HostName}: Node {c.NodeName} did not become Ready within {c.Request.NodeReadyTimeout}: {seen}.",
                    KubeErrorCategory.OperationTimeout, c.NodeName,
                    $"Look at kubectl describe node {c.NodeName} and the kubelet's log on {c.Node.HostName}; a network plugin must be installed for Ready on a real cluster.");
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        }
    }
}
