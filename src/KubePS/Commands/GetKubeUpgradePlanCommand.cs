using System.Management.Automation;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows.Upgrade;

namespace KubePS.Commands;

/// <summary>Shows what an upgrade of the cluster would change and what blocks it, as kubeadm upgrade plan does.</summary>
/// <remarks>
/// <para>Get-KubeUpgradePlan reads the cluster (the API server's version, the nodes and their kubelets, the control-plane mirror pods, kube-proxy and CoreDNS) and returns one plan per target: with -Version that version, else the newest patch of the current minor and the newest release of the next minor that KubePS's catalog knows. Each plan lists every component with its current and target version (kube-apiserver, kube-controller-manager, kube-scheduler and etcd per control-plane node, kube-proxy, CoreDNS, the kubelet of each node; etcd is never downgraded) and what blocks the upgrade: the skew policy (one minor at a time, no downgrade, a kubelet never newer than the API server, kubelets not too old), nodes that are not Ready, and expired certificates.</para>
/// <para>Certificates are read over the sessions of the control-plane nodes (-Session, else the open sessions that match them); a control-plane node without a session is named in the plan's Notes as not checked.</para>
/// </remarks>
/// <example>
/// <code>Get-KubeUpgradePlan</code>
/// <para>Shows the upgrades the catalog offers for the current cluster and what blocks each.</para>
/// </example>
/// <example>
/// <code>(Get-KubeUpgradePlan -Version 1.19.5).Components | Where-Object { $_.Current -ne $_.Target }</code>
/// <para>Lists the components an upgrade to 1.19.5 would change.</para>
/// </example>
/// <example>
/// <code>Get-KubeUpgradePlan -Version 1.19.5 -Session (Get-KubeNodeSession -HostName cp*) | Select-Object -ExpandProperty Blockers</code>
/// <para>Lists what blocks an upgrade to 1.19.5, with the control planes' certificates checked.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "KubeUpgradePlan")]
[OutputType(typeof(KubeUpgradePlan))]
public sealed class GetKubeUpgradePlanCommand : KubeCmdlet
{
    /// <summary>
    /// <para>The target version: 1.19.5, or 1.19 for the newest 1.19 release KubePS knows. The default is both targets the catalog offers.</para>
    /// </summary>
    [Parameter(Position = 0)]
    [Alias("KubernetesVersion")]
    public string? Version { get; set; }

    /// <summary>
    /// <para>Sessions of the control-plane nodes, to check their certificates. The default is the open sessions that match the control-plane nodes.</para>
    /// </summary>
    [Parameter]
    public KubeNodeSession[]? Session { get; set; }

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
            var target = Version is null ? null : KubeVersion.Parse(Version);
            var connection = KubeClusterArgs.Connection(kubeConfig);
            using var api = connection.CreateClient();
            var state = await ClusterState.ReadAsync(api, ct);
            var (blockers, notes) = await UpgradeCertificateCheck.RunAsync(state, Session, sink, ct);
            foreach (var plan in UpgradePlanner.Plan(state, target, blockers, notes)) sink.WriteObject(plan);
        });
    }
}
