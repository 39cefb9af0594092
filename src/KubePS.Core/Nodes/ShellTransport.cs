using System.Text;

namespace KubePS.Core.Nodes;

/// <summary>
/// A transport that reaches a bash on the node (through ssh, or locally): every operation is one bash -s process whose
/// standard input carries the script (and, for writes, a tar stream after it). Derived classes only start the process.
/// </summary>
public abstract class ShellTransport : INodeTransport
{
    /// <summary>Seconds the remote <c>timeout</c> waits between TERM and KILL.</summary>
    private protected const int KillAfterSeconds = 5;

    private protected ShellTransport(string hostName, TimeSpan defaultTimeout)
    {
        HostName = hostName;
        DefaultTimeout = defaultTimeout;
    }

    public string HostName { get; }

    public TimeSpan DefaultTimeout { get; }

    /// <summary>True when scripts run through sudo -n (the login user is not root).</summary>
    public bool UsesSudo { get; private protected set; }

    /// <summary>
    /// Starts bash -s as root on the node, wrapped in <c>timeout</c> (so the node itself stops a script that runs too
    /// long), feeds it <paramref name="input"/>, and returns what came back. The local process is killed when
    /// <paramref name="timeout"/> plus a grace period has passed.
    /// </summary>
    private protected abstract Task<ProcessOutcome> ExecuteBashAsync(byte[] input, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>A failure before the script began (exit code, stderr): ssh, sudo or the shell itself.</summary>
    private protected abstract KubeException StartFailure(ProcessOutcome outcome, string error);

    /// <summary>A script that began but whose end was not seen, and that was not stopped by the timeout.</summary>
    private protected virtual KubeException? CutOff(ProcessOutcome outcome) => null;

    /// <summary>The <c>timeout</c> arguments that make bash -s stop by itself after <paramref name="timeout"/>.</summary>
    private protected static string[] TimeoutBash(TimeSpan timeout) =>
        ["timeout", "-k", $"{KillAfterSeconds}s", $"{Math.Max(1, (long)Math.Ceiling(timeout.TotalSeconds))}s", "bash", "-s"];

    /// <summary>How long the local side waits beyond the node's own timeout before killing the process.</summary>
    private protected static TimeSpan LocalDeadline(TimeSpan timeout) => timeout + TimeSpan.FromSeconds(KillAfterSeconds + 10);

    public async Task<CommandResult> RunAsync(string script, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(script);
        var (outcome, error) = await RunMarkedAsync(Encoding.UTF8.GetBytes(NodeScripts.WrapUserScript(script)), timeout ?? DefaultTimeout, cancellationToken).ConfigureAwait(false);
        return new CommandResult(HostName, outcome.ExitCode, Encoding.UTF8.GetString(outcome.StandardOutput), error, outcome.Duration);
    }

    public async Task<IReadOnlyList<FileWriteResult>> WriteFilesAsync(IReadOnlyList<NodeFile> files, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0) return [];
        CheckDistinct(HostName, files);
        var payload = NodeScripts.BuildWritePayload(files, NodeScripts.NewBatchId());
        var (outcome, error) = await RunMarkedAsync(payload, DefaultTimeout, cancellationToken).ConfigureAwait(false);
        return NodeScripts.ParseWriteReport(HostName, files, Encoding.UTF8.GetString(outcome.StandardOutput), outcome.ExitCode, error);
    }

    public async Task<IReadOnlyDictionary<string, byte[]?>> ReadFilesAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var p in paths) NodeFile.ValidatePath(p);
        var distinct = paths.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == 0) return new Dictionary<string, byte[]?>();
        var script = Encoding.UTF8.GetBytes(NodeScripts.BuildReadScript(distinct));
        var (outcome, error) = await RunMarkedAsync(script, DefaultTimeout, cancellationToken).ConfigureAwait(false);
        return NodeScripts.ParseReadReport(HostName, distinct, Encoding.UTF8.GetString(outcome.StandardOutput), outcome.ExitCode, error);
    }

    /// <summary>Runs a marked script and turns everything that is not "the script ran to its end" into a KubeException.</summary>
    private protected async Task<(ProcessOutcome Outcome, string Error)> RunMarkedAsync(byte[] input, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout <= TimeSpan.Zero)
            throw new KubeException("Node.InvalidTimeout", $"{HostName}: the timeout {timeout} is not valid.", KubeErrorCategory.InvalidArgument, timeout, "Give a positive timeout.");
        var outcome = await ExecuteBashAsync(input, timeout, cancellationToken).ConfigureAwait(false);
        var marked = NodeScripts.StripMarkers(outcome.StandardError);
        if (marked.Ended) return (outcome, marked.Error);
        if (outcome.TimedOut || (marked.Begun && outcome.ExitCode is 124 or 137 && outcome.Duration >= timeout - TimeSpan.FromSeconds(1)))
            throw new KubeException("Node.CommandTimeout",
                $"{HostName}: the script did not finish within {Seconds(timeout)} and was stopped.",
                KubeErrorCategory.OperationTimeout, HostName,
                $"Give the operation a longer timeout, or look on {HostName} for what hangs (a package lock, a slow download, a stuck mount).");
        if (!marked.Begun) throw StartFailure(outcome, marked.Error);
        // Began but did not end: cut off (connection lost), or the script's shell died (e.g. a syntax error): the
        // latter is the script's own result.
        if (CutOff(outcome) is { } cut) throw cut;
        return (outcome, marked.Error);
    }

    static string Seconds(TimeSpan t) => t.TotalSeconds < 120 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalMinutes:0.#} min";

    internal static void CheckDistinct(string hostName, IReadOnlyList<NodeFile> files)
    {
        var dup = files.GroupBy(f => f.Path, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new KubeException("Node.DuplicateFile", $"{hostName}: the batch writes {dup.Key} {dup.Count()} times.",
                KubeErrorCategory.InvalidArgument, dup.Key, "Give each path once per batch.");
    }

    public abstract ValueTask DisposeAsync();

    public override string ToString() => HostName;
}
