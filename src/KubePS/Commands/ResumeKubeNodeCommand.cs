using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Cluster;

namespace KubePS.Commands;

/// <summary>Makes cordoned nodes schedulable again, as kubectl uncordon does.</summary>
/// <remarks>
/// <para>Resume-KubeNode clears the node's spec.unschedulable and returns the node as it is now. A node that is schedulable already is left as it is.</para>
/// </remarks>
/// <example>
/// <code>Resume-KubeNode -Name w1</code>
/// <para>Uncordons w1.</para>
/// </example>
/// <example>
/// <code>Get-KubeNode | Where-Object Unschedulable | Resume-KubeNode</code>
/// <para>Uncordons every cordoned node.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Resume, "KubeNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KubeNode))]
public sealed class ResumeKubeNodeCommand : KubeCmdlet
{
    /// <summary>
    /// <para>The names of the nodes to uncordon (binds the Name of Get-KubeNode objects).</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("NodeName")]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>
    /// <para>The kubeconfig file of the cluster. The default is the cluster of Connect-KubeCluster, then $env:KUBECONFIG, then ~/.kube/config.</para>
    /// </summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    protected override void ProcessRecord()
    {
        var kubeConfig = KubeClusterArgs.KubeConfigPath(this, KubeConfig);
        Run(async (sink, ct) =>
    {
        var connection = KubeClusterArgs.Connection(kubeConfig);
        using var api = connection.CreateClient();
        foreach (var name in Name)
        {
            try
            {
                if (await NodeDrain.ResumeAsync(api, name, sink, ct) is { } n) sink.WriteObject(n);
            }
            catch (KubeException e) { sink.WriteError(e); }
        }
    });
    }
}
