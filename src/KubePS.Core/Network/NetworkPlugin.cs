using System.Text.Json.Nodes;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Versioning;

namespace KubePS.Core.Network;

/// <summary>The network plugins Install-KubeNetworkPlugin deploys.</summary>
public enum NetworkPluginKind { Flannel, Calico }

/// <summary>What to deploy: which plugin, for which Kubernetes version, with which pod network and images.</summary>
public sealed record NetworkPluginRequest
{
    public NetworkPluginKind Plugin { get; init; } = NetworkPluginKind.Flannel;

    /// <summary>The cluster's Kubernetes version: picks the plugin release from the version catalog.</summary>
    public required KubeVersion KubernetesVersion { get; init; }

    /// <summary>The pod network (ClusterConfiguration networking.podSubnet), one IPv4 CIDR such as 10.244.0.0/16.</summary>
    public required string PodSubnet { get; init; }

    /// <summary>A registry (and path) to take the plugin's images from instead of docker.io/flannel or docker.io/calico.</summary>
    public string? ImageRepository { get; init; }

    /// <summary>Checks the request: Network.InvalidPodSubnet when the pod network is not one IPv4 CIDR big enough, Network.InvalidImageRepository.</summary>
    public void Validate() => Parse();

    internal Cidr Parse()
    {
        VersionCatalog.Get(KubernetesVersion);
        var cidr = ParsePodSubnet(PodSubnet, Plugin);
        CheckImageRepository(ImageRepository);
        return cidr;
    }

    /// <summary>The pod subnet as a CIDR the plugin can use (IPv4, room for more than one node); Network.InvalidPodSubnet otherwise.</summary>
    internal static Cidr ParsePodSubnet(string? podSubnet, NetworkPluginKind plugin)
    {
        if (!Cidr.TryParse(podSubnet?.Trim(), out var cidr))
            throw new KubeException("Network.InvalidPodSubnet", $"The pod subnet '{podSubnet}' is not a CIDR.", KubeErrorCategory.InvalidArgument, podSubnet,
                "Give the cluster's podSubnet, e.g. 10.244.0.0/16 (the --pod-network-cidr of kubeadm init).");
        if (cidr.IsIPv6)
            throw new KubeException("Network.InvalidPodSubnet",
                $"The pod subnet '{podSubnet}' is IPv6; KubePS deploys {plugin} for an IPv4 pod network only.", KubeErrorCategory.InvalidArgument, podSubnet,
                "Give the IPv4 pod subnet, e.g. 10.244.0.0/16.");
        if (cidr.PrefixLength > 24 && plugin == NetworkPluginKind.Flannel)
            throw new KubeException("Network.InvalidPodSubnet",
                $"The pod subnet '{podSubnet}' is smaller than flannel's per-node /24: it leaves no room for a second node.", KubeErrorCategory.InvalidArgument, podSubnet,
                "Give a /16 (or at least a /23), e.g. 10.244.0.0/16.");
        if (cidr.PrefixLength > 26 && plugin == NetworkPluginKind.Calico)
            throw new KubeException("Network.InvalidPodSubnet",
                $"The pod subnet '{podSubnet}' is smaller than Calico's /26 IPAM block.", KubeErrorCategory.InvalidArgument, podSubnet, "Give a /16, e.g. 192.168.0.0/16.");
        return cidr;
    }

    /// <summary>Network.InvalidImageRepository unless the repository is null or a registry path without a tag.</summary>
    internal static void CheckImageRepository(string? imageRepository)
    {
        if (imageRepository is { } repo && (repo.Length == 0 || repo.Any(char.IsWhiteSpace) || repo.Contains(':') && !repo.Contains('/')))
            throw new KubeException("Network.InvalidImageRepository", $"'{repo}' is not a registry path such as registry.example.com/calico.",
                KubeErrorCategory.InvalidArgument, repo, "Give host[:port]/path without a tag.");
    }
}

/// <summary>A rendered network plugin: its release, its images and the API objects to apply, in order.</summary>
public sealed class NetworkPluginManifest
{
    internal NetworkPluginManifest(NetworkPluginKind plugin, string version, IReadOnlyList<string> images, IReadOnlyList<JsonObject> objects, string podSubnet)
    {
        Plugin = plugin; Version = version; Images = images; Objects = objects; PodSubnet = podSubnet;
    }

    public NetworkPluginKind Plugin { get; }
    /// <summary>The plugin release, e.g. v0.26.1 or v3.28.2.</summary>
    public string Version { get; }
    public string PodSubnet { get; }
    public IReadOnlyList<string> Images { get; }
    /// <summary>The objects, namespaces and CRDs first.</summary>
    public IReadOnlyList<JsonObject> Objects { get; }

    /// <summary>kind/name of each object, e.g. DaemonSet/kube-system/calico-node.</summary>
    public IEnumerable<string> ObjectNames => Objects.Select(o =>
        (string?)o["kind"] + "/" + ((string?)o["metadata"]?["namespace"] is { } ns ? ns + "/" : "") + (string?)o["metadata"]?["name"]);

    /// <summary>The manifest as YAML documents separated by ---, as kubectl apply -f reads it.</summary>
    public string ToYaml() => string.Join("---\n", Objects.Select(o => YamlTree.Write(o)));

    public override string ToString() => $"{Plugin} {Version} ({Objects.Count} objects, pod subnet {PodSubnet})";
}

/// <summary>Renders the network plugins from templates written for KubePS (see <see cref="FlannelManifest"/>, <see cref="CalicoManifest"/>).</summary>
public static class NetworkPlugins
{
    public static NetworkPluginManifest Render(NetworkPluginRequest request)
    {
        var cidr = request.Parse();
        var release = VersionCatalog.Get(request.KubernetesVersion);
        return request.Plugin == NetworkPluginKind.Flannel
            ? FlannelManifest.Render(release, cidr.ToString(), request.ImageRepository)
            : CalicoManifest.Render(release, cidr.ToString(), request.ImageRepository);
    }

    /// <summary>YAML documents (separated by --- lines) to JSON objects.</summary>
    internal static List<JsonObject> Documents(string yaml, string what)
    {
        var list = new List<JsonObject>();
        foreach (var doc in yaml.Replace("\r\n", "\n").Split("\n---\n"))
        {
            if (string.IsNullOrWhiteSpace(doc)) continue;
            if (YamlTree.Read(doc, what) is JsonObject o) list.Add(o);
        }
        return list;
    }

    /// <summary>repository/name:tag, the repository being the default or the mirror given.</summary>
    internal static string Image(string? mirror, string defaultRepository, string name, string tag) =>
        $"{(mirror ?? defaultRepository).TrimEnd('/')}/{name}:{tag}";
}
