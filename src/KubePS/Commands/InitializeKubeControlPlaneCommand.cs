using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Workflows;
using KubePS.Core.Workflows.Init;

namespace KubePS.Commands;

/// <summary>Initializes the first control-plane node of a cluster, as kubeadm init does, over the node's session.</summary>
/// <remarks>
/// <para>Initialize-KubeControlPlane runs kubeadm init's phases on one node, named and ordered as kubeadm names them: preflight, certs/* (ca, apiserver, apiserver-kubelet-client, front-proxy-ca, front-proxy-client, etcd-ca, etcd-server, etcd-peer, etcd-healthcheck-client, apiserver-etcd-client, sa), kubeconfig/* (admin, super-admin from 1.29, kubelet, controller-manager, scheduler), etcd/local, control-plane/* (kube-apiserver, kube-controller-manager, kube-scheduler), kubelet-start, wait-control-plane, upload-config/kubeadm, upload-config/kubelet, upload-certs, mark-control-plane, bootstrap-token, kubelet-finalize, addon/coredns and addon/kube-proxy. The files, flags, certificates and API objects are kubeadm's for the configured Kubernetes version, so the result is a kubeadm cluster.</para>
/// <para>Every phase renders what it wants first and changes only what differs: the node's files are read once, files that already hold the right bytes are left alone, and API objects are applied server-side (field manager kubeps). Running the same init again changes nothing, and an init that stopped half-way finishes when run again. The configuration is checked completely before the node is touched.</para>
/// <para>-WhatIf reads the node and the cluster and lists each change a phase would make (files that differ, commands, objects that differ), changing nothing. -DryRun -OutputPath does not connect at all: every file the node would get is written under OutputPath/node/ with its mode, the commands to OutputPath/node/commands.sh, and every API object to OutputPath/cluster/*.yaml. A dry run knows nothing about the node, so the node name and advertise address must come from the configuration or from -NodeName and -AdvertiseAddress.</para>
/// <para>The result is a KubeControlPlane: endpoint, Kubernetes version, cluster name, CA certificate hash, the bootstrap token, the certificate key (with -UploadCerts) and admin.conf. The token and the key print as redacted; Join-KubeNode and Connect-KubeCluster take the object from the pipeline.</para>
/// </remarks>
/// <example>
/// <code>$cfg = Import-KubeadmConfiguration ./examples/kubeadm-config.yaml
/// Initialize-KubeControlPlane -Configuration $cfg -DryRun -OutputPath ./dryrun</code>
/// <para>Writes what kubeadm init would put on node cp1 (certificates, kubeconfigs, manifests, kubelet files) under ./dryrun/cp1, its commands to ./dryrun/cp1/commands.sh and its API objects under ./dryrun/cluster, without connecting anywhere.</para>
/// </example>
/// <example>
/// <code>$cp = New-KubeNodeSession -HostName cp1 -UserName root | Initialize-KubeControlPlane -Configuration $cfg -UploadCerts
/// $cp | Connect-KubeCluster</code>
/// <para>Initializes cp1 over SSH with the configuration, uploads the control-plane certificates for control-plane joins, and makes the new cluster the current one.</para>
/// </example>
/// <example>
/// <code>Get-KubeNodeSession -HostName cp1 | Initialize-KubeControlPlane -Configuration $cfg -WhatIf</code>
/// <para>Lists what each phase would change on cp1 and in its cluster, and changes nothing.</para>
/// </example>
/// <example>
/// <code>Get-KubeNodeSession -HostName cp1 | Initialize-KubeControlPlane -Configuration $cfg -Phase certs, kubeconfig</code>
/// <para>Makes only the certificates and kubeconfig files, as kubeadm init phase certs all and kubeadm init phase kubeconfig all do.</para>
/// </example>
/// <example>
/// <code>Get-KubeNodeSession -HostName cp1 | Initialize-KubeControlPlane -Configuration $cfg -SkipPhase addon/kube-proxy</code>
/// <para>Initializes cp1 without kube-proxy (for a CNI that replaces it), as kubeadm init --skip-phases=addon/kube-proxy does.</para>
/// </example>
[Cmdlet(VerbsData.Initialize, "KubeControlPlane", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = SessionSet)]
[OutputType(typeof(KubeControlPlane))]
public sealed class InitializeKubeControlPlaneCommand : KubeCmdlet
{
    const string SessionSet = "Session", DryRunSet = "DryRun";

    string? _initialized;

    /// <summary>
    /// <para>The session of the node to initialize (from New-KubeNodeSession or Get-KubeNodeSession). One node per run: the other control planes join it with Join-KubeNode. With -DryRun the session only names the node; nothing connects.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = SessionSet)]
    [Parameter(Position = 0, ValueFromPipeline = true, ParameterSetName = DryRunSet)]
    public KubeNodeSession? Session { get; set; }

    /// <summary>
    /// <para>The cluster configuration (Import-KubeadmConfiguration, New-KubeClusterConfiguration). The default is kubeadm's defaults for the newest Kubernetes release KubePS knows.</para>
    /// </summary>
    [Parameter]
    public KubePS.Core.Configuration.KubeClusterConfiguration? Configuration { get; set; }

    /// <summary>
    /// <para>Certificates to use (New-KubePki, Import-KubePki) where the node has none of its own: for example CAs made offline. Files on the node win; they must fit together (same CAs).</para>
    /// </summary>
    [Parameter]
    public KubePS.Core.Pki.KubePki? Pki { get; set; }

    /// <summary>
    /// <para>Uploads the control-plane certificates, encrypted with the certificate key, to the kubeadm-certs Secret (valid two hours) so that more control planes can join with that key. The key is the configuration's certificateKey or a new one; it is in the result's CertificateKey.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter UploadCerts { get; set; }

    /// <summary>
    /// <para>Runs only these phases, by name or prefix (certs runs every certs/* phase), as kubeadm init phase does.</para>
    /// </summary>
    [Parameter]
    [ArgumentCompleter(typeof(InitPhaseCompleter))]
    public string[] Phase { get; set; } = [];

    /// <summary>
    /// <para>Skips these phases, by name or prefix, as kubeadm init --skip-phases does (the configuration's skipPhases are skipped too).</para>
    /// </summary>
    [Parameter]
    [ArgumentCompleter(typeof(InitPhaseCompleter))]
    public string[] SkipPhase { get; set; } = [];

    /// <summary>
    /// <para>Preflight checks whose errors are reported as warnings, by name (Port-6443, Swap, ...) or all; added to nodeRegistration.ignorePreflightErrors.</para>
    /// </summary>
    [Parameter]
    public string[] IgnorePreflightErrors { get; set; } = [];

    /// <summary>
    /// <para>The node name (nodeRegistration.name) when the configuration has none. Without either, the node's lower-cased host name is used.</para>
    /// </summary>
    [Parameter]
    public string? NodeName { get; set; }

    /// <summary>
    /// <para>The address the API server and etcd advertise (localAPIEndpoint.advertiseAddress) when the configuration has none. Without either, the address of the node's default route is used.</para>
    /// </summary>
    [Parameter]
    public string? AdvertiseAddress { get; set; }

    /// <summary>
    /// <para>Records instead of changing: no connection is made; files go under -OutputPath/node/, commands to -OutputPath/node/commands.sh, API objects to -OutputPath/cluster/.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = DryRunSet)]
    public SwitchParameter DryRun { get; set; }

    /// <summary>
    /// <para>The folder of a dry run (created when missing). A second dry run into the same folder reuses its certificates and reports no change.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = DryRunSet)]
    public string OutputPath { get; set; } = "";

    protected override void ProcessRecord()
    {
        if (Session is not null && InitWorkflow.RefuseSecondNode(_initialized, Session.HostName) is { } secondNode)
        {
            WriteError(ToErrorRecord(secondNode));
            return;
        }
        var request = new InitRequest
        {
            Configuration = Configuration ?? KubePS.Core.Configuration.KubeClusterConfiguration.Default,
            Pki = Pki,
            UploadCerts = UploadCerts,
            NodeName = NodeName,
            AdvertiseAddress = AdvertiseAddress,
            Phases = Phase,
            SkipPhases = SkipPhase,
            IgnorePreflightErrors = IgnorePreflightErrors,
            DryRunPath = DryRun ? CommandArgs.FullPath(this, OutputPath) : null,
        };
        Run(async (sink, ct) =>
        {
            var controlPlane = await InitWorkflow.RunAsync(Session, request, sink, ct);
            _initialized = controlPlane.Node;
            sink.WriteObject(controlPlane);
        });
    }
}
