namespace KubePS.Core.Nodes;

/// <summary>How a session reaches its node.</summary>
public enum NodeTransportKind { OpenSsh, Local, DryRun }

/// <summary>
/// A node KubePS talks to: its name, how it is reached, and (once gathered) its facts. Sessions are kept in module
/// state (<see cref="NodeSessionRegistry"/>) and found again by host name. The transport is not a public property;
/// Core code runs scripts and writes files through the session's RunAsync / WriteFilesAsync / ReadFilesAsync, which
/// refuse a closed session. Open sessions with <see cref="NodeSessionFactory.OpenAsync"/>.
/// </summary>
public sealed class KubeNodeSession : IAsyncDisposable
{
    int _closed;

    public KubeNodeSession(string hostName, NodeTransportKind kind, INodeTransport transport, string? userName = null, int port = 22)
    {
        HostName = hostName;
        Kind = kind;
        Transport = transport;
        UserName = userName;
        Port = port;
        Created = DateTimeOffset.UtcNow;
    }

    internal KubeNodeSession(NodeSessionOptions options, INodeTransport transport, string? userName)
        : this(options.EffectiveHostName, options.Kind, transport, userName, options.Port ?? 22)
    {
        Options = options;
    }

    /// <summary>The node's name as given (binds -HostName by property name).</summary>
    public string HostName { get; }
    /// <summary>The login user (as the node reported it for SSH sessions), or null for local and dry-run sessions.</summary>
    public string? UserName { get; }
    public int Port { get; }
    public NodeTransportKind Kind { get; }
    public DateTimeOffset Created { get; }

    /// <summary>What the session was opened with (no secrets: key files are only paths), or null for a session made from a transport directly.</summary>
    public NodeSessionOptions? Options { get; }

    /// <summary>Where a dry-run session records (its node folder), else null.</summary>
    public string? DryRunDirectory => (Transport as DryRunTransport)?.NodeDirectory;

    /// <summary>True once <see cref="DisposeAsync"/> ran (Remove-KubeNodeSession).</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// Facts gathered once per node (OS, kernel, cgroups, runtime, versions, addresses), or null until gathered
    /// (<see cref="NodeProbe.GetFactsAsync"/> fills it).
    /// </summary>
    public NodeFacts? Facts { get; set; }

    internal INodeTransport Transport { get; }

    /// <summary>Runs a bash script on the node as root (see <see cref="INodeTransport.RunAsync"/>). Throws Node.SessionClosed after Remove.</summary>
    public Task<CommandResult> RunAsync(string script, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Open().RunAsync(script, timeout, cancellationToken);

    /// <summary>Writes a batch of files in one round trip (see <see cref="INodeTransport.WriteFilesAsync"/>).</summary>
    public Task<IReadOnlyList<FileWriteResult>> WriteFilesAsync(IReadOnlyList<NodeFile> files, CancellationToken cancellationToken = default) =>
        Open().WriteFilesAsync(files, cancellationToken);

    /// <summary>Reads files in one round trip; missing files map to null (see <see cref="INodeTransport.ReadFilesAsync"/>).</summary>
    public Task<IReadOnlyDictionary<string, byte[]?>> ReadFilesAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken = default) =>
        Open().ReadFilesAsync(paths, cancellationToken);

    INodeTransport Open() => IsClosed
        ? throw new KubeException("Node.SessionClosed", $"{HostName}: the session was closed (Remove-KubeNodeSession).",
            KubeErrorCategory.InvalidOperation, this, $"Open a new one with New-KubeNodeSession -HostName {HostName}.")
        : Transport;

    /// <summary>Closes the transport (for SSH: the ControlMaster connection). The session cannot be used afterwards.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        await Transport.DisposeAsync().ConfigureAwait(false);
    }

    public override string ToString() => UserName is null ? HostName : $"{UserName}@{HostName}";
}
