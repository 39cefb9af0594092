using System.Management.Automation;
using KubePS.Core.Nodes;

namespace KubePS.Commands;

/// <summary>Gets what KubePS knows about nodes: OS, kernel, CPUs, memory, cgroups, swap, runtime, Kubernetes binaries, addresses and more.</summary>
/// <remarks>
/// <para>Get-KubeNodeInfo runs one read-only probe script per node (or uses the facts already cached in the session) and returns them as a NodeFacts object: operating system and kernel, CPUs and memory, cgroup version and controllers, swap devices and fstab swap lines, SELinux, firewalld and ufw, the package manager, container runtimes and their CRI sockets, kubelet/kubeadm/kubectl versions and the kubelet service, host name resolution, addresses, listening ports, kubeadm's files and directories, sysctls, kernel modules and kernel config, proxy settings and the time zone.</para>
/// <para>Preflight and the Install-Kube* cmdlets read the same facts, so a node is probed once per session unless -Refresh is given or a node was changed.</para>
/// </remarks>
/// <example>
/// <code>'cp1', 'w1' | New-KubeNodeSession -UserName root | Get-KubeNodeInfo</code>
/// <para>Shows a table of the two nodes: OS, kernel, CPUs, memory, cgroup version, container runtime and kubelet version.</para>
/// </example>
/// <example>
/// <code>$nodes | Get-KubeNodeInfo -Refresh | Select-Object HostName, SwapDevices, FstabSwapLines, ListeningPorts</code>
/// <para>Probes the nodes again and shows their swap and listening ports.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "KubeNodeInfo")]
[OutputType(typeof(NodeFacts))]
public sealed class GetKubeNodeInfoCommand : KubeCmdlet
{
    /// <summary><para>The node sessions to probe (from New-KubeNodeSession).</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, Position = 0)]
    [ValidateNotNull]
    public KubeNodeSession[] Session { get; set; } = [];

    /// <summary><para>Probe the nodes again instead of returning the facts cached in the sessions.</para></summary>
    [Parameter]
    public SwitchParameter Refresh { get; set; }

    protected override void ProcessRecord() => Run((sink, ct) => NodeSessionLoop.ForEachAsync(Session, sink, ct, "Gathering node facts", async session =>
        sink.WriteObject(await NodeProbe.GetFactsAsync(session, null, Refresh, ct))));
}
