using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Cluster;

namespace KubePS.Commands;

/// <summary>Lists the cluster's nodes with their roles, readiness, kubelet version and addresses, as kubectl get nodes -o wide does.</summary>
/// <remarks>
/// <para>Get-KubeNode reads the Node objects of the cluster and returns one KubeNode per node: Name, Roles (from the node-role.kubernetes.io/ labels), Ready, KubeletVersion, InternalIP, HostName, OS, ContainerRuntime, Taints and Age. A node is a control plane when it carries a control-plane label of any Kubernetes release KubePS knows: node-role.kubernetes.io/control-plane (1.20 and later) or node-role.kubernetes.io/master (up to 1.23).</para>
/// <para>HostName is how the node cmdlets reach the node: the host name of an open session (New-KubeNodeSession) that matches the node by name, Hostname address or InternalIP, else the node's Hostname address. It binds by property name, so Get-KubeNode pipes into Update-KubeCluster, Reset-KubeNode and Update-KubeCertificate, which find the session or open one with your ssh configuration.</para>
/// <para>The cluster is the one of -KubeConfig, else the one chosen with Connect-KubeCluster, else $env:KUBECONFIG, else ~/.kube/config.</para>
/// </remarks>
/// <example>
/// <code>Get-KubeNode</code>
/// <para>Lists every node of the current cluster.</para>
/// </example>
/// <example>
/// <code>Get-KubeNode -Role Worker | Where-Object { -not $_.Ready }</code>
/// <para>Lists the worker nodes that are not Ready.</para>
/// </example>
/// <example>
/// <code>Get-KubeNode -Name 'cp*' -KubeConfig ./admin.conf</code>
/// <para>Lists the nodes whose names start with cp, in the cluster of ./admin.conf.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "KubeNode")]
[OutputType(typeof(KubeNode))]
public sealed class GetKubeNodeCommand : KubeCmdlet
{
    /// <summary>
    /// <para>Node names; wildcards are allowed. The default is every node. A name without wildcards that the cluster does not have is a non-terminating error (Cluster.NodeNotFound).</para>
    /// </summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [Alias("NodeName")]
    public string[]? Name { get; set; }

    /// <summary>
    /// <para>Only nodes of this role: ControlPlane or Worker.</para>
    /// </summary>
    [Parameter]
    [ValidateSet("ControlPlane", "Worker")]
    public string? Role { get; set; }

    /// <summary>
    /// <para>The kubeconfig file of the cluster. The default is the cluster of Connect-KubeCluster, then $env:KUBECONFIG, then ~/.kube/config.</para>
    /// </summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    protected override void ProcessRecord()
    {
        var kubeConfig = KubeClusterArgs.KubeConfigPath(this, KubeConfig);
        var names = Name?.Select(n => new KubeNameFilter(n, WildcardPattern.ContainsWildcardCharacters(n), new WildcardPattern(n, WildcardOptions.IgnoreCase).IsMatch)).ToList();
        Run(async (sink, ct) =>
        {
            var connection = KubeClusterArgs.Connection(kubeConfig);
            using var api = connection.CreateClient();
            KubeNodeRole? role = Role is null ? null : CommandArgs.Parse<KubeNodeRole>(Role);
            var nodes = await NodeInventory.ListAsync(api, role, ct);
            foreach (var r in KubeNodeQuery.Select(nodes, names, connection.Server, role))
                if (r.Found is not null) sink.WriteObject(r.Found);
                else sink.WriteError(r.Error!);
        });
    }
}
