using System.Text.Json.Nodes;
using KubePS.Core.Api;

namespace KubePS.Core.Workflows.Init;

/// <summary>Patches this node's Node object, with a clear error when the kubelet never registered it.</summary>
static class NodePatch
{
    public static async Task ApplyAsync(ControlPlaneContext c, ClusterApplier cluster, string phase, JsonObject? node,
        Func<JsonObject?, JsonObject?> render, string description, CancellationToken ct)
    {
        try
        {
            await cluster.PatchAsync(phase, KubeResource.Node, null, c.NodeName, node, render, description, ct).ConfigureAwait(false);
        }
        catch (KubeException e) when (e.ErrorId == "Api.NotFound")
        {
            throw new KubeException("Init.NodeNotRegistered",
                $"{c.Node.HostName}: the kubelet did not register Node '{c.NodeName}' with the API server {cluster.Target}.",
                KubeErrorCategory.ObjectNotFound, c.NodeName,
                $"Look at the kubelet's log on {c.Node.HostName} (journalctl -u kubelet): it must reach {c.ControlPlaneUrl} with /etc/kubernetes/kubelet.conf.", e);
        }
    }
}
