using KubePS.Core.Manifests;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// control-plane/&lt;component&gt;: the static Pod manifest of kube-apiserver, kube-controller-manager or kube-scheduler
/// with kubeadm's flags, volumes and probes for the version (the manifests renderer), in /etc/kubernetes/manifests (0700).
/// </summary>
public sealed class ControlPlanePhase<TContext>(string component, string summary) : Phase<TContext> where TContext : ControlPlaneContext
{
    public static IReadOnlyList<ControlPlanePhase<TContext>> All { get; } =
    [
        new("kube-apiserver", "Generates the kube-apiserver static Pod manifest"),
        new("kube-controller-manager", "Generates the kube-controller-manager static Pod manifest"),
        new("kube-scheduler", "Generates the kube-scheduler static Pod manifest"),
    ];

    public string Component { get; } = component;
    public override string Name => "control-plane/" + Component;
    public override string Summary { get; } = summary;

    public override async Task RunAsync(TContext c, IOperationSink sink, CancellationToken ct)
    {
        var request = c.ManifestRequest();
        var file = Component switch
        {
            "kube-apiserver" => StaticPodManifests.KubeApiServer(request),
            "kube-controller-manager" => StaticPodManifests.KubeControllerManager(request),
            _ => StaticPodManifests.KubeScheduler(request),
        };
        await c.Node.WriteAsync(Name, [InManifestsDir(file)], ct).ConfigureAwait(false);
    }

    /// <summary>A manifest whose folder, when it has to be made, is made 0700 as kubeadm makes /etc/kubernetes/manifests.</summary>
    public static NodeFile InManifestsDir(NodeFile manifest) =>
        new(manifest.Path, manifest.Content, manifest.Mode, manifest.Owner, manifest.Group) { DirectoryMode = StaticPodManifests.ManifestsDirMode };
}
