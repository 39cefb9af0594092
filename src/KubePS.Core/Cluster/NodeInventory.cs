using KubePS.Core.Api;

namespace KubePS.Core.Cluster;

/// <summary>Reads the cluster's Nodes (kubectl get nodes) as <see cref="KubeNode"/> objects.</summary>
public static class NodeInventory
{
    /// <summary>
    /// Every Node, ordered by name, optionally only those of one role. Each node's HostName is the host of a registered
    /// session that matches it, when there is one (see <see cref="KubeNode.RegisteredSessionHost"/>).
    /// </summary>
    public static async Task<IReadOnlyList<KubeNode>> ListAsync(KubeApiClient client, KubeNodeRole? role, CancellationToken ct)
    {
        var items = await client.ListAsync(KubeResource.Node, null, ct: ct).ConfigureAwait(false);
        return items.Select(o => KubeNode.FromObject(o, KubeNode.RegisteredSessionHost))
            .Where(n => role is null || n.Role == role)
            .OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>One Node by name; Cluster.NodeNotFound when the cluster has none of that name.</summary>
    public static async Task<KubeNode> GetAsync(KubeApiClient client, string name, CancellationToken ct)
    {
        var obj = await client.GetAsync(KubeResource.Node, null, name, ct).ConfigureAwait(false)
            ?? throw NotFound(name, client);
        return KubeNode.FromObject(obj, KubeNode.RegisteredSessionHost);
    }

    internal static KubeException NotFound(string name, KubeApiClient client) =>
        new("Cluster.NodeNotFound", $"The cluster at {client.Credentials.Server} has no node '{name}'.", KubeErrorCategory.ObjectNotFound, name,
            "List the nodes with Get-KubeNode.");
}
