using System.Management.Automation;
using KubePS.Core.Nodes;

namespace KubePS.Commands;

/// <summary>Gets the node sessions open in this PowerShell process.</summary>
/// <remarks>
/// <para>New-KubeNodeSession keeps every session it opens, by host name, for the whole process (all runspaces). Get-KubeNodeSession returns them, ordered by host name, so later commands can reach nodes by name without passing session variables around.</para>
/// <para>-HostName accepts wildcards. A name without wildcards that has no session is reported as a non-terminating error (Node.SessionNotFound).</para>
/// </remarks>
/// <example>
/// <code>Get-KubeNodeSession</code>
/// <para>Lists every open session with its host name, kind (OpenSsh, Local, DryRun), user and port.</para>
/// </example>
/// <example>
/// <code>Get-KubeNodeSession -HostName 'cp*' | Invoke-KubeNodeCommand -Command 'uptime'</code>
/// <para>Runs uptime on every node whose name starts with cp.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "KubeNodeSession")]
[OutputType(typeof(KubeNodeSession))]
public sealed class GetKubeNodeSessionCommand : KubeCmdlet
{
    /// <summary>
    /// <para>Host names of the sessions to get; wildcards are allowed. The default is every session.</para>
    /// </summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [Alias("ComputerName", "Name")]
    public string[]? HostName { get; set; }

    protected override void ProcessRecord()
    {
        var all = NodeSessionRegistry.All;
        if (HostName is null || HostName.Length == 0)
        {
            WriteObject(all, enumerateCollection: true);
            return;
        }
        var written = new HashSet<KubeNodeSession>(ReferenceEqualityComparer.Instance);
        foreach (var name in HostName)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
                foreach (var s in all.Where(s => pattern.IsMatch(s.HostName) && written.Add(s))) WriteObject(s);
            }
            else if (NodeSessionRegistry.Find(name) is { } session)
            {
                if (written.Add(session)) WriteObject(session);
            }
            else
            {
                WriteError(ToErrorRecord(NodeSessionRegistry.NotFound(name)));
            }
        }
    }
}
