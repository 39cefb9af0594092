using System.Management.Automation;
using KubePS.Core.Nodes;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;

namespace KubePS.Commands;

/// <summary>Pulls the container images a Kubernetes version needs onto nodes, as kubeadm config images pull does.</summary>
/// <remarks>
/// <para>Save-KubeImage pulls kubeadm's image list for the version (Get-KubeImage shows it) on each node, through the container runtime: with crictl when the node has it, else with ctr in containerd's k8s.io namespace (using /etc/containerd/certs.d mirrors), else with docker. Images already present are skipped, so a second run pulls nothing.</para>
/// <para>All piped sessions are worked on in parallel, up to -ThrottleLimit nodes at a time; a node that fails is a non-terminating error for that node and the others go on. On a dry-run session (New-KubeNodeSession -DryRunPath ... -Facts ...) the files land in the dry-run folder, the commands in its commands.sh, and every step reports Recorded.</para>
/// <para>Worker nodes (-Role Worker) get kube-proxy, CoreDNS and pause only; -ExternalEtcd leaves etcd out; -Image adds more images, e.g. a CNI plugin's.</para>
/// </remarks>
/// <example>
/// <code>$nodes | Save-KubeImage -KubernetesVersion 1.30.4 -Confirm:$false</code>
/// <para>Pulls the seven images of Kubernetes 1.30.4 from registry.k8s.io on every node.</para>
/// </example>
/// <example>
/// <code>$workers | Save-KubeImage -KubernetesVersion 1.30 -ImageRepository registry.aliyuncs.com/google_containers -Role Worker</code>
/// <para>Pulls kube-proxy, CoreDNS and pause of the newest 1.30 release from the Aliyun mirror on the workers.</para>
/// </example>
[Cmdlet(VerbsData.Save, "KubeImage", SupportsShouldProcess = true)]
[OutputType(typeof(KubePreparationResult))]
public sealed class SaveKubeImageCommand : KubeCmdlet
{
    /// <summary><para>The node sessions to pull on (from New-KubeNodeSession).</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, Position = 0)]
    [ValidateNotNull]
    public KubeNodeSession[] Session { get; set; } = [];

    /// <summary><para>The Kubernetes version: 1.30 (the newest patch KubePS knows) or 1.30.4. The default is the newest release KubePS knows.</para></summary>
    [Parameter]
    [Alias("Version")]
    public string? KubernetesVersion { get; set; }

    /// <summary><para>A registry and path to pull from instead of kubeadm's default, e.g. a mirror.</para></summary>
    [Parameter]
    public string? ImageRepository { get; set; }

    /// <summary><para>Leave etcd out (external etcd).</para></summary>
    [Parameter]
    public SwitchParameter ExternalEtcd { get; set; }

    /// <summary><para>ControlPlane (every image, the default) or Worker (kube-proxy, CoreDNS and pause).</para></summary>
    [Parameter]
    [ValidateSet("ControlPlane", "Worker")]
    public string Role { get; set; } = "ControlPlane";

    /// <summary><para>The CRI socket to pull through. The default is containerd's, unix:///var/run/containerd/containerd.sock.</para></summary>
    [Parameter]
    public string? CriSocket { get; set; }

    /// <summary><para>More images to pull, e.g. a CNI plugin's.</para></summary>
    [Parameter]
    public string[] Image { get; set; } = [];

    /// <summary><para>How many nodes are worked on at the same time (default 32); the others wait for a free slot. Each node's results are written as soon as it is done.</para></summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = NodeFleet.DefaultThrottleLimit;

    readonly List<KubeNodeSession> _sessions = new();

    ImagePullOptions _options = null!;

    protected override void BeginProcessing() => Run(_ =>
    {
        _options = new ImagePullOptions
        {
            KubernetesVersion = KubernetesVersion is null ? VersionCatalog.NewestRelease : KubeVersion.Parse(KubernetesVersion),
            ImageRepository = ImageRepository,
            ExternalEtcd = ExternalEtcd,
            Role = CommandArgs.Parse<KubeNodeRole>(Role),
            CriSocket = CriSocket,
            ExtraImages = Image,
        };
        ImagePull.ImagesFor(_options);
        if (CriSocket is not null) NodeProbe.SocketPath(CriSocket);
    });

    protected override void ProcessRecord() => _sessions.AddRange(Session);

    protected override void EndProcessing()
    {
        var sessions = _sessions.ToList();
        Run((sink, ct) => FleetPreparation.PullImagesAsync(sessions, _options, sink, ThrottleLimit, ct));
    }
}
