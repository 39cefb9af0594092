using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Cluster;
using KubePS.Core.Nodes;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Core.Workflows.Upgrade;

namespace KubePS.Commands;

/// <summary>Upgrades the cluster to a Kubernetes version, as kubeadm upgrade apply, kubeadm upgrade node and the kubelet steps of kubeadm's upgrade guide do together.</summary>
/// <remarks>
/// <para>Update-KubeCluster collects the nodes piped in (Get-KubeNode; without any it takes every node), checks everything before it touches anything (the skew policy: one minor at a time, no downgrade, a kubelet never newer than the API server; every node Ready; no expired certificate on a control-plane node it has a session for), then works in kubeadm's order: the first control-plane node (upgrade apply: the manifests, and etcd's data when etcd changes, backed up under /etc/kubernetes/tmp; the certificates renewed; etcd, kube-apiserver, kube-controller-manager and kube-scheduler replaced one at a time, each waited for until its mirror pod runs the new manifest and is Ready, and put back on its backed-up manifest when it does not come back, which stops the upgrade; kubeadm-config and the kubelet-config ConfigMap updated), the other control-plane nodes one at a time, the CoreDNS and kube-proxy addons once every control plane is done, and the workers in batches of -MaxUnavailable.</para>
/// <para>Each node is drained (kubectl drain --ignore-daemonsets; -SkipDrain leaves the pods), its /var/lib/kubelet/config.yaml refreshed from the cluster, its kubelet and kubectl moved to the version with Install-KubePackage's mechanisms (pkgs.k8s.io, -Mirror, -PackagePath, -BinaryPath or -BinaryBaseUrl; versions before 1.24 need a mirror or binaries), the kubelet restarted, the Node waited Ready at the new version and uncordoned. A result per node tells HostName, From, To, Status (Upgraded, UpToDate, NotStarted, Failed, RolledBack), Duration and the component RolledBack. Nodes already at the version are UpToDate, so an interrupted upgrade goes on where it stopped when run again.</para>
/// <para>-WhatIf lists the nodes in the order they would be upgraded, with what would be done to each, and changes nothing. Existing CoreDNS and kube-proxy ConfigMaps (a customized Corefile, the kube-proxy configuration) are left as they are; the addons' workloads move to the version's images.</para>
/// </remarks>
/// <example>
/// <code>Get-KubeNode | Update-KubeCluster -Version 1.19.5 -BinaryPath ./v1.19.5</code>
/// <para>Upgrades the whole cluster to 1.19.5, with the kubelet and kubectl binaries of the folder.</para>
/// </example>
/// <example>
/// <code>Get-KubeNode -Role Worker | Update-KubeCluster -Version 1.19.5 -MaxUnavailable 2 -BinaryBaseUrl https://dl.k8s.io/release -BinaryDirectory /usr/local/bin</code>
/// <para>After the control planes are at 1.19.5: upgrades the workers two at a time, downloading the release binaries on each node into /usr/local/bin.</para>
/// </example>
/// <example>
/// <code>Get-KubeNode | Update-KubeCluster -Version 1.30.4 -MaxUnavailable 25% -Mirror aliyun</code>
/// <para>Upgrades to 1.30.4, a quarter of the workers at a time, with the packages from Aliyun's mirror.</para>
/// </example>
/// <example>
/// <code>Get-KubeNode | Update-KubeCluster -Version 1.19.5 -WhatIf</code>
/// <para>Shows the ordered plan of the upgrade without changing anything.</para>
/// </example>
[Cmdlet(VerbsData.Update, "KubeCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "Repository")]
[OutputType(typeof(KubeNodeUpgradeResult))]
public sealed class UpdateKubeClusterCommand : KubeCmdlet
{
    /// <summary><para>The target version, e.g. 1.19.5 (1.19 for the newest 1.19 release KubePS knows).</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("KubernetesVersion")]
    public string Version { get; set; } = "";

    /// <summary><para>The nodes to upgrade: KubeNode objects of Get-KubeNode (Get-KubeNode -Role Worker, Get-KubeNode -Name w1, ...), usually from the pipeline. The default is every node.</para></summary>
    [Parameter(ValueFromPipeline = true)]
    public KubeNode[]? Node { get; set; }

    /// <summary><para>How many workers are upgraded at the same time: a number, or a percentage of the workers (rounded up). The default is 1.</para></summary>
    [Parameter]
    public string MaxUnavailable { get; set; } = "1";

    /// <summary><para>Do not drain the nodes (their pods keep running while the kubelet restarts).</para></summary>
    [Parameter]
    public SwitchParameter SkipDrain { get; set; }

    /// <summary><para>How long a drain may take, disruption budget refusals included. The default is 5 minutes.</para></summary>
    [Parameter]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary><para>Do not renew the control-plane certificates (kubeadm upgrade --certificate-renewal=false).</para></summary>
    [Parameter]
    public SwitchParameter SkipCertificateRenewal { get; set; }

    /// <summary><para>How long each control-plane component, and each node, has to come back on the new version. The default is 5 minutes.</para></summary>
    [Parameter]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary><para>A repository base URL with pkgs.k8s.io's layout for the kubelet and kubectl packages.</para></summary>
    [Parameter(ParameterSetName = "Repository")]
    public string? Repository { get; set; }

    /// <summary><para>A package mirror: 'aliyun', or a mirror's base URL (see Install-KubePackage).</para></summary>
    [Parameter(ParameterSetName = "Repository")]
    public string? Mirror { get; set; }

    /// <summary><para>.deb or .rpm files (or folders of them) of kubelet and kubectl to push and install.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "PackagePath")]
    public string[] PackagePath { get; set; } = [];

    /// <summary><para>A local folder with the kubelet and kubectl binaries of the version, pushed to /usr/bin.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "BinaryPath")]
    public string? BinaryPath { get; set; }

    /// <summary><para>A base URL to download the release binaries from on the nodes (BASE/vX.Y.Z/bin/linux/ARCH/NAME), e.g. https://dl.k8s.io/release.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "BinaryBaseUrl")]
    public string? BinaryBaseUrl { get; set; }

    /// <summary><para>Where -BinaryPath and -BinaryBaseUrl put the binaries (and what the kubelet unit runs). The default is /usr/bin; use e.g. /usr/local/bin or /opt/bin where /usr is read-only.</para></summary>
    [Parameter(ParameterSetName = "BinaryPath")]
    [Parameter(ParameterSetName = "BinaryBaseUrl")]
    public string BinaryDirectory { get; set; } = "/usr/bin";

    /// <summary><para>The kubeconfig file of the cluster. The default is the cluster of Connect-KubeCluster, then $env:KUBECONFIG, then ~/.kube/config.</para></summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    readonly List<KubeNode> _nodes = [];

    protected override void ProcessRecord()
    {
        if (Node is not null) _nodes.AddRange(Node);
    }

    protected override void EndProcessing()
    {
        var kubeConfig = KubeClusterArgs.KubeConfigPath(this, KubeConfig);
        var packages = PackageOptions();
        Run(async (sink, ct) =>
        {
            var request = new UpgradeRequest
            {
                Version = VersionCatalog.Resolve(KubeVersion.Parse(Version)),
                Nodes = _nodes.Select(n => n.Name).Distinct().ToList(),
                MaxUnavailable = MaxUnavailable,
                SkipDrain = SkipDrain,
                Packages = packages,
                Drain = new() { IgnoreDaemonSets = true, Timeout = DrainTimeout },
                ComponentTimeout = Timeout,
                NodeReadyTimeout = Timeout,
                RenewCertificates = !SkipCertificateRenewal,
            };
            request.Validate();
            var connection = KubeClusterArgs.Connection(kubeConfig);
            using var api = connection.CreateClient();
            await UpgradeWorkflow.RunAsync(api, request, (n, t) => NodeSessionResolver.FindOrOpenAsync(n.HostName, t), sink, ct);
        });
    }

    /// <summary>Install-KubePackage's sources, read on the pipeline thread.</summary>
    KubePackageOptions? PackageOptions()
    {
        try
        {
            var version = KubeVersion.TryParse(Version, out var v) && VersionCatalog.TryGet(v, out var row) ? row : null;
            var repository = KubePackages.RepositoryFor(Repository, Mirror, version?.ServedByPkgsK8sIo != false);
            if (BinaryPath is not null) return new KubePackageOptions { Binaries = KubePackageArgs.Binaries(this, BinaryPath, ["kubelet", "kubectl"]), BinaryDirectory = BinaryDirectory };
            if (BinaryBaseUrl is not null) return new KubePackageOptions { BinaryBaseUrl = BinaryBaseUrl, BinaryDirectory = BinaryDirectory };
            if (PackagePath.Length > 0) return new KubePackageOptions { PackageFiles = KubePackageArgs.PackageFiles(this, PackagePath) };
            return repository is null ? null : new KubePackageOptions { Repository = repository };
        }
        catch (KubeException e)
        {
            ThrowTerminatingError(ToErrorRecord(e));
            throw;
        }
    }
}
