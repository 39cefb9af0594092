using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KubePS.Core.Api;
using KubePS.Core.Operations;
using KubePS.Core.Versioning;

namespace KubePS.Core.Network;

/// <summary>What Install-KubeNetworkPlugin applied.</summary>
public sealed class KubeNetworkPluginResult
{
    internal KubeNetworkPluginResult(NetworkPluginManifest manifest, string server, IReadOnlyList<string> applied)
    {
        Plugin = manifest.Plugin.ToString(); Version = manifest.Version; PodSubnet = manifest.PodSubnet; Images = manifest.Images; Applied = applied; Server = server;
    }

    public string Plugin { get; }
    public string Version { get; }
    public string PodSubnet { get; }
    public IReadOnlyList<string> Images { get; }
    /// <summary>The objects server-side applied, as Kind/[namespace/]name.</summary>
    public IReadOnlyList<string> Applied { get; }
    public string Server { get; }

    public override string ToString() => $"{Plugin} {Version} on {Server}: {Applied.Count} objects";
}

/// <summary>
/// Installs a network plugin: the Kubernetes version comes from the API server's /version and the pod network from
/// the kubeadm-config ConfigMap (ClusterConfiguration networking.podSubnet) unless given; the manifest is rendered,
/// asked for through ShouldChange, and each object server-side applied (field manager kubeps), so running it again
/// changes nothing and an upgrade of KubePS's catalog moves the plugin to the catalog's release.
/// </summary>
public static class NetworkPluginInstaller
{
    public static async Task<KubeNetworkPluginResult?> InstallAsync(KubeApiClient api, NetworkPluginKind plugin, string? podSubnet, KubeVersion? version,
        string? imageRepository, IOperationSink sink, CancellationToken ct)
    {
        // What was given is checked before the API server is asked anything.
        NetworkPluginRequest.CheckImageRepository(imageRepository);
        if (podSubnet is not null) NetworkPluginRequest.ParsePodSubnet(podSubnet, plugin);
        if (version is not null) VersionCatalog.Get(version);
        version ??= await ServerVersionAsync(api, ct).ConfigureAwait(false);
        podSubnet ??= await PodSubnetAsync(api, ct).ConfigureAwait(false)
            ?? throw new KubeException("Network.PodSubnetUnknown",
                $"The cluster at {api.Credentials.Server} has no networking.podSubnet in its kubeadm-config ConfigMap, and none was given.",
                KubeErrorCategory.InvalidArgument, api.Credentials.Server.ToString(),
                "Give -PodSubnet (the --pod-network-cidr the control plane was initialized with, e.g. 10.244.0.0/16).");
        var manifest = NetworkPlugins.Render(new NetworkPluginRequest
        {
            Plugin = plugin, KubernetesVersion = version, PodSubnet = podSubnet, ImageRepository = imageRepository,
        });
        sink.WriteVerbose($"{plugin} {manifest.Version} for Kubernetes {version}, pod network {manifest.PodSubnet}, images {string.Join(", ", manifest.Images)}");
        var other = plugin == NetworkPluginKind.Flannel
            ? await api.GetAsync(KubeResource.DaemonSet, "kube-system", "calico-node", ct).ConfigureAwait(false)
            : await api.GetAsync(KubeResource.DaemonSet, "kube-flannel", "kube-flannel-ds", ct).ConfigureAwait(false);
        if (other is not null)
            sink.WriteWarning($"the cluster already runs {(plugin == NetworkPluginKind.Flannel ? "Calico (kube-system/calico-node)" : "flannel (kube-flannel/kube-flannel-ds)")}: two network plugins on one node conflict.");
        if (!await sink.ShouldChangeAsync(api.Credentials.Server.ToString(), $"Install {plugin} {manifest.Version} ({manifest.Objects.Count} objects, pod network {manifest.PodSubnet})", ct).ConfigureAwait(false))
            return null;
        var applied = new List<string>();
        foreach (var (obj, name) in manifest.Objects.Zip(manifest.ObjectNames))
        {
            await api.ApplyAsync((JsonObject)obj.DeepClone(), force: true, ct).ConfigureAwait(false);
            applied.Add(name);
            sink.WriteVerbose($"applied {name}");
        }
        return new KubeNetworkPluginResult(manifest, api.Credentials.Server.ToString(), applied);
    }

    /// <summary>The API server's version (GET /version, gitVersion).</summary>
    public static async Task<KubeVersion> ServerVersionAsync(KubeApiClient api, CancellationToken ct)
    {
        var (status, body) = await api.GetRawAsync("/version", ct).ConfigureAwait(false);
        var text = status == 200 ? (string?)JsonNode.Parse(body)?["gitVersion"] : null;
        if (text is not null && Regex.Match(text, @"^v?\d+\.\d+\.\d+") is { Success: true } m && KubeVersion.TryParse(m.Value, out var v)) return v;
        throw new KubeException("Network.VersionUnknown", $"The API server {api.Credentials.Server} did not tell its version (/version answered {status}).",
            KubeErrorCategory.InvalidData, api.Credentials.Server.ToString(), "Give -KubernetesVersion.");
    }

    /// <summary>networking.podSubnet of the ClusterConfiguration in kube-system/kubeadm-config, or null.</summary>
    public static async Task<string?> PodSubnetAsync(KubeApiClient api, CancellationToken ct)
    {
        var cm = await api.GetAsync(KubeResource.ConfigMap, "kube-system", "kubeadm-config", ct).ConfigureAwait(false);
        var text = (string?)cm?["data"]?["ClusterConfiguration"];
        if (text is null) return null;
        var m = Regex.Match(text, @"(?m)^\s*podSubnet:\s*""?([^""\s]+)""?\s*$");
        return m.Success ? m.Groups[1].Value : null;
    }
}
