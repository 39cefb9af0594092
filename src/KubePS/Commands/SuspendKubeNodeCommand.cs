using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Cluster;

namespace KubePS.Commands;

/// <summary>Cordons nodes (marks them unschedulable) and, with -Drain, evicts their pods as kubectl drain does.</summary>
/// <remarks>
/// <para>Suspend-KubeNode sets the node's spec.unschedulable, as kubectl cordon does. With -Drain it then evicts the node's pods through the eviction API, so PodDisruptionBudgets are respected: an eviction a budget refuses (HTTP 429) is asked again every few seconds until -Timeout (default 5 minutes), and each evicted pod is waited for until it is gone.</para>
/// <para>As kubectl drain: mirror pods (static pods) are left alone; DaemonSet pods stop the drain unless -IgnoreDaemonSets (they are then left on the node); pods with emptyDir volumes stop it unless -DeleteEmptyDirData; pods that no controller manages (and pods whose DaemonSet is gone) stop it unless -Force. A drain that is stopped evicts nothing and names every pod in the way; the node stays cordoned either way. Resume-KubeNode makes it schedulable again.</para>
/// </remarks>
/// <example>
/// <code>Suspend-KubeNode -Name w1</code>
/// <para>Cordons w1: new pods are not scheduled there.</para>
/// </example>
/// <example>
/// <code>Get-KubeNode -Name w1 | Suspend-KubeNode -Drain -IgnoreDaemonSets -DeleteEmptyDirData -Timeout (New-TimeSpan -Minutes 10)</code>
/// <para>Drains w1 for maintenance as kubeadm's upgrade guide does, waiting up to 10 minutes for disruption budgets.</para>
/// </example>
/// <example>
/// <code>Get-KubeNode -Role Worker | Suspend-KubeNode -Drain -IgnoreDaemonSets -WhatIf</code>
/// <para>Shows which nodes would be drained, changing nothing.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Suspend, "KubeNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KubeNodeDrainResult))]
public sealed class SuspendKubeNodeCommand : KubeCmdlet
{
    /// <summary>
    /// <para>The names of the nodes to cordon (binds the Name of Get-KubeNode objects).</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("NodeName")]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>
    /// <para>Also evict the node's pods (kubectl drain).</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Drain { get; set; }

    /// <summary>
    /// <para>How long the evictions may take, disruption budget refusals included. The default is 5 minutes.</para>
    /// </summary>
    [Parameter]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// <para>Also delete pods that no controller manages, and pods whose DaemonSet is gone (they are not recreated).</para>
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>
    /// <para>Leave DaemonSet-managed pods on the node instead of refusing to drain.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter IgnoreDaemonSets { get; set; }

    /// <summary>
    /// <para>Also evict pods with emptyDir volumes; their data is lost.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter DeleteEmptyDirData { get; set; }

    /// <summary>
    /// <para>The termination grace period in seconds given to evicted pods. The default is each pod's own.</para>
    /// </summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? GracePeriod { get; set; }

    /// <summary>
    /// <para>The kubeconfig file of the cluster. The default is the cluster of Connect-KubeCluster, then $env:KUBECONFIG, then ~/.kube/config.</para>
    /// </summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    protected override void ProcessRecord()
    {
        var kubeConfig = KubeClusterArgs.KubeConfigPath(this, KubeConfig);
        var options = new DrainOptions
        {
            Timeout = Timeout, Force = Force, IgnoreDaemonSets = IgnoreDaemonSets, DeleteEmptyDirData = DeleteEmptyDirData, GracePeriodSeconds = GracePeriod,
        };
        Run(async (sink, ct) =>
        {
            options.Validate();
            var connection = KubeClusterArgs.Connection(kubeConfig);
            using var api = connection.CreateClient();
            foreach (var name in Name)
            {
                try
                {
                    if (await NodeDrain.SuspendAsync(api, name, Drain, options, sink, ct) is { } r) sink.WriteObject(r);
                }
                catch (KubeException e) { sink.WriteError(e); }
            }
        });
    }
}
