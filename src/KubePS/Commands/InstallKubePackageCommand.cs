using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;

namespace KubePS.Commands;

/// <summary>Installs kubeadm, kubelet and kubectl on nodes, at an exact version, from pkgs.k8s.io, a mirror, local package files or release binaries.</summary>
/// <remarks>
/// <para>By default Install-KubePackage adds the pkgs.k8s.io repository of the version's minor (apt: /etc/apt/sources.list.d/kubernetes.list with signed-by and the Release.key keyring; dnf/yum: /etc/yum.repos.d/kubernetes.repo with exclude= as hold), resolves the exact package revision on the node (apt-cache madison, dnf list), installs it, holds it (apt-mark hold) and enables the kubelet service. -Version 1.30 takes the newest 1.30 release the repository has.</para>
/// <para>-Mirror aliyun (or a mirror's base URL) uses a mirror whose paths drop the ':' of pkgs.k8s.io (mirrors.aliyun.com/kubernetes-new/core/stable/v1.NN); for versions before 1.24, which pkgs.k8s.io does not serve, it uses the mirror of the retired Google repositories (mirrors.aliyun.com/kubernetes/apt, kubernetes-xenial). -Repository takes a base URL with pkgs.k8s.io's own layout.</para>
/// <para>Air-gapped: -PackagePath pushes .deb files (apt nodes) or .rpm files (dnf/yum nodes) in the file batch and installs them with dpkg -i or rpm -Uvh. -BinaryPath pushes kubeadm, kubelet and kubectl binaries from a local folder to /usr/bin, and -BinaryBaseUrl downloads them on the node from BASE/vX.Y.Z/bin/linux/ARCH/NAME, verified against NAME.sha256; both write the kubelet unit and kubeadm's 10-kubeadm.conf drop-in.</para>
/// <para>All piped sessions are worked on in parallel, up to -ThrottleLimit nodes at a time; a node that fails is a non-terminating error for that node and the others go on. On a dry-run session (New-KubeNodeSession -DryRunPath ... -Facts ...) the files land in the dry-run folder, the commands in its commands.sh, and every step reports Recorded.</para>
/// </remarks>
/// <example>
/// <code>$nodes | Install-KubePackage -Version 1.30.4 -Confirm:$false</code>
/// <para>Installs kubelet, kubeadm and kubectl 1.30.4 from pkgs.k8s.io, holds them and enables the kubelet.</para>
/// </example>
/// <example>
/// <code>$nodes | Install-KubePackage -Version 1.30 -Mirror aliyun</code>
/// <para>Installs the newest 1.30 release from Aliyun's mirror of pkgs.k8s.io.</para>
/// </example>
/// <example>
/// <code>$nodes | Install-KubePackage -Version 1.23.17 -BinaryBaseUrl https://dl.k8s.io/release</code>
/// <para>Installs the 1.23.17 release binaries (no repository serves 1.23 any more) with the kubelet unit and drop-in.</para>
/// </example>
/// <example>
/// <code>$nodes | Install-KubePackage -Version 1.30.4 -PackagePath ./offline-debs</code>
/// <para>Pushes the .deb files of the folder to each apt node and installs them without a repository.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Install, "KubePackage", SupportsShouldProcess = true, DefaultParameterSetName = "Repository")]
[OutputType(typeof(KubePreparationResult))]
public sealed class InstallKubePackageCommand : KubeCmdlet
{
    /// <summary><para>The node sessions to install on (from New-KubeNodeSession).</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, Position = 0)]
    [ValidateNotNull]
    public KubeNodeSession[] Session { get; set; } = [];

    /// <summary><para>The Kubernetes version: 1.30.4 for that release, or 1.30 for the newest 1.30 release in the repository. The default is the newest release KubePS knows.</para></summary>
    [Parameter]
    [Alias("KubernetesVersion")]
    public string? Version { get; set; }

    /// <summary><para>A repository base URL with pkgs.k8s.io's layout (BASE/core:/stable:/v1.NN/deb/). The default is https://pkgs.k8s.io.</para></summary>
    [Parameter(ParameterSetName = "Repository")]
    public string? Repository { get; set; }

    /// <summary><para>A mirror: 'aliyun', or a base URL whose paths drop the ':' (BASE/core/stable/v1.NN/deb/); for versions before 1.24, the base URL of a mirror of the retired Google repositories (BASE/apt/, BASE/yum/).</para></summary>
    [Parameter(ParameterSetName = "Repository")]
    public string? Mirror { get; set; }

    /// <summary><para>.deb or .rpm files, or folders holding them, to push and install without a repository. apt nodes get the .deb files, dnf/yum nodes the .rpm files.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "PackagePath")]
    public string[] PackagePath { get; set; } = [];

    /// <summary><para>A local folder with the kubeadm, kubelet and kubectl binaries to push to /usr/bin.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "BinaryPath")]
    public string? BinaryPath { get; set; }

    /// <summary><para>A base URL to download release binaries from on the node: BASE/vX.Y.Z/bin/linux/ARCH/NAME and its .sha256, e.g. https://dl.k8s.io/release.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "BinaryBaseUrl")]
    public string? BinaryBaseUrl { get; set; }

    /// <summary><para>The packages or binaries to install. The default is kubelet, kubeadm and kubectl.</para></summary>
    [Parameter]
    public string[] Package { get; set; } = ["kubelet", "kubeadm", "kubectl"];

    /// <summary><para>Do not hold the packages at their version.</para></summary>
    [Parameter]
    public SwitchParameter NoHold { get; set; }

    /// <summary><para>Run only these steps (e.g. packages/repository).</para></summary>
    [Parameter]
    [ValidateSet("packages/repository", "packages/install", "packages/hold", "packages/binaries", "packages/kubelet-unit", "packages/kubelet-service")]
    public string[]? Step { get; set; }

    /// <summary><para>How many nodes are worked on at the same time (default 32); the others wait for a free slot. Each node's results are written as soon as it is done.</para></summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = NodeFleet.DefaultThrottleLimit;

    readonly List<KubeNodeSession> _sessions = new();

    KubePackageOptions _options = null!;
    List<LocalPackageFile> _files = [];

    protected override void BeginProcessing() => Run(sink =>
    {
        var version = Version is null ? VersionCatalog.NewestRelease : KubeVersion.Parse(Version);
        var release = VersionCatalog.Get(version);
        var repository = KubePackages.RepositoryFor(Repository, Mirror, release.ServedByPkgsK8sIo);
        _files = KubePackageArgs.PackageFiles(this, PackagePath);

        var binaries = BinaryPath is null ? null : KubePackageArgs.Binaries(this, BinaryPath, Package);
        _options = new KubePackageOptions
        {
            Version = version,
            Repository = repository,
            PackageFiles = _files,
            Binaries = binaries,
            BinaryBaseUrl = BinaryBaseUrl,
            Packages = Package,
            Hold = !NoHold,
            Steps = Step?.Select(s => s.ToLowerInvariant()).ToList(),
        };
        KubePackages.Validate(_options with { PackageFiles = [] });
        KubePackages.Validate(_options);
    });

    protected override void ProcessRecord() => _sessions.AddRange(Session);

    protected override void EndProcessing()
    {
        var sessions = _sessions.ToList();
        Run((sink, ct) => FleetPreparation.InstallPackagesAsync(sessions, _options, sink, ThrottleLimit, ct));
    }
}
