using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Api;
using KubePS.Core.Nodes;
using KubePS.Core.Workflows.Reset;

namespace KubePS.Commands;

/// <summary>Resets nodes as kubeadm reset does, plus what kubeadm leaves to the administrator: drain and delete the Node, CNI files and links, iptables and IPVS rules.</summary>
/// <remarks>
/// <para>Reset-KubeNode undoes what init and join did on a node, in kubeadm's order: on a control-plane node with local etcd its member is removed from the etcd cluster through the other members (the only member of a cluster is not removed; when the removal fails, the etcd data is kept so that the member can still be removed by hand); the static pod manifests are removed and the kubelet stops the control plane; the kubelet is stopped, the container runtime's pods removed (crictl), everything mounted under /var/lib/kubelet unmounted, and the certificates, kubeconfig files, /etc/kubernetes/tmp, /var/lib/kubelet, the etcd data and /var/run/kubernetes removed.</para>
/// <para>Beyond kubeadm: the CNI configuration (/etc/cni/net.d, /var/lib/cni) and the links cni0, flannel.1 and vxlan.calico are removed unless -KeepCni; -CleanupIptables flushes the iptables and ip6tables filter, nat and mangle tables (every rule, not only Kubernetes'), -CleanupIpvs clears the IPVS tables. With -RemoveFromCluster the node is first drained (--ignore-daemonsets --delete-emptydir-data --force), a control plane's API endpoint is removed from kubeadm-config's ClusterStatus (clusters of 1.18 to 1.21, as kubeadm reset's update-cluster-status phase does), and its Node object is deleted at the end, once its kubelet is stopped.</para>
/// <para>The reset is best effort, as kubeadm's is: a step that fails is a warning and the next one runs. The result lists what was removed and every warning; the node then passes preflight again. Nodes are reset one after the other.</para>
/// </remarks>
/// <example>
/// <code>Get-KubeNodeSession -HostName w2 | Reset-KubeNode -RemoveFromCluster -Confirm:$false</code>
/// <para>Drains w2, wipes its Kubernetes state and deletes its Node object.</para>
/// </example>
/// <example>
/// <code>Get-KubeNode -Name cp3 | Reset-KubeNode -RemoveFromCluster -CleanupIptables</code>
/// <para>Takes control-plane node cp3 out of the cluster: drain, etcd member removal, cleanup with the iptables rules, Node deleted.</para>
/// </example>
/// <example>
/// <code>$nodes | Reset-KubeNode -WhatIf</code>
/// <para>Shows what resetting each node would do, changing nothing.</para>
/// </example>
[Cmdlet(VerbsCommon.Reset, "KubeNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = HostSet)]
[OutputType(typeof(KubeNodeResetResult))]
public sealed class ResetKubeNodeCommand : KubeCmdlet
{
    const string HostSet = "HostName", SessionSet = "Session";

    /// <summary>
    /// <para>The node sessions of the nodes to reset.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = SessionSet)]
    [ValidateNotNull]
    public KubeNodeSession[] Session { get; set; } = [];

    /// <summary>
    /// <para>The node to reset, by host name (binds the HostName of Get-KubeNode objects); its session is taken from the session registry or opened with the default options.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = HostSet)]
    [ValidateNotNullOrEmpty]
    public string? HostName { get; set; }

    /// <summary>
    /// <para>Also drain the node first and delete its Node object at the end, through the cluster's API.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter RemoveFromCluster { get; set; }

    /// <summary>
    /// <para>The Node's name in the cluster. The default is read from the node (its kubelet client certificate, else its host name).</para>
    /// </summary>
    [Parameter]
    public string? NodeName { get; set; }

    /// <summary>
    /// <para>Leave /etc/cni/net.d, /var/lib/cni and the CNI links in place.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter KeepCni { get; set; }

    /// <summary>
    /// <para>Flush the iptables and ip6tables filter, nat and mangle tables and delete their chains (all rules, including ones not made by Kubernetes).</para>
    /// </summary>
    [Parameter]
    public SwitchParameter CleanupIptables { get; set; }

    /// <summary>
    /// <para>Clear the IPVS tables (ipvsadm --clear) and delete the kube-ipvs0 link, after kube-proxy in IPVS mode.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter CleanupIpvs { get; set; }

    /// <summary>
    /// <para>The kubeconfig file of the cluster, for -RemoveFromCluster. The default is the cluster of Connect-KubeCluster, then $env:KUBECONFIG, then ~/.kube/config.</para>
    /// </summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    readonly List<(string Host, KubeNodeSession? Session)> _targets = [];

    protected override void ProcessRecord()
    {
        if (ParameterSetName == SessionSet) _targets.AddRange(Session.Select(s => (s.HostName, (KubeNodeSession?)s)));
        else _targets.Add((HostName!, null));
    }

    protected override void EndProcessing()
    {
        if (_targets.Count == 0) return;
        var kubeConfig = KubeClusterArgs.KubeConfigPath(this, KubeConfig);
        Run(async (sink, ct) =>
        {
            using KubeApiClient? api = RemoveFromCluster ? KubeClusterArgs.Connection(kubeConfig).CreateClient() : null;
            var request = new ResetRequest
            {
                RemoveFromCluster = RemoveFromCluster, Api = api, NodeName = NodeName, CleanupCni = !KeepCni, CleanupIptables = CleanupIptables, CleanupIpvs = CleanupIpvs,
            };
            request.Validate();
            foreach (var (host, given) in _targets)
            {
                try
                {
                    var session = given ?? await NodeSessionResolver.FindOrOpenAsync(host, ct);
                    if (await ResetWorkflow.RunAsync(session, request, sink, ct) is { } r) sink.WriteObject(r);
                }
                catch (KubeException e)
                {
                    sink.WriteError(e.Target is null ? new KubeException(e.ErrorId, e.Message, e.Category, host, e.RecommendedAction, e) : e);
                }
            }
        });
    }
}
