using KubePS.Core.Operations;

namespace KubePS.Core.Nodes;

/// <summary>Runs one caller-given bash script on many nodes (Invoke-KubeNodeCommand).</summary>
public static class NodeCommand
{
    /// <summary>
    /// Runs <paramref name="script"/> as root on every session in parallel (up to <paramref name="throttleLimit"/>), after
    /// asking <see cref="IOperationSink.ShouldChangeAsync"/> per node. Each node's <see cref="CommandResult"/> is written
    /// to the sink as soon as it finishes; a node that cannot run the script is a non-terminating error.
    /// </summary>
    public static async Task<IReadOnlyList<CommandResult>> InvokeAsync(IReadOnlyList<KubeNodeSession> sessions, string script, TimeSpan? timeout,
        IOperationSink sink, int throttleLimit = NodeFleet.DefaultThrottleLimit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        if (string.IsNullOrWhiteSpace(script))
            throw new KubeException("Node.EmptyScript", "The script is empty.", KubeErrorCategory.InvalidArgument, script, "Give the bash commands to run.");
        var results = await NodeFleet.RunAsync(sessions, "Running command", async (s, ct) =>
        {
            if (!await sink.ShouldChangeAsync(s.ToString(), "Run command as root", ct).ConfigureAwait(false)) return null;
            var result = await s.RunAsync(script, timeout, ct).ConfigureAwait(false);
            sink.WriteVerbose($"{s.HostName}: exit code {result.ExitCode} after {result.Duration.TotalSeconds:0.00} s");
            sink.WriteObject(result);
            return result;
        }, sink, throttleLimit, cancellationToken).ConfigureAwait(false);
        return results.Where(r => r.Value is not null).Select(r => r.Value!).ToList();
    }
}
