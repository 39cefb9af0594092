using System.Text.RegularExpressions;

namespace KubePS.Core.Nodes;

/// <summary>
/// A file to put on a node: path, bytes, mode and owner. ToString never shows the content (it may be a key).
/// The path, owner, group and modes are checked when the object is made (error ids Node.InvalidFilePath,
/// Node.InvalidFileOwner, Node.InvalidFileMode), so a bad file fails before anything is sent to a node.
/// </summary>
public sealed partial class NodeFile
{
    /// <summary>0644, the mode of a file nobody said otherwise about.</summary>
    public const int DefaultMode = 0b110_100_100;

    /// <summary>0755, the mode of a parent directory that has to be created.</summary>
    public const int DefaultDirectoryMode = 0b111_101_101;

    public NodeFile(string path, byte[] content, int mode = DefaultMode, string owner = "root", string group = "root")
    {
        ValidatePath(path);
        ArgumentNullException.ThrowIfNull(content);
        ValidateMode(mode, path);
        ValidateAccount(owner, "owner", path);
        ValidateAccount(group, "group", path);
        Path = path; Content = content; Mode = mode; Owner = owner; Group = group;
    }

    public static NodeFile Text(string path, string content, int mode = DefaultMode) =>
        new(path, System.Text.Encoding.UTF8.GetBytes(content), mode);

    public string Path { get; }
    public byte[] Content { get; }
    /// <summary>Unix permission bits, e.g. 0600 = 384.</summary>
    public int Mode { get; }
    /// <summary>User name or numeric uid.</summary>
    public string Owner { get; }
    /// <summary>Group name or numeric gid.</summary>
    public string Group { get; }

    /// <summary>
    /// The mode of parent directories that do not exist yet and are created for this file (existing directories are
    /// left as they are). Null means 0755.
    /// </summary>
    public int? DirectoryMode
    {
        get => _directoryMode;
        init
        {
            if (value is { } m) ValidateMode(m, Path);
            _directoryMode = value;
        }
    }
    readonly int? _directoryMode;

    public string ModeText => Convert.ToString(Mode, 8).PadLeft(4, '0');
    public override string ToString() => $"{Path} ({ModeText}, {Content.Length} bytes)";

    /// <summary>Checks that a path is one a node transport can write or read: absolute, normalized, printable.</summary>
    public static void ValidatePath(string? path)
    {
        string? problem =
            string.IsNullOrEmpty(path) ? "it is empty" :
            path[0] != '/' ? "it is not absolute" :
            path == "/" ? "it is the root directory" :
            path.Length > 4095 ? "it is longer than 4095 characters" :
            path.Any(c => char.IsControl(c)) ? "it contains a control character (tab, newline, ...)" :
            path.EndsWith('/') ? "it ends with '/'" :
            path.Contains("//") ? "it contains '//'" :
            path.Split('/').Any(s => s is "." or "..") ? "it contains a '.' or '..' segment" :
            null;
        if (problem is not null)
            throw new KubeException("Node.InvalidFilePath", $"The node file path '{path}' is not valid: {problem}.",
                KubeErrorCategory.InvalidArgument, path, "Give an absolute, normalized path such as /etc/kubernetes/pki/ca.crt.");
    }

    static void ValidateMode(int mode, string path)
    {
        if (mode is < 0 or > 0b111_111_111_111)
            throw new KubeException("Node.InvalidFileMode", $"The mode {Convert.ToString(mode, 8)} (octal) of {path} is not valid: it must be between 0000 and 7777 (octal).",
                KubeErrorCategory.InvalidArgument, path, "Give Unix permission bits, e.g. 0b110_000_000 (0600) for a private key.");
    }

    static void ValidateAccount(string name, string what, string path)
    {
        if (string.IsNullOrEmpty(name) || !AccountName().IsMatch(name))
            throw new KubeException("Node.InvalidFileOwner", $"The {what} '{name}' of {path} is not a valid user or group name or number.",
                KubeErrorCategory.InvalidArgument, path, "Give a name like root or etcd (letters, digits, '_', '-', '.'; at most 32 characters) or a numeric id.");
    }

    [GeneratedRegex(@"^(?:[0-9]{1,10}|[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?)$")]
    private static partial Regex AccountName();
}

/// <summary>
/// The result of one command or script run on a node. A non-zero exit code is a result, not an error: transports throw
/// only when the script could not run or its end could not be seen (unreachable, refused, timed out, connection lost).
/// </summary>
public sealed record CommandResult(string HostName, int ExitCode, string Output, string Error, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>True when a dry-run transport recorded the script (in commands.sh) instead of running it: exit code 0, no output.</summary>
    public bool Recorded { get; init; }
}

/// <summary>What a batch write did to each file.</summary>
public enum FileChange { Unchanged, Created, Updated }

public sealed record FileWriteResult(string Path, FileChange Change, string Mode);

/// <summary>
/// How KubePS reaches a node: OpenSSH (the system ssh client), the local machine, or a dry-run folder.
/// Implementations are safe to use from one operation at a time per node; different nodes run in parallel.
/// Failures that are not the script's own exit code are KubeExceptions with stable ids (Node.Unreachable,
/// Node.AuthenticationFailed, Node.HostKeyUnknown, Node.HostKeyMismatch, Node.SudoPasswordRequired,
/// Node.CommandTimeout, Node.ConnectionLost, Node.WriteFailed, Node.ReadFailed ...), each naming the node.
/// </summary>
public interface INodeTransport : IAsyncDisposable
{
    /// <summary>The name the node was opened with.</summary>
    string HostName { get; }

    /// <summary>
    /// Runs a bash script on the node as root (sudo -n where the login user is not root), in one round trip.
    /// The script gets no standard input (it reads /dev/null) and runs in a subshell, so <c>exit</c> and traps behave
    /// as in a script file.
    /// </summary>
    /// <param name="script">the script, sent on standard input, never on a command line (it may hold secrets)</param>
    /// <param name="timeout">how long the command may run; null for the transport's default</param>
    /// <param name="cancellationToken">cancels the run: the local ssh (or bash) process is killed; over SSH the script on the
    /// node may go on until its timeout, which the node enforces itself</param>
    Task<CommandResult> RunAsync(string script, TimeSpan? timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a batch of files in one round trip: staged, then each renamed into place with its mode and owner, so a
    /// file is either the old or the new one. Files whose bytes, mode and owner are already right are left alone.
    /// </summary>
    Task<IReadOnlyList<FileWriteResult>> WriteFilesAsync(IReadOnlyList<NodeFile> files, CancellationToken cancellationToken);

    /// <summary>Reads files in one round trip; a missing file maps to null.</summary>
    Task<IReadOnlyDictionary<string, byte[]?>> ReadFilesAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken);
}
