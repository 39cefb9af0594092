namespace KubePS.Core.Nodes;

/// <summary>
/// Runs on this machine, as kubeadm does when it runs on the node itself: the same bash scripts and batched atomic
/// writes as over SSH, through a local bash -s (sudo -n bash -s when this process is not root).
/// </summary>
public sealed class LocalTransport : ShellTransport
{
    public LocalTransport(string hostName, TimeSpan defaultTimeout)
        : base(hostName, defaultTimeout)
    {
        NodeSessionOptions.ValidateHostName(hostName);
        UsesSudo = !Environment.IsPrivilegedProcess;
    }

    public LocalTransport(NodeSessionOptions options)
        : this(options.EffectiveHostName, options.CommandTimeout)
    {
        options.Validate();
    }

    /// <summary>Checks that scripts can run as root here (sudo -n when this process is not root).</summary>
    public Task ConnectAsync(CancellationToken cancellationToken) =>
        RunAsync("true", TimeSpan.FromSeconds(30), cancellationToken);

    private protected override Task<ProcessOutcome> ExecuteBashAsync(byte[] input, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var command = TimeoutBash(timeout);
        return UsesSudo
            ? ProcessRunner.RunAsync("sudo", ["-n", .. command], Feed(input), LocalDeadline(timeout), cancellationToken)
            : ProcessRunner.RunAsync(command[0], command[1..], Feed(input), LocalDeadline(timeout), cancellationToken);
    }

    static Func<Stream, CancellationToken, Task> Feed(byte[] input) => (s, ct) => s.WriteAsync(input, ct).AsTask();

    private protected override KubeException StartFailure(ProcessOutcome outcome, string error)
    {
        if (UsesSudo && outcome.ExitCode == 1)
            return new KubeException("Node.SudoPasswordRequired",
                $"{HostName} (local): this process is not root and sudo -n did not run the script: {NodeScripts.Tail(error)}",
                KubeErrorCategory.PermissionDenied, HostName,
                $"Run PowerShell as root, or allow passwordless sudo for {Environment.UserName}.");
        return new KubeException("Node.ShellFailed",
            $"{HostName} (local): could not start bash (exit code {outcome.ExitCode}): {NodeScripts.Tail(error)}",
            KubeErrorCategory.ResourceUnavailable, HostName, "Check that bash and coreutils' timeout are installed and on PATH.");
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
