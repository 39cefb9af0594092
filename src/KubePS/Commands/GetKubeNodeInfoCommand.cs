using System.Management.Automation;
using KubePS.Core.Nodes;
using KubePS.Core.Preparation;

namespace KubePS.Commands;

/// <summary>Gets what KubePS knows about nodes: OS, kernel, CPUs, memory, cgroups, swap, runtime, Kubernetes binaries, addresses and more.</summary>
/// <remarks>
/// <para>Get-KubeNodeInfo runs one read-only probe script per node (or uses the facts already cached in the session) and returns them as a NodeFacts object: operating system and kernel, CPUs and memory, cgroup version and controllers, swap devices and fstab swap lines, SELinux, firewalld and ufw, the package manager, container runtimes and their CRI sockets, kubelet/kubeadm/kubectl versions and the kubelet service, host name resolution, addresses, listening ports, kubeadm's files and directories, sysctls, kernel modules and kernel config, proxy settings and the time zone.</para>
/// <para>All piped sessions are probed in parallel (up to -ThrottleLimit at a time), each node's facts written as soon as it answers; a node that cannot be reached is a non-terminating error for that node.</para>
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

    /// <summary><para>How many nodes are worked on at the same time (default 32); the others wait for a free slot. Each node's results are written as soon as it is done.</para></summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = NodeFleet.DefaultThrottleLimit;

    readonly List<KubeNodeSession> _sessions = new();

    protected override void ProcessRecord() => _sessions.AddRange(Session);

    protected override void EndProcessing()
    {
        var sessions = _sessions.ToList();
        Run((sink, ct) => FleetPreparation.GetFactsAsync(sessions, Refresh, sink, ThrottleLimit, ct));
    }
}
