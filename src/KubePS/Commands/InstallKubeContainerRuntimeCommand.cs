using System.Collections;
using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;

namespace KubePS.Commands;

/// <summary>Installs and configures the container runtime on nodes: containerd (default) or Docker with cri-dockerd.</summary>
/// <remarks>
/// <para>With containerd, Install-KubeContainerRuntime installs the package (the distribution's containerd on apt systems, containerd.io from Docker's repository on dnf/yum systems; -Version pins a version), writes /etc/containerd/config.toml with SystemdCgroup = true, the cluster's pause image as sandbox image and config_path for registry mirrors, writes /etc/containerd/certs.d/REGISTRY/hosts.toml for each -RegistryMirror entry and /etc/crictl.yaml, then enables containerd and restarts it when its config changed.</para>
/// <para>config.toml uses config version 2 (containerd 1.x field names) unless the node's or the requested containerd is 2.x, which gets version 3 (io.containerd.cri.v1.images / io.containerd.cri.v1.runtime). containerd 2.x also reads version 2.</para>
/// <para>With -Runtime Docker, it installs Docker with /etc/docker/daemon.json (systemd cgroup driver, overlay2) and, for Kubernetes 1.24 and later, cri-dockerd with its systemd units and --pod-infra-container-image; the CRI socket is then unix:///var/run/cri-dockerd.sock.</para>
/// <para>All piped sessions are worked on in parallel, up to -ThrottleLimit nodes at a time; a node that fails is a non-terminating error for that node and the others go on. On a dry-run session (New-KubeNodeSession -DryRunPath ... -Facts ...) the files land in the dry-run folder, the commands in its commands.sh, and every step reports Recorded.</para>
/// <para>The sandbox image is -SandboxImage, or the pause image of -KubernetesVersion on -ImageRepository (a mirror such as registry.aliyuncs.com/google_containers is honoured).</para>
/// </remarks>
/// <example>
/// <code>$nodes | Install-KubeContainerRuntime -KubernetesVersion 1.30.4 -Confirm:$false</code>
/// <para>Installs containerd with the systemd cgroup driver and registry.k8s.io/pause:3.9 as sandbox image.</para>
/// </example>
/// <example>
/// <code>$nodes | Install-KubeContainerRuntime -KubernetesVersion 1.30 -ImageRepository registry.aliyuncs.com/google_containers -RegistryMirror @{ 'docker.io' = 'https://docker.m.daocloud.io' }</code>
/// <para>Uses the Aliyun mirror's pause image and pulls Docker Hub images through a mirror.</para>
/// </example>
/// <example>
/// <code>$nodes | Install-KubeContainerRuntime -Runtime Docker -KubernetesVersion 1.29.15</code>
/// <para>Installs Docker and cri-dockerd; join and init then use -CriSocket unix:///var/run/cri-dockerd.sock.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Install, "KubeContainerRuntime", SupportsShouldProcess = true)]
[OutputType(typeof(KubePreparationResult))]
public sealed class InstallKubeContainerRuntimeCommand : KubeCmdlet
{
    /// <summary><para>The node sessions to install on (from New-KubeNodeSession).</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, Position = 0)]
    [ValidateNotNull]
    public KubeNodeSession[] Session { get; set; } = [];

    /// <summary><para>containerd (the default) or Docker (with cri-dockerd for Kubernetes 1.24 and later).</para></summary>
    [Parameter]
    [ValidateSet("Containerd", "Docker")]
    public string Runtime { get; set; } = "Containerd";

    /// <summary><para>The runtime package version, as the beginning of the repository's version string (e.g. 1.7.12). By default the runtime already installed is kept, or the repository's version is installed.</para></summary>
    [Parameter]
    public string? Version { get; set; }

    /// <summary><para>The cluster's Kubernetes version: decides the pause image and whether Docker needs cri-dockerd. The default is the newest release KubePS knows.</para></summary>
    [Parameter]
    public string? KubernetesVersion { get; set; }

    /// <summary><para>The cluster's image repository (imageRepository), e.g. registry.aliyuncs.com/google_containers; the sandbox image is its pause image.</para></summary>
    [Parameter]
    public string? ImageRepository { get; set; }

    /// <summary><para>The sandbox (pause) image, overriding the one derived from -KubernetesVersion and -ImageRepository.</para></summary>
    [Parameter]
    public string? SandboxImage { get; set; }

    /// <summary><para>Registry mirrors as a hashtable: registry host (docker.io, registry.k8s.io, or _default for every registry) = mirror URL or array of URLs.</para></summary>
    [Parameter]
    public Hashtable? RegistryMirror { get; set; }

    /// <summary><para>The containerd config version to write: 2 (containerd 1.x) or 3 (containerd 2.x). By default it follows the containerd version.</para></summary>
    [Parameter]
    [ValidateSet("2", "3")]
    public string? ConfigVersion { get; set; }

    /// <summary><para>The cgroup driver: systemd (the default, as kubeadm configures the kubelet) or cgroupfs (only for nodes without systemd).</para></summary>
    [Parameter]
    [ValidateSet("systemd", "cgroupfs")]
    public string CgroupDriver { get; set; } = "systemd";

    /// <summary><para>The cri-dockerd release to install with Docker. The default is 0.3.20.</para></summary>
    [Parameter]
    public string? CriDockerdVersion { get; set; }

    /// <summary><para>Where cri-dockerd releases are downloaded from (BASE/vVERSION/cri-dockerd-VERSION.ARCH.tgz). The default is the project's GitHub releases.</para></summary>
    [Parameter]
    public string? CriDockerdBaseUrl { get; set; }

    /// <summary><para>Run only these steps (e.g. runtime/config).</para></summary>
    [Parameter]
    [ValidateSet("runtime/repository", "runtime/package", "runtime/config", "runtime/cri-dockerd", "runtime/service")]
    public string[]? Step { get; set; }

    /// <summary><para>How many nodes are worked on at the same time (default 32); the others wait for a free slot. Each node's results are written as soon as it is done.</para></summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = NodeFleet.DefaultThrottleLimit;

    readonly List<KubeNodeSession> _sessions = new();

    ContainerRuntimeOptions _options = null!;

    protected override void BeginProcessing() => Run(_ =>
    {
        var defaults = new ContainerRuntimeOptions();
        _options = new ContainerRuntimeOptions
        {
            Runtime = CommandArgs.Parse<ContainerRuntimeKind>(Runtime),
            Version = Version,
            KubernetesVersion = KubernetesVersion is null ? VersionCatalog.NewestRelease : KubeVersion.Parse(KubernetesVersion),
            ImageRepository = ImageRepository,
            SandboxImage = SandboxImage,
            RegistryMirrors = Mirrors(RegistryMirror),
            ContainerdConfigVersion = ConfigVersion is null ? null : int.Parse(ConfigVersion, System.Globalization.CultureInfo.InvariantCulture),
            SystemdCgroup = CgroupDriver.Equals("systemd", StringComparison.OrdinalIgnoreCase),
            CriDockerdVersion = CriDockerdVersion ?? defaults.CriDockerdVersion,
            CriDockerdBaseUrl = CriDockerdBaseUrl ?? defaults.CriDockerdBaseUrl,
            Steps = Step?.Select(s => s.ToLowerInvariant()).ToList(),
        };
        ContainerRuntime.Validate(_options);
    });

    protected override void ProcessRecord() => _sessions.AddRange(Session);

    protected override void EndProcessing()
    {
        var sessions = _sessions.ToList();
        Run((sink, ct) => FleetPreparation.InstallContainerRuntimeAsync(sessions, _options, sink, ThrottleLimit, ct));
    }

    static Dictionary<string, IReadOnlyList<string>> Mirrors(Hashtable? table)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (table is null) return result;
        foreach (DictionaryEntry e in table)
        {
            string key = e.Key?.ToString() ?? "";
            object? value = e.Value is PSObject pso ? pso.BaseObject : e.Value;
            var urls = value switch
            {
                string s => [s],
                IEnumerable list => list.Cast<object?>().Select(o => (o is PSObject p ? p.BaseObject : o)?.ToString() ?? "").ToList(),
                null => [],
                _ => new List<string> { value.ToString() ?? "" },
            };
            // A registry without a URL is refused by ContainerRuntime.Validate (Preparation.InvalidMirror).
            result[key] = urls;
        }
        return result;
    }
}
