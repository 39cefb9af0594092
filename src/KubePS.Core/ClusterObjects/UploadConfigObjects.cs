using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KubePS.Core.Versioning;
using static KubePS.Core.ClusterObjects.KubeObjects;

namespace KubePS.Core.ClusterObjects;

/// <summary>An API endpoint of one control-plane node, as kubeadm's ClusterStatus lists it (1.18–1.21).</summary>
public sealed record ControlPlaneApiEndpoint(string NodeName, string AdvertiseAddress, int BindPort = 6443);

/// <summary>
/// Phases upload-config/kubeadm and upload-config/kubelet (kubeadm-facts.md §5.1, §5.2): the kubeadm-config and
/// kubelet-config ConfigMaps and the Roles that let bootstrap tokens and nodes read them.
/// </summary>
public static partial class UploadConfigObjects
{
    public const string KubeadmConfigMapName = "kubeadm-config";
    public const string ClusterConfigurationKey = "ClusterConfiguration";
    public const string ClusterStatusKey = "ClusterStatus";
    public const string KubeletConfigMapKey = "kubelet";
    public const string NodesKubeadmConfigRole = "kubeadm:nodes-kubeadm-config";
    public const string ComponentConfigHashAnnotation = "kubeadm.kubernetes.io/component-config.hash";

    /// <summary>
    /// upload-config/kubeadm: ConfigMap kube-system/kubeadm-config with key ClusterConfiguration (the YAML text,
    /// secrets already stripped by its writer), and Role + RoleBinding kubeadm:nodes-kubeadm-config (get on that
    /// ConfigMap for the default bootstrap-token group and system:nodes). For 1.18–1.21 the ConfigMap also carries
    /// the ClusterStatus key listing every control plane's API endpoint; <paramref name="apiEndpoints"/> is then
    /// required (init: the first control plane; a control-plane join: the existing list plus the new node).
    /// </summary>
    public static IReadOnlyList<JsonObject> Kubeadm(KubeVersion version, string clusterConfigurationYaml,
        IReadOnlyList<ControlPlaneApiEndpoint>? apiEndpoints = null)
    {
        var release = VersionCatalog.Get(version);
        if (string.IsNullOrWhiteSpace(clusterConfigurationYaml))
            throw new KubeException("ClusterObjects.EmptyClusterConfiguration", "The ClusterConfiguration YAML to store in kubeadm-config is empty.",
                KubeErrorCategory.InvalidArgument, ClusterConfigurationKey, "Pass the serialized ClusterConfiguration of the cluster.");

        var data = new List<KeyValuePair<string, string>> { new(ClusterConfigurationKey, clusterConfigurationYaml) };
        if (release.Has("kubeadm-config.cluster-status"))
            data.Add(new(ClusterStatusKey, ClusterStatusYaml(release, apiEndpoints)));

        return
        [
            ConfigMap(KubeadmConfigMapName, KubeSystem, data),
            GetOneRole(NodesKubeadmConfigRole, KubeSystem, "configmaps", KubeadmConfigMapName),
            RoleBinding(NodesKubeadmConfigRole, KubeSystem, NodesKubeadmConfigRole, GroupSubject(BootstrapTokenGroup), GroupSubject(NodesGroup)),
        ];
    }

    /// <summary>
    /// ClusterStatus's API endpoints (1.18–1.21) with <paramref name="self"/> in them: the ones of kubeadm-config's
    /// ClusterStatus (<paramref name="clusterStatusYaml"/>, may be null) for the other nodes, kept, and this node's own
    /// entry set or replaced (init on the first control plane, a control-plane join's update-status), ordered by node name.
    /// </summary>
    public static IReadOnlyList<ControlPlaneApiEndpoint> ApiEndpointsWith(string? clusterStatusYaml, ControlPlaneApiEndpoint self, int defaultBindPort = 6443)
    {
        var list = ApiEndpoints(clusterStatusYaml, defaultBindPort).Where(e => e.NodeName != self.NodeName).ToList();
        list.Add(self);
        return list.OrderBy(e => e.NodeName, StringComparer.Ordinal).ToList();
    }

    /// <summary>The API endpoints listed in a ClusterStatus document (empty when there is none).</summary>
    public static IReadOnlyList<ControlPlaneApiEndpoint> ApiEndpoints(string? clusterStatusYaml, int defaultBindPort = 6443)
    {
        var list = new List<ControlPlaneApiEndpoint>();
        if (clusterStatusYaml is not null && YamlTree.Read(clusterStatusYaml, ClusterStatusKey)?["apiEndpoints"] is JsonObject existing)
            foreach (var (node, value) in existing)
                if ((string?)value?["advertiseAddress"] is { } address)
                    list.Add(new ControlPlaneApiEndpoint(node, address, (int)((long?)value?["bindPort"] ?? defaultBindPort)));
        return list;
    }

    /// <summary>
    /// A ClusterStatus document (1.18–1.21) without one node's API endpoint, its apiVersion and the other nodes' entries
    /// kept: what kubeadm reset's update-cluster-status phase stores. Null when the node is not listed.
    /// </summary>
    public static string? ClusterStatusWithout(string clusterStatusYaml, string nodeName)
    {
        if (YamlTree.Read(clusterStatusYaml, ClusterStatusKey) is not JsonObject status
            || status["apiEndpoints"] is not JsonObject endpoints || !endpoints.ContainsKey(nodeName)) return null;
        endpoints.Remove(nodeName);
        return YamlTree.Write(status);
    }

    /// <summary>The kubelet-config ConfigMap name of a version: kubelet-config-1.NN up to 1.23, kubelet-config after.</summary>
    public static string KubeletConfigMapName(KubeVersion version) => VersionCatalog.Get(version).KubeletConfigMapName;

    [GeneratedRegex("^sha256:[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex HashPattern();

    /// <summary>
    /// upload-config/kubelet: ConfigMap kube-system/&lt;kubelet-config name of the version&gt; with key kubelet (the
    /// KubeletConfiguration YAML), annotated kubeadm.kubernetes.io/component-config.hash when
    /// <paramref name="componentConfigHash"/> (sha256:&lt;64 hex&gt;, computed by the caller over the data) is given —
    /// kubeadm signs it only when the user supplied no KubeletConfiguration, so pass null for a user-supplied one;
    /// and Role + RoleBinding kubeadm:&lt;ConfigMap name&gt; (get on it, for the bootstrap-token group and system:nodes).
    /// </summary>
    public static IReadOnlyList<JsonObject> Kubelet(KubeVersion version, string kubeletConfigurationYaml, string? componentConfigHash)
    {
        string name = KubeletConfigMapName(version);
        if (string.IsNullOrWhiteSpace(kubeletConfigurationYaml))
            throw new KubeException("ClusterObjects.EmptyKubeletConfiguration", $"The KubeletConfiguration YAML to store in {name} is empty.",
                KubeErrorCategory.InvalidArgument, name, "Pass the serialized KubeletConfiguration of the cluster.");
        var annotations = componentConfigHash is null ? null : new[] { new KeyValuePair<string, string>(ComponentConfigHashAnnotation, CheckHash(componentConfigHash)) };
        string role = "kubeadm:" + name;
        return
        [
            ConfigMap(name, KubeSystem, [new(KubeletConfigMapKey, kubeletConfigurationYaml)], annotations: annotations),
            GetOneRole(role, KubeSystem, "configmaps", name),
            RoleBinding(role, KubeSystem, role, GroupSubject(BootstrapTokenGroup), GroupSubject(NodesGroup)),
        ];
    }

    internal static string CheckHash(string hash) =>
        HashPattern().IsMatch(hash) ? hash
            : throw new KubeException("ClusterObjects.InvalidConfigHash",
                $"The component-config hash '{hash}' is not of the form sha256:<64 lower-case hex digits>.",
                KubeErrorCategory.InvalidArgument, hash, "Pass the hash computed over the ConfigMap data, as kubeadm's ChecksumForConfigMap does.");

    static string ClusterStatusYaml(ReleaseInfo release, IReadOnlyList<ControlPlaneApiEndpoint>? endpoints)
    {
        if (endpoints is null || endpoints.Count == 0)
            throw new KubeException("ClusterObjects.ClusterStatusRequired",
                $"Kubernetes {release.Minor} keeps a ClusterStatus with every control plane's API endpoint in kubeadm-config, and none was given.",
                KubeErrorCategory.InvalidArgument, ClusterStatusKey, "Pass the API endpoint (node name, advertise address, bind port) of each control-plane node.");
        var map = new JsonObject();
        foreach (var e in endpoints)
        {
            if (string.IsNullOrWhiteSpace(e.NodeName) || !System.Net.IPAddress.TryParse(e.AdvertiseAddress, out _) || e.BindPort is < 1 or > 65535)
                throw new KubeException("ClusterObjects.InvalidApiEndpoint",
                    $"The API endpoint '{e.NodeName}' {e.AdvertiseAddress}:{e.BindPort} is not a node name with an IP address and a port 1-65535.",
                    KubeErrorCategory.InvalidArgument, e.NodeName, "Give the node name, its advertise address and the API server bind port (6443 by default).");
            map[e.NodeName] = new JsonObject { ["advertiseAddress"] = e.AdvertiseAddress, ["bindPort"] = e.BindPort };
        }
        return YamlTree.Write(new JsonObject
        {
            ["apiEndpoints"] = map,
            ["apiVersion"] = "kubeadm.k8s.io/" + release.DefaultConfigApiVersion,
            ["kind"] = "ClusterStatus",
        });
    }
}
