namespace KubePS.Core.Nodes;

/// <summary>
/// Finds the session of a host by name for cmdlets that take node objects from the pipeline (KubeNode.HostName,
/// a certificate row's HostName): the registered session, else a new SSH session opened with the default options
/// (the user's ssh config, agent and known_hosts decide the rest) and registered for the next command.
/// </summary>
public static class NodeSessionResolver
{
    static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task<KubeNodeSession> FindOrOpenAsync(string hostName, CancellationToken ct, NodeSessionOptions? template = null)
    {
        if (string.IsNullOrWhiteSpace(hostName))
            throw new KubeException("Node.InvalidHostName", "No host name was given.", KubeErrorCategory.InvalidArgument, hostName,
                "Give a host name, or pipe node sessions (New-KubeNodeSession) or nodes (Get-KubeNode).");
        if (NodeSessionRegistry.Find(hostName) is { IsClosed: false } found) return found;
        await Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (NodeSessionRegistry.Find(hostName) is { IsClosed: false } again) return again;
            var options = (template ?? new NodeSessionOptions()) with { HostName = hostName };
            var session = await NodeSessionFactory.OpenAsync(options, ct).ConfigureAwait(false);
            NodeSessionRegistry.Add(session);
            return session;
        }
        finally { Gate.Release(); }
    }
}
