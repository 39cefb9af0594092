namespace KubePS.Core.Nodes;

/// <summary>How a session reaches its node.</summary>
public enum NodeTransportKind { OpenSsh, Local, DryRun }

/// <summary>
/// A node KubePS talks to: its name, how it is reached, and (once gathered) its facts. Sessions are kept in module
/// state and found again by host name. The transport is not a public property: scripts go through cmdlets.
/// </summary>
public sealed class KubeNodeSession
{
    public KubeNodeSession(string hostName, NodeTransportKind kind, INodeTransport transport, string? userName = null, int port = 22)
    {
        HostName = hostName;
        Kind = kind;
        Transport = transport;
        UserName = userName;
        Port = port;
        Created = DateTimeOffset.UtcNow;
    }

    /// <summary>The node's name as given (binds -HostName by property name).</summary>
    public string HostName { get; }
    public string? UserName { get; }
    public int Port { get; }
    public NodeTransportKind Kind { get; }
    public DateTimeOffset Created { get; }

    /// <summary>
    /// Facts gathered once per node (OS, kernel, cgroups, runtime, versions, addresses), or null until gathered
    /// (<see cref="NodeProbe.GetFactsAsync"/> fills it).
    /// </summary>
    public NodeFacts? Facts { get; set; }

    internal INodeTransport Transport { get; }

    public override string ToString() => UserName is null ? HostName : $"{UserName}@{HostName}";
}
