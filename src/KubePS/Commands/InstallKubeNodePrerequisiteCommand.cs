using System.Management.Automation;
using KubePS.Core.Nodes;
using KubePS.Core.Preparation;

namespace KubePS.Commands;

/// <summary>Prepares nodes the way kubeadm's installation guide asks: swap, kernel modules, sysctls, SELinux, firewall, tools, time sync, host name.</summary>
/// <remarks>
/// <para>Install-KubeNodePrerequisite renders the manual steps of kubeadm's guides from each node's facts and applies them: swap turned off now and commented out of /etc/fstab; /etc/modules-load.d/k8s.conf with overlay and br_netfilter (and the IPVS modules with -IPVS), loaded now; /etc/sysctl.d/99-kubernetes-cri.conf with net.bridge.bridge-nf-call-iptables/ip6tables = 1 and net.ipv4.ip_forward = 1, applied with sysctl --system; SELinux permissive (unless -SELinux Enforcing); firewalld (or ufw) stopped, or the role's ports opened; conntrack, ebtables, ethtool, socat, ipset, ipvsadm, iptables and iproute where missing; chrony or systemd-timesyncd enabled and an optional time zone; and an /etc/hosts line when the node name does not resolve.</para>
/// <para>All piped sessions are worked on in parallel, up to -ThrottleLimit nodes at a time; a node that fails is a non-terminating error for that node and the others go on. On a dry-run session (New-KubeNodeSession -DryRunPath ... -Facts ...) the files land in the dry-run folder, the commands in its commands.sh, and every step reports Recorded.</para>
/// <para>Every step is idempotent and reports whether it changed something: running the command twice changes nothing the second time. Each step asks for confirmation with -Confirm and is only described with -WhatIf.</para>
/// </remarks>
/// <example>
/// <code>$nodes | Install-KubeNodePrerequisite -Confirm:$false</code>
/// <para>Prepares every node for a control plane with the defaults and returns one result per step and node.</para>
/// </example>
/// <example>
/// <code>$workers | Install-KubeNodePrerequisite -Role Worker -IPVS -Firewall OpenPorts -SELinux Enforcing -TimeZone Europe/Berlin</code>
/// <para>Prepares workers for kube-proxy in IPVS mode, opens the worker ports in firewalld instead of stopping it, keeps SELinux enforcing and sets the time zone.</para>
/// </example>
/// <example>
/// <code>$nodes | Install-KubeNodePrerequisite -WhatIf</code>
/// <para>Lists the steps that would run on each node without changing anything.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Install, "KubeNodePrerequisite", SupportsShouldProcess = true)]
[OutputType(typeof(KubePreparationResult))]
public sealed class InstallKubeNodePrerequisiteCommand : KubeCmdlet
{
    /// <summary><para>The node sessions to prepare (from New-KubeNodeSession).</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, Position = 0)]
    [ValidateNotNull]
    public KubeNodeSession[] Session { get; set; } = [];

    /// <summary><para>ControlPlane or Worker: decides which ports -Firewall OpenPorts opens. The default is ControlPlane.</para></summary>
    [Parameter]
    [ValidateSet("ControlPlane", "Worker")]
    public string Role { get; set; } = "ControlPlane";

    /// <summary><para>Also load the IPVS modules (ip_vs, ip_vs_rr, ip_vs_wrr, ip_vs_sh, nf_conntrack), for kube-proxy in IPVS mode.</para></summary>
    [Parameter]
    [Alias("IPVS")]
    public SwitchParameter Ipvs { get; set; }

    /// <summary><para>Also enable IPv6 forwarding (net.ipv6.conf.all/default.forwarding = 1), for IPv6 and dual-stack clusters.</para></summary>
    [Parameter]
    public SwitchParameter IPv6 { get; set; }

    /// <summary><para>Permissive (the default, as kubeadm's guide does: setenforce 0 and SELINUX=permissive) or Enforcing (leave SELinux as it is).</para></summary>
    [Parameter]
    [ValidateSet("Permissive", "Enforcing")]
    public string SELinux { get; set; } = "Permissive";

    /// <summary><para>What to do with an active firewalld or ufw: Disable (stop and disable it, the default), OpenPorts (open the role's ports) or Leave.</para></summary>
    [Parameter]
    [ValidateSet("Disable", "OpenPorts", "Leave")]
    public string Firewall { get; set; } = "Disable";

    /// <summary><para>The API server port to open on control-plane nodes with -Firewall OpenPorts. The default is 6443.</para></summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int BindPort { get; set; } = 6443;

    /// <summary><para>The cluster uses an external etcd: do not open the etcd ports.</para></summary>
    [Parameter]
    public SwitchParameter ExternalEtcd { get; set; }

    /// <summary><para>Do not install the tools kubeadm checks for (conntrack, ebtables, ethtool, socat, ipset, ipvsadm, iptables, iproute).</para></summary>
    [Parameter]
    public SwitchParameter SkipPackages { get; set; }

    /// <summary><para>Do not touch time synchronisation.</para></summary>
    [Parameter]
    public SwitchParameter SkipTimeSync { get; set; }

    /// <summary><para>Do not add an /etc/hosts line for a node name that does not resolve.</para></summary>
    [Parameter]
    public SwitchParameter SkipHostsEntry { get; set; }

    /// <summary><para>A time zone to set, such as Europe/Berlin or Etc/UTC.</para></summary>
    [Parameter]
    public string? TimeZone { get; set; }

    /// <summary><para>Run only these steps (e.g. prerequisites/swap, prerequisites/sysctl).</para></summary>
    [Parameter]
    [ValidateSet("prerequisites/swap", "prerequisites/kernel-modules", "prerequisites/sysctl", "prerequisites/selinux",
        "prerequisites/firewall", "prerequisites/packages", "prerequisites/time-sync", "prerequisites/hostname")]
    public string[]? Step { get; set; }

    /// <summary><para>How many nodes are worked on at the same time (default 32); the others wait for a free slot. Each node's results are written as soon as it is done.</para></summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = NodeFleet.DefaultThrottleLimit;

    readonly List<KubeNodeSession> _sessions = new();

    NodePrerequisiteOptions _options = null!;

    protected override void BeginProcessing() => Run(_ =>
    {
        _options = new NodePrerequisiteOptions
        {
            Role = CommandArgs.Parse<KubeNodeRole>(Role),
            Ipvs = Ipvs,
            IPv6Forwarding = IPv6,
            SELinux = CommandArgs.Parse<SELinuxMode>(SELinux),
            Firewall = CommandArgs.Parse<FirewallMode>(Firewall),
            BindPort = BindPort,
            LocalEtcd = !ExternalEtcd,
            InstallPackages = !SkipPackages,
            TimeSync = !SkipTimeSync,
            HostsEntry = !SkipHostsEntry,
            TimeZone = TimeZone,
            Steps = Step?.Select(s => s.ToLowerInvariant()).ToList(),
        };
        NodePrerequisites.Validate(_options);
    });

    protected override void ProcessRecord() => _sessions.AddRange(Session);

    protected override void EndProcessing()
    {
        var sessions = _sessions.ToList();
        Run((sink, ct) => FleetPreparation.InstallPrerequisitesAsync(sessions, _options, sink, ThrottleLimit, ct));
    }
}
