using System.Management.Automation;
using KubePS.Core.Nodes;
using KubePS.Core.Preflight;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;

namespace KubePS.Commands;

/// <summary>Runs kubeadm's preflight checks on nodes, from one probe per node, and optionally fixes what can be fixed safely.</summary>
/// <remarks>
/// <para>Invoke-KubePreflight gathers each node's facts once (OS, kernel, cgroups, swap, ports, files, sysctls, tools, runtime, kubelet) with one read-only script, and evaluates kubeadm's preflight checks for the role and Kubernetes version from them: the same check names (Port-6443, Swap, FileContent--proc-sys-net-ipv4-ip_forward, ...), severities and version differences as kubeadm init and kubeadm join. It returns one result per check and node; a node with errors that are not ignored also gets a non-terminating error Preflight.Failed.</para>
/// <para>All piped sessions are collected and checked in parallel, up to -ThrottleLimit nodes at a time, with one progress bar per node under one for the whole operation. A node that cannot be reached (or whose connection breaks) is a non-terminating error for that node; the other nodes' results are still returned.</para>
/// <para>-IgnorePreflightErrors works as kubeadm's flag: names are case-insensitive, 'all' ignores every check and cannot be combined with names, and ignored errors are reported as warnings with Ignored set. Names that match no check are accepted, with a warning.</para>
/// <para>-Fix applies the safe automated remedies of the failed checks (swap off, kernel modules and sysctls, firewall, missing tools, a hosts entry, enabling the kubelet service), asking for each change (-WhatIf, -Confirm), then runs the checks again and returns their results. Ports in use, existing manifests, kernel or kubelet versions are left to you.</para>
/// </remarks>
/// <example>
/// <code>$nodes = 'cp1', 'cp2' | New-KubeNodeSession -UserName root
/// $nodes | Invoke-KubePreflight -Role ControlPlane -KubernetesVersion 1.30.4 | Where-Object { -not $_.Passed }</code>
/// <para>Runs the control-plane checks of kubeadm 1.30 on two nodes and shows the checks that failed.</para>
/// </example>
/// <example>
/// <code>$workers | Invoke-KubePreflight -Role Worker -ApiServerEndpoint 10.0.0.10:6443 -IgnorePreflightErrors Swap,SystemVerification</code>
/// <para>Runs the worker-join checks and reports the Swap and SystemVerification errors as ignored warnings.</para>
/// </example>
/// <example>
/// <code>$nodes | Invoke-KubePreflight -Role ControlPlane -Fix -Confirm:$false</code>
/// <para>Fixes swap, sysctls, modules, tools and the like where checks failed, then shows the checks as they are afterwards.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "KubePreflight", SupportsShouldProcess = true)]
[OutputType(typeof(KubePreflightResult), typeof(KubePreparationResult))]
public sealed class InvokeKubePreflightCommand : KubeCmdlet
{
    /// <summary><para>The node sessions to check (from New-KubeNodeSession).</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, Position = 0)]
    [ValidateNotNull]
    public KubeNodeSession[] Session { get; set; } = [];

    /// <summary><para>What the nodes are to become: ControlPlane (kubeadm init), ControlPlaneJoin (kubeadm join --control-plane) or Worker (kubeadm join). The default is ControlPlane.</para></summary>
    [Parameter]
    [ValidateSet("ControlPlane", "ControlPlaneJoin", "Worker")]
    public string Role { get; set; } = "ControlPlane";

    /// <summary><para>The Kubernetes version to deploy: 1.30 or 1.30.4. It decides which checks run and their severity. The default is the newest release KubePS knows.</para></summary>
    [Parameter]
    [Alias("Version")]
    public string? KubernetesVersion { get; set; }

    /// <summary><para>Checks whose errors are reported as warnings, by name (case-insensitive), or 'all'. Comma-separated lists are accepted, as on kubeadm's command line.</para></summary>
    [Parameter]
    public string[] IgnorePreflightErrors { get; set; } = [];

    /// <summary><para>The API server's bind port (localAPIEndpoint.bindPort); the port check is named after it (Port-6443). The default is 6443.</para></summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int BindPort { get; set; } = 6443;

    /// <summary><para>The cluster uses an external etcd: the etcd port and data-directory checks are skipped.</para></summary>
    [Parameter]
    public SwitchParameter ExternalEtcd { get; set; }

    /// <summary><para>The external etcd CA, client certificate and key paths on the nodes, checked to exist (ExternalEtcdClientCertificates).</para></summary>
    [Parameter]
    public string[] ExternalEtcdFile { get; set; } = [];

    /// <summary><para>The local etcd data directory (etcd.local.dataDir), which must be absent or empty. The default is /var/lib/etcd.</para></summary>
    [Parameter]
    public string EtcdDataDir { get; set; } = "/var/lib/etcd";

    /// <summary><para>The CRI socket (nodeRegistration.criSocket), e.g. unix:///var/run/crio/crio.sock. By default it is detected as kubeadm detects it.</para></summary>
    [Parameter]
    public string? CriSocket { get; set; }

    /// <summary><para>The service subnet (networking.serviceSubnet); comma-separated for dual stack. The default is 10.96.0.0/12.</para></summary>
    [Parameter]
    public string ServiceSubnet { get; set; } = "10.96.0.0/12";

    /// <summary><para>The pod subnet (networking.podSubnet), if any.</para></summary>
    [Parameter]
    public string? PodSubnet { get; set; }

    /// <summary><para>For joins: the API server endpoint used for discovery, host:port. It decides the IPv4/IPv6 checks and the HTTPProxy check.</para></summary>
    [Parameter]
    public string? ApiServerEndpoint { get; set; }

    /// <summary><para>Gather the nodes' facts again instead of using the ones cached in the sessions.</para></summary>
    [Parameter]
    public SwitchParameter Refresh { get; set; }

    /// <summary><para>Apply the safe automated remedies of the failed checks, then check again. Each change asks for confirmation with -Confirm and is only described with -WhatIf.</para></summary>
    [Parameter]
    public SwitchParameter Fix { get; set; }

    /// <summary><para>How many nodes are worked on at the same time (default 32); the others wait for a free slot. Each node's results are written as soon as it is done.</para></summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = NodeFleet.DefaultThrottleLimit;

    readonly List<KubeNodeSession> _sessions = new();

    KubePreflightRequest _request = null!;

    protected override void BeginProcessing() => Run(_ =>
    {
        _request = new KubePreflightRequest
        {
            Role = CommandArgs.Parse<PreflightRole>(Role),
            KubernetesVersion = KubernetesVersion is null ? VersionCatalog.NewestRelease : KubeVersion.Parse(KubernetesVersion),
            IgnorePreflightErrors = IgnorePreflightErrors,
            BindPort = BindPort,
            ExternalEtcd = ExternalEtcd,
            ExternalEtcdFiles = ExternalEtcdFile,
            EtcdDataDir = EtcdDataDir,
            CriSocket = CriSocket,
            ServiceSubnet = ServiceSubnet,
            PodSubnet = PodSubnet,
            ApiServerEndpoint = ApiServerEndpoint,
        };
        _request.Validate();
    });

    protected override void ProcessRecord() => _sessions.AddRange(Session);

    protected override void EndProcessing()
    {
        var fix = Fix
            ? new NodePrerequisiteOptions
            {
                Role = _request.IsControlPlane ? KubeNodeRole.ControlPlane : KubeNodeRole.Worker,
                BindPort = _request.BindPort,
                LocalEtcd = !_request.ExternalEtcd,
            }
            : null;
        var sessions = _sessions.ToList();
        Run((sink, ct) => FleetPreparation.PreflightAsync(sessions, _request, sink, Refresh, fix, ThrottleLimit, ct));
    }
}
