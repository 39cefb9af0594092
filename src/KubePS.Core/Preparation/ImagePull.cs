using System.Text;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Preparation;

/// <summary>Options of <see cref="ImagePull"/>.</summary>
public sealed record ImagePullOptions
{
    public KubeVersion KubernetesVersion { get; init; } = VersionCatalog.NewestRelease;
    public string? ImageRepository { get; init; }
    /// <summary>Leave etcd out (external etcd).</summary>
    public bool ExternalEtcd { get; init; }
    /// <summary>Worker nodes need kube-proxy, CoreDNS (which may run there) and pause only.</summary>
    public KubeNodeRole Role { get; init; } = KubeNodeRole.ControlPlane;
    /// <summary>The CRI socket to pull through; null for containerd's.</summary>
    public string? CriSocket { get; init; }
    /// <summary>More images to pull (e.g. a CNI plugin's).</summary>
    public IReadOnlyList<string> ExtraImages { get; init; } = [];
}

/// <summary>
/// Renders the image pre-pull (kubeadm config images pull): the images of <see cref="KubeImages.List"/> for the version
/// and repository, pulled with crictl when the node has it, else with <c>ctr -n k8s.io images pull</c> (containerd),
/// else with docker (cri-dockerd or dockershim). Images already present are not pulled again.
/// </summary>
public static class ImagePull
{
    /// <summary>The images a node of this role needs.</summary>
    public static IReadOnlyList<string> ImagesFor(ImagePullOptions o)
    {
        var images = KubeImages.List(o.KubernetesVersion, o.ImageRepository, includeEtcd: !o.ExternalEtcd);
        var wanted = o.Role == KubeNodeRole.ControlPlane ? images : images.Where(i => i.Component is "kube-proxy" or "coredns" or "pause");
        return wanted.Select(i => i.Reference).Concat(o.ExtraImages).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Checks the options without a node (for failing early, before any node is touched): every image is a reference
    /// without white space, and the CRI socket (if given) is a unix socket path. Returns the images.
    /// </summary>
    public static IReadOnlyList<string> Validate(ImagePullOptions options)
    {
        var images = ImagesFor(options);
        foreach (var image in images)
            if (string.IsNullOrWhiteSpace(image) || image.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                throw new KubeException("Preparation.InvalidImage", $"'{image}' is not an image reference.", KubeErrorCategory.InvalidArgument, image, "Give references such as registry.k8s.io/pause:3.9.");
        if (options.CriSocket is { } socket) NodeProbe.SocketPath(socket);
        return images;
    }

    public static NodePlan Render(NodeFacts facts, ImagePullOptions options)
    {
        var images = Validate(options);
        string endpoint = "unix://" + NodeProbe.SocketPath(options.CriSocket ?? ContainerRuntime.ContainerdEndpoint);
        var sb = new StringBuilder();
        sb.Append("endpoint=").Append(Bash.Quote(endpoint)).Append('\n');
        sb.Append("images=(").Append(Bash.QuoteAll(images)).Append(")\n");
        sb.Append("""
            sock=${endpoint#unix://}
            if have crictl && [ -S "$sock" ]; then
              for img in "${images[@]}"; do
                crictl --runtime-endpoint "$endpoint" inspecti "$img" >/dev/null 2>&1 && continue
                crictl --runtime-endpoint "$endpoint" pull "$img" >&2
                changed "pulled $img (crictl)"
              done
            elif have ctr && [ -S "$sock" ] && [ "${sock##*/}" = containerd.sock ]; then
              hosts=(); [ -d /etc/containerd/certs.d ] && hosts=(--hosts-dir /etc/containerd/certs.d)
              present=$(ctr --address "$sock" -n k8s.io images ls -q 2>/dev/null || true)
              for img in "${images[@]}"; do
                printf '%s\n' "$present" | grep -qxF -- "$img" && continue
                ctr --address "$sock" -n k8s.io images pull ${hosts[@]+"${hosts[@]}"} "$img" >&2
                changed "pulled $img (ctr)"
              done
            elif have docker; then
              for img in "${images[@]}"; do
                docker image inspect "$img" >/dev/null 2>&1 && continue
                docker pull "$img" >&2
                changed "pulled $img (docker)"
              done
            else
              fail "no way to pull images: $endpoint is not there, or neither crictl, ctr nor docker is installed"
            fi
            """);
        var step = new PlanStep(PreparationSteps.ImagesPull, $"pull {images.Count} images for Kubernetes {options.KubernetesVersion} ({string.Join(", ", images)})", [], sb.ToString());
        return new NodePlan(facts.HostName, "images", [step], TimeSpan.FromMinutes(30));
    }
}
