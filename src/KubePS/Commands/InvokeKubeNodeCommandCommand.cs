using System.Management.Automation;
using KubePS.Core.Nodes;

namespace KubePS.Commands;

/// <summary>Runs a bash script as root on nodes, in parallel, and returns each node's exit code, output and error output.</summary>
/// <remarks>
/// <para>Invoke-KubeNodeCommand sends the script on the standard input of bash on each node (sudo -n bash when the session's user is not root), never on a command line, so it may hold secrets. The script runs in a subshell with no standard input; it gets one round trip over the session's shared SSH connection.</para>
/// <para>Sessions come from the pipeline; they all run at the same time, up to -ThrottleLimit. Each node returns one result object (HostName, ExitCode, Output, Error, Duration) as soon as it finishes. A non-zero exit code is part of the result, not an error. A node that cannot run the script at all (unreachable, refused, timed out, connection lost) is reported as a non-terminating error with a stable id (Node.Unreachable, Node.CommandTimeout, Node.ConnectionLost, ...) and the other nodes go on.</para>
/// <para>-ScriptBlock is a convenience for writing the script with editor support: its text is sent to bash as it is written. It is never run by PowerShell, so PowerShell variables in it are not expanded.</para>
/// <para>On dry-run sessions the script is appended to commands.sh in the node's dry-run folder and the result is exit code 0 with no output.</para>
/// </remarks>
/// <example>
/// <code>Get-KubeNodeSession | Invoke-KubeNodeCommand -Command 'uname -r; swapon --show'</code>
/// <para>Shows the kernel version and any active swap of every node.</para>
/// </example>
/// <example>
/// <code>$nodes | Invoke-KubeNodeCommand -ScriptBlock { systemctl is-active kubelet || journalctl -u kubelet -n 20 --no-pager } | Where-Object ExitCode -ne 0</code>
/// <para>Checks kubelet on every node and keeps the results of the nodes where it is not active, with the last 20 lines of its journal in Output.</para>
/// </example>
/// <example>
/// <code>Get-KubeNodeSession w* | Invoke-KubeNodeCommand -Command 'apt-get update' -TimeoutSeconds 300 -ThrottleLimit 4</code>
/// <para>Updates the package lists on the workers, four at a time, stopping any node that takes more than five minutes.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "KubeNodeCommand", SupportsShouldProcess = true, DefaultParameterSetName = CommandSet)]
[OutputType(typeof(CommandResult))]
public sealed class InvokeKubeNodeCommandCommand : KubeCmdlet
{
    const string CommandSet = "Command", ScriptBlockSet = "ScriptBlock";

    readonly List<KubeNodeSession> _sessions = new();

    /// <summary>
    /// <para>The nodes to run on, from New-KubeNodeSession or Get-KubeNodeSession, usually through the pipeline.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public KubeNodeSession[] Session { get; set; } = [];

    /// <summary>
    /// <para>The bash script to run, as text. It runs as root.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = CommandSet)]
    [ValidateNotNullOrEmpty]
    public string Command { get; set; } = "";

    /// <summary>
    /// <para>The bash script to run, written as a script block: its text (without the braces) is sent to bash as it is. PowerShell does not run it or expand its variables.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ScriptBlockSet)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary>
    /// <para>How many seconds the script may run on each node before it is stopped (error Node.CommandTimeout). The default is the session's command timeout (10 minutes).</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSeconds { get; set; }

    /// <summary>
    /// <para>How many nodes run the script at the same time (default 32).</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = NodeFleet.DefaultThrottleLimit;

    protected override void ProcessRecord() => _sessions.AddRange(Session.Where(s => s is not null));

    protected override void EndProcessing()
    {
        var script = ParameterSetName == ScriptBlockSet ? ScriptBlock!.ToString() : Command;
        TimeSpan? timeout = TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : null;
        var sessions = _sessions.Distinct(ReferenceEqualityComparer.Instance).Cast<KubeNodeSession>().ToList();
        Run((sink, ct) => NodeCommand.InvokeAsync(sessions, script, timeout, sink, ThrottleLimit, ct));
    }
}
