using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Bootstrap;
using KubePS.Core.Configuration;
using KubePS.Core.Nodes;
using KubePS.Core.Workflows;
using KubePS.Core.Workflows.Join;

namespace KubePS.Commands;

/// <summary>Joins nodes to a cluster as workers or control planes, as kubeadm join does, over their sessions.</summary>
/// <remarks>
/// <para>Join-KubeNode runs kubeadm join's phases on each node, named as kubeadm names them: preflight, control-plane-prepare/download-certs, control-plane-prepare/certs, control-plane-prepare/kubeconfig, control-plane-prepare/control-plane, kubelet-start, control-plane-join/etcd, control-plane-join/update-status (1.18 to 1.21: the node's API endpoint in kubeadm-config's ClusterStatus), wait-control-plane, control-plane-join/mark-control-plane, and KubePS's wait-node-ready (the control-plane phases do nothing on a worker).</para>
/// <para>The cluster is found once, before any node is touched, in one of three ways. With -ControlPlane (the result of Initialize-KubeControlPlane, also through the pipeline) its endpoint, first bootstrap token and CA hash are used. With -ApiServerEndpoint, -Token and -CACertHash (or a Get-KubeJoinCommand result through the pipeline) token discovery runs as kubeadm's: cluster-info is fetched anonymously, its signature for the token is checked, its CA must match one of the pins, and it is fetched again over TLS verified with that CA; a wrong pin, a bad signature, a token that is unknown or expired, a man in the middle and a cluster-info that changes are each refused with their own error id (Discovery.*), and only -UnsafeSkipCAVerification accepts a CA without a pin, with a warning. With -DiscoveryFile a kubeconfig (a local path, or an https URL checked with the system trust store) names the API server and its CA.</para>
/// <para>A worker gets the cluster CA, bootstrap-kubelet.conf with the token, the kubelet configuration of the cluster's kubelet-config ConfigMap and kubeadm-flags.env; its kubelet is started and performs the TLS bootstrap (its certificate request is approved and signed by the controller-manager, not by KubePS); Join-KubeNode waits until the Node is Ready (skip that with -SkipPhase wait-node-ready, e.g. before a network plugin is installed). A control plane (-AsControlPlane) first downloads and decrypts the kubeadm-certs Secret with -CertificateKey (a wrong or expired key is refused before any node is touched), writes the shared CAs and keys, makes its own certificates and kubeconfigs and its control-plane manifests, is added to etcd (as a learner that is promoted once it has caught up, where the version does that), and is marked as a control plane. The cluster must have a controlPlaneEndpoint for that, as kubeadm requires.</para>
/// <para>Control planes join one at a time so that etcd keeps its quorum; workers join in parallel, up to -ThrottleLimit at a time. A node that fails is an error for that node while the others go on. A node that is a member of the cluster already is reported as AlreadyMember and left alone; a node that belongs to another cluster is refused and left untouched; a join that stopped half-way (a lost connection) completes when run again. -WhatIf describes every change and makes none; -DryRun -OutputPath records each node's files under OutputPath/node/ and its commands in OutputPath/node/commands.sh.</para>
/// <para>The result, one per node, is a KubeJoinResult: the node, its role, Status (Joined, AlreadyMember, DryRun, NotMade), the Node once Ready, and how long the join, the TLS bootstrap and the wait for Ready took. Tokens and keys never appear in any output or message.</para>
/// </remarks>
/// <example>
/// <code>$cp = Get-KubeNodeSession -HostName cp1 | Initialize-KubeControlPlane -Configuration $cfg -UploadCerts
/// Get-KubeNodeSession -HostName w1, w2 | Join-KubeNode -ControlPlane $cp</code>
/// <para>Initializes cp1 and joins w1 and w2 as workers, in parallel, with the control plane's token and CA hash.</para>
/// </example>
/// <example>
/// <code>$cp | Join-KubeNode -Session (Get-KubeNodeSession -HostName cp2, cp3) -AsControlPlane</code>
/// <para>Joins cp2 and then cp3 as control planes, with the certificate key of the control plane's -UploadCerts.</para>
/// </example>
/// <example>
/// <code>Get-KubeJoinCommand -KubeConfig ./admin.conf | Join-KubeNode -Session (Get-KubeNodeSession -HostName w3)</code>
/// <para>Joins w3 with the endpoint, token and CA hash of a join command.</para>
/// </example>
/// <example>
/// <code>Get-KubeNodeSession -HostName w4 | Join-KubeNode -ApiServerEndpoint 10.0.0.10:6443 -Token abcdef.0123456789abcdef -CACertHash sha256:1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988</code>
/// <para>Joins w4 as kubeadm join 10.0.0.10:6443 --token ... --discovery-token-ca-cert-hash ... does.</para>
/// </example>
/// <example>
/// <code>Get-KubeNodeSession -HostName w5 | Join-KubeNode -ControlPlane $cp -WhatIf</code>
/// <para>Lists every change the join of w5 would make, and makes none.</para>
/// </example>
[Cmdlet(VerbsCommon.Join, "KubeNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ControlPlaneSet)]
[OutputType(typeof(KubeJoinResult))]
public sealed class JoinKubeNodeCommand : KubeCmdlet
{
    const string ControlPlaneSet = "ControlPlane", TokenSet = "Token", FileSet = "File";

    readonly List<KubeNodeSession> _sessions = [];
    JoinRequest? _request;
    object? _discoveryKey;

    /// <summary>
    /// <para>The sessions of the nodes to join (New-KubeNodeSession, Get-KubeNodeSession), through the pipeline or as a list.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ControlPlaneSet)]
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = TokenSet)]
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = FileSet)]
    public KubeNodeSession[] Session { get; set; } = [];

    /// <summary>
    /// <para>The control plane to join (the result of Initialize-KubeControlPlane, also through the pipeline): its endpoint, first bootstrap token, CA hash and, for -AsControlPlane, its certificate key are used.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ControlPlaneSet)]
    public KubeControlPlane? ControlPlane { get; set; }

    /// <summary>
    /// <para>host:port of the API server for token discovery (a Get-KubeJoinCommand result binds it from the pipeline).</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = TokenSet)]
    public string? ApiServerEndpoint { get; set; }

    /// <summary>
    /// <para>The bootstrap token (id.secret, or a token object): for token discovery and the kubelet's TLS bootstrap; with -DiscoveryFile, for the TLS bootstrap only. With -ControlPlane it replaces the control plane's token.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = TokenSet)]
    [Parameter(ParameterSetName = FileSet)]
    [Parameter(ParameterSetName = ControlPlaneSet)]
    [BootstrapTokenTransformation]
    public BootstrapTokenString? Token { get; set; }

    /// <summary>
    /// <para>The sha256 pins of the cluster CA's public key (Get-KubeCACertHash, Get-KubeJoinCommand); the discovered CA must match one of them.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = TokenSet)]
    [Alias("CACertHashes")]
    public string[] CACertHash { get; set; } = [];

    /// <summary>
    /// <para>Accepts the discovered cluster CA without a pin (kubeadm's unsafeSkipCAVerification): anyone who knows the token could then pose as the cluster. Warns.</para>
    /// </summary>
    [Parameter(ParameterSetName = TokenSet)]
    public SwitchParameter UnsafeSkipCAVerification { get; set; }

    /// <summary>
    /// <para>A kubeconfig naming the API server and its CA, as a local path or an https URL (checked with the system trust store), for file discovery.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    public string? DiscoveryFile { get; set; }

    /// <summary>
    /// <para>Joins the nodes as control planes (kubeadm join --control-plane), one at a time.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter AsControlPlane { get; set; }

    /// <summary>
    /// <para>For -AsControlPlane: the key the control-plane certificates were uploaded with (64 hex characters, or a key object from Publish-KubeControlPlaneCertificate or a join command). Without it, a -ControlPlane's key is used, or the nodes must hold the shared certificates already. Ignored without -AsControlPlane.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [CertificateKeyTransformation]
    public CertificateKey? CertificateKey { get; set; }

    /// <summary>
    /// <para>The node name (nodeRegistration.name) when one node is joined; by default each node's lower-cased host name.</para>
    /// </summary>
    [Parameter]
    public string? NodeName { get; set; }

    /// <summary>
    /// <para>The address a joining control plane advertises, when one node is joined; by default its default-route address.</para>
    /// </summary>
    [Parameter]
    public string? AdvertiseAddress { get; set; }

    /// <summary>
    /// <para>How many workers join at the same time (default 32). Control planes always join one at a time.</para>
    /// </summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int ThrottleLimit { get; set; } = NodeFleet.DefaultThrottleLimit;

    /// <summary>
    /// <para>Preflight checks whose errors are reported as warnings, by name (Port-10250, Swap, ...) or all.</para>
    /// </summary>
    [Parameter]
    public string[] IgnorePreflightErrors { get; set; } = [];

    /// <summary>
    /// <para>Runs only these phases, by name or prefix (control-plane-prepare runs all four of its phases).</para>
    /// </summary>
    [Parameter]
    public string[] Phase { get; set; } = [];

    /// <summary>
    /// <para>Skips these phases, by name or prefix, as kubeadm join --skip-phases does; e.g. wait-node-ready to return once the kubelet has its certificate.</para>
    /// </summary>
    [Parameter]
    public string[] SkipPhase { get; set; } = [];

    /// <summary>
    /// <para>How long discovery keeps asking while the API server does not answer or the token's signature is not there yet (default 5 minutes).</para>
    /// </summary>
    [Parameter]
    public TimeSpan DiscoveryTimeout { get; set; } = TokenDiscoveryRequest.DefaultTimeout;

    /// <summary>
    /// <para>How long to wait for the TLS bootstrap and then for the Node to be Ready (default 5 and 4 minutes).</para>
    /// </summary>
    [Parameter]
    public TimeSpan? ReadyTimeout { get; set; }

    /// <summary>
    /// <para>Records instead of changing: each node's files go under -OutputPath/node/ and its commands to -OutputPath/node/commands.sh; the cluster is still asked (discovery), unless the control plane was a dry run too.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter DryRun { get; set; }

    /// <summary>
    /// <para>The folder of a dry run (with -DryRun).</para>
    /// </summary>
    [Parameter]
    public string? OutputPath { get; set; }

    protected override void ProcessRecord()
    {
        if (JoinRequest.RefuseDryRunWithoutFolder(DryRun, OutputPath) is { } noFolder)
            ThrowTerminatingError(ToErrorRecord(noFolder));
        // One join per discovery: objects piped with another control plane or join command start a new group.
        object key = (object?)ControlPlane ?? (object?)DiscoveryFile ?? $"{ApiServerEndpoint}|{Token?.Id}|{AsControlPlane.IsPresent}";
        if (_discoveryKey is not null && !Equals(_discoveryKey, key)) Flush();
        _discoveryKey = key;
        _request = new JoinRequest
        {
            ControlPlane = ControlPlane,
            ApiServerEndpoint = ParameterSetName == TokenSet ? ApiServerEndpoint : null,
            Token = Token,
            CACertHashes = CACertHash,
            UnsafeSkipCAVerification = UnsafeSkipCAVerification,
            DiscoveryFile = ParameterSetName == FileSet ? DiscoveryFile : null,
            AsControlPlane = AsControlPlane,
            // A worker's join ignores a key that came with a piped object (a control plane, a join command).
            CertificateKey = AsControlPlane ? CertificateKey : null,
            NodeName = NodeName,
            AdvertiseAddress = AdvertiseAddress,
            ThrottleLimit = ThrottleLimit,
            IgnorePreflightErrors = IgnorePreflightErrors,
            Phases = Phase,
            SkipPhases = SkipPhase,
            DiscoveryTimeout = DiscoveryTimeout,
            TlsBootstrapTimeout = ReadyTimeout ?? TimeSpan.FromMinutes(5),
            NodeReadyTimeout = ReadyTimeout ?? TimeSpan.FromMinutes(4),
            DryRunPath = DryRun ? CommandArgs.FullPath(this, OutputPath!) : null,
        };
        foreach (var s in Session)
            if (!_sessions.Contains(s)) _sessions.Add(s);
    }

    protected override void EndProcessing() => Flush();

    void Flush()
    {
        if (_request is null || _sessions.Count == 0) return;
        var request = _request;
        var sessions = _sessions.ToList();
        _sessions.Clear();
        _request = null;
        Run(async (sink, ct) => await JoinWorkflow.RunAsync(sessions, request, sink, ct));
    }
}
