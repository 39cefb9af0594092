namespace KubePS.Core.Versioning;

/// <summary>A container image the control plane of one Kubernetes version uses.</summary>
public sealed record KubeImage(string Component, string Reference)
{
    /// <summary>The part before the last ':' (registry and path).</summary>
    public string Name => Reference[..Reference.LastIndexOf(':')];
    /// <summary>The tag after the last ':'.</summary>
    public string Tag => Reference[(Reference.LastIndexOf(':') + 1)..];
    public override string ToString() => Reference;
}

/// <summary>
/// kubeadm's image list for a version (<c>kubeadm config images list</c>): control-plane images, kube-proxy,
/// CoreDNS, pause and etcd, with kubeadm's rules for custom repositories (kubeadm-versions.md §1).
/// </summary>
public static class KubeImages
{
    public static readonly string[] ControlPlaneComponents = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"];

    /// <param name="version">an exact version (a minor is resolved to its newest patch)</param>
    /// <param name="imageRepository">null or empty for kubeadm's default of that version</param>
    /// <param name="etcdImageRepository">etcd.local.imageRepository override</param>
    /// <param name="etcdImageTag">etcd.local.imageTag override</param>
    /// <param name="dnsImageRepository">dns.imageRepository override</param>
    /// <param name="dnsImageTag">dns.imageTag override</param>
    /// <param name="includeEtcd">false with external etcd</param>
    public static IReadOnlyList<KubeImage> List(KubeVersion version, string? imageRepository = null,
        string? etcdImageRepository = null, string? etcdImageTag = null,
        string? dnsImageRepository = null, string? dnsImageTag = null, bool includeEtcd = true)
    {
        var exact = VersionCatalog.Resolve(version);
        var row = VersionCatalog.Get(exact);
        int patch = exact.Patch!.Value;
        string defaultRepo = row.ImageRepository(patch);
        string repo = string.IsNullOrWhiteSpace(imageRepository) ? defaultRepo : imageRepository.TrimEnd('/');
        string tag = exact.ToString().Replace('+', '_');

        var images = new List<KubeImage>();
        foreach (var c in ControlPlaneComponents)
            images.Add(new KubeImage(c, $"{repo}/{c}:{tag}"));

        images.Add(new KubeImage("coredns", CoreDnsReference(row, patch, repo, defaultRepo, dnsImageRepository, dnsImageTag)));
        images.Add(new KubeImage("pause", $"{repo}/pause:{row.PauseVersion}"));
        if (includeEtcd)
        {
            string etcdRepo = string.IsNullOrWhiteSpace(etcdImageRepository) ? repo : etcdImageRepository.TrimEnd('/');
            string etcdTag = string.IsNullOrWhiteSpace(etcdImageTag) ? row.EtcdVersion(patch) : etcdImageTag;
            images.Add(new KubeImage("etcd", $"{etcdRepo}/etcd:{etcdTag}"));
        }
        return images;
    }

    /// <summary>The pause (sandbox) image, which the container runtime's sandbox_image must match.</summary>
    public static string Pause(KubeVersion version, string? imageRepository = null) =>
        List(version, imageRepository, includeEtcd: false).Single(i => i.Component == "pause").Reference;

    static string CoreDnsReference(ReleaseInfo row, int patch, string repo, string defaultRepo, string? dnsRepo, string? dnsTag)
    {
        string tag = string.IsNullOrWhiteSpace(dnsTag) ? row.CoreDnsVersion(patch) : dnsTag;
        if (!string.IsNullOrWhiteSpace(dnsRepo)) return $"{dnsRepo.TrimEnd('/')}/coredns:{tag}";
        // From 1.21 kubeadm adds a coredns/ path segment, but only for its own default repository.
        bool extraPath = row.Has("coredns.image-path") && string.Equals(repo, defaultRepo, StringComparison.Ordinal);
        return extraPath ? $"{repo}/coredns/coredns:{tag}" : $"{repo}/coredns:{tag}";
    }
}
