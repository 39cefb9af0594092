using System.Management.Automation;
using KubePS.Core.Nodes;

namespace KubePS.Commands;

/// <summary>Closes node sessions and forgets them.</summary>
/// <remarks>
/// <para>Remove-KubeNodeSession takes sessions from the pipeline (or host names), closes their shared SSH connection (ssh -O exit on the ControlMaster) and removes them from the sessions Get-KubeNodeSession lists. A closed session cannot be used again; open a new one with New-KubeNodeSession.</para>
/// <para>Nothing on the node changes. A host name without a session is reported as a non-terminating error (Node.SessionNotFound).</para>
/// </remarks>
/// <example>
/// <code>Get-KubeNodeSession | Remove-KubeNodeSession</code>
/// <para>Closes every open session.</para>
/// </example>
/// <example>
/// <code>Remove-KubeNodeSession -HostName w1, w2 -WhatIf</code>
/// <para>Shows which sessions would be closed, without closing them.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "KubeNodeSession", SupportsShouldProcess = true, DefaultParameterSetName = SessionSet)]
[OutputType(typeof(void))]
public sealed class RemoveKubeNodeSessionCommand : KubeCmdlet
{
    const string SessionSet = "Session", HostNameSet = "HostName";

    readonly List<KubeNodeSession> _sessions = new();

    /// <summary>
    /// <para>The sessions to close, usually from Get-KubeNodeSession or New-KubeNodeSession through the pipeline.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = SessionSet)]
    public KubeNodeSession[] Session { get; set; } = [];

    /// <summary>
    /// <para>The host names whose sessions to close.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = HostNameSet)]
    [Alias("ComputerName", "Name")]
    public string[] HostName { get; set; } = [];

    protected override void ProcessRecord()
    {
        if (ParameterSetName == SessionSet)
        {
            _sessions.AddRange(Session.Where(s => s is not null));
            return;
        }
        foreach (var name in HostName)
        {
            if (NodeSessionRegistry.Find(name) is { } s) _sessions.Add(s);
            else WriteError(ToErrorRecord(NodeSessionRegistry.NotFound(name)));
        }
    }

    protected override void EndProcessing()
    {
        var sessions = _sessions.Distinct(ReferenceEqualityComparer.Instance).Cast<KubeNodeSession>().ToList();
        Run(async (sink, ct) =>
        {
            foreach (var s in sessions)
            {
                if (!await sink.ShouldChangeAsync(s.ToString(), "Close node session", ct).ConfigureAwait(false)) continue;
                await NodeSessionRegistry.RemoveAsync(s).ConfigureAwait(false);
                sink.WriteVerbose($"{s.HostName}: session closed");
            }
        });
    }
}
