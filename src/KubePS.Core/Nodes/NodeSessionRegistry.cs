using System.Collections.Concurrent;

namespace KubePS.Core.Nodes;

/// <summary>
/// The sessions of this process, by host name (case-insensitive), so that later commands reach nodes by name
/// (<c>Get-KubeNode | Update-KubeCluster</c>). Thread-safe; shared by every runspace of the process.
/// </summary>
public static class NodeSessionRegistry
{
    static readonly ConcurrentDictionary<string, KubeNodeSession> Sessions = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Registers a session under its host name. A session already registered under that name is replaced (not closed:
    /// whoever holds it can still use it) and returned.
    /// </summary>
    public static KubeNodeSession? Add(KubeNodeSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        KubeNodeSession? previous = null;
        Sessions.AddOrUpdate(session.HostName, session, (_, old) => { previous = old; return session; });
        return ReferenceEquals(previous, session) ? null : previous;
    }

    /// <summary>The session of a host, or null.</summary>
    public static KubeNodeSession? Find(string hostName) =>
        Sessions.TryGetValue(hostName, out var s) ? s : null;

    /// <summary>The session of a host; throws Node.SessionNotFound.</summary>
    public static KubeNodeSession Get(string hostName) =>
        Find(hostName) ?? throw NotFound(hostName);

    /// <summary>Every registered session, ordered by host name.</summary>
    public static IReadOnlyList<KubeNodeSession> All =>
        Sessions.Values.OrderBy(s => s.HostName, StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Removes the session from the registry (only if it is the one registered) and closes it.</summary>
    public static async Task RemoveAsync(KubeNodeSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        Sessions.TryRemove(new KeyValuePair<string, KubeNodeSession>(session.HostName, session));
        await session.DisposeAsync().ConfigureAwait(false);
    }

    public static KubeException NotFound(string hostName) =>
        new("Node.SessionNotFound", $"There is no session for node '{hostName}'.", KubeErrorCategory.ObjectNotFound, hostName,
            $"Open one with New-KubeNodeSession -HostName {hostName}, or list the open ones with Get-KubeNodeSession.");
}
