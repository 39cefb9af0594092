using System.Management.Automation;
using KubePS.Core.KubeConfigs;

namespace KubePS.Commands;

/// <summary>Reads a kubeconfig file.</summary>
/// <remarks>
/// <para>Import-KubeConfig parses a kubeconfig (clusters, contexts, users, current context) into an object. Keys, tokens and passwords are kept inside KubePS and never shown.</para>
/// </remarks>
/// <example>
/// <code>Import-KubeConfig -Path /etc/kubernetes/admin.conf</code>
/// <para>Shows admin.conf's current context and server.</para>
/// </example>
/// <example>
/// <code>(Import-KubeConfig ./admin.conf).Clusters | Select-Object Name, @{ n = 'Server'; e = { $_.Cluster.Server } }</code>
/// <para>Lists the clusters of a kubeconfig with their servers.</para>
/// </example>
[Cmdlet(VerbsData.Import, "KubeConfig")]
[OutputType(typeof(KubeConfig))]
public sealed class ImportKubeConfigCommand : KubeCmdlet
{
    /// <summary>
    /// <para>The kubeconfig file.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string Path { get; set; } = "";

    protected override void ProcessRecord()
    {
        var file = CommandArgs.FullPath(this, Path);
        Run(sink => sink.WriteObject(KubeConfigFactory.Load(file)));
    }
}
