namespace KubePS.Core.Nodes;

/// <summary>A file to put on a node: path, bytes, mode and owner. ToString never shows the content (it may be a key).</summary>
public sealed class NodeFile
{
    public NodeFile(string path, byte[] content, int mode = 0b110_100_100 /* 0644 */, string owner = "root", string group = "root")
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/') throw new ArgumentException($"node file path must be absolute: '{path}'", nameof(path));
        Path = path; Content = content; Mode = mode; Owner = owner; Group = group;
    }

    public static NodeFile Text(string path, string content, int mode = 0b110_100_100) =>
        new(path, System.Text.Encoding.UTF8.GetBytes(content), mode);

    public string Path { get; }
    public byte[] Content { get; }
    /// <summary>Unix permission bits, e.g. 0600 = 384.</summary>
    public int Mode { get; }
    public string Owner { get; }
    public string Group { get; }

    public string ModeText => Convert.ToString(Mode, 8).PadLeft(4, '0');
    public override string ToString() => $"{Path} ({ModeText}, {Content.Length} bytes)";
}

/// <summary>The result of one command or script run on a node.</summary>
public sealed record CommandResult(string HostName, int ExitCode, string Output, string Error, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>What a batch write did to each file.</summary>
public enum FileChange { Unchanged, Created, Updated }

public sealed record FileWriteResult(string Path, FileChange Change, string Mode);

/// <summary>
/// How KubePS reaches a node: OpenSSH (the system ssh client), the local machine, or a dry-run folder.
/// Implementations are safe to use from one operation at a time per node; different nodes run in parallel.
/// </summary>
public interface INodeTransport : IAsyncDisposable
{
    /// <summary>The name the node was opened with.</summary>
    string HostName { get; }

    /// <summary>Runs a bash script on the node as root (sudo -n where the login user is not root), in one round trip.</summary>
    /// <param name="script">the script, sent on standard input, never on a command line (it may hold secrets)</param>
    /// <param name="timeout">how long the command may run; null for the transport's default</param>
    /// <param name="cancellationToken">cancels the command (the remote process is ended)</param>
    Task<CommandResult> RunAsync(string script, TimeSpan? timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a batch of files in one round trip: staged, then each renamed into place with its mode and owner, so a
    /// file is either the old or the new one. Files whose bytes, mode and owner are already right are left alone.
    /// </summary>
    Task<IReadOnlyList<FileWriteResult>> WriteFilesAsync(IReadOnlyList<NodeFile> files, CancellationToken cancellationToken);

    /// <summary>Reads files in one round trip; a missing file maps to null.</summary>
    Task<IReadOnlyDictionary<string, byte[]?>> ReadFilesAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken);
}
