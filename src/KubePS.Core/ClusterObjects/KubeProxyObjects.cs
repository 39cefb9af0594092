using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.Versioning;
using static KubePS.Core.ClusterObjects.KubeObjects;

namespace KubePS.Core.ClusterObjects;

/// <summary>
/// The user's KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1): <see cref="Mode"/> (iptables, ipvs,
/// nftables...) and any other fields as a JSON tree in <see cref="Fields"/>, merged over kubeadm's defaults. Fields
/// kubeadm defaults (bindAddress, clusterCIDR, clientConnection.kubeconfig) are only filled when the user left them out.
/// </summary>
public sealed class KubeProxySettings
{
    public const string ApiVersion = "kubeproxy.config.k8s.io/v1alpha1";
    public const string Kind = "KubeProxyConfiguration";
    static readonly string[] Modes = ["", "iptables", "ipvs", "nftables", "kernelspace", "userspace"];

    /// <summary>mode; null leaves it to <see cref="Fields"/> or kube-proxy's default (iptables on Linux).</summary>
    public string? Mode { get; init; }

    /// <summary>Any further KubeProxyConfiguration fields, e.g. {"ipvs":{"strictARP":true}}.</summary>
    public JsonObject? Fields { get; init; }

    /// <summary>Reads a KubeProxyConfiguration document (or a bare mapping of its fields) from YAML or JSON text.</summary>
    public static KubeProxySettings FromYaml(string yaml)
    {
        var node = YamlTree.Read(yaml, "KubeProxyConfiguration");
        if (node is null) return new KubeProxySettings();
        if (node is not JsonObject o)
            throw new KubeException("ClusterObjects.InvalidKubeProxyConfiguration", "The KubeProxyConfiguration YAML is not a mapping.",
                KubeErrorCategory.InvalidArgument, "KubeProxyConfiguration", "Write fields as key: value, e.g. 'mode: ipvs'.");
        return new KubeProxySettings { Fields = o };
    }

    internal JsonObject Merge(JsonObject defaults)
    {
        var result = (JsonObject)defaults.DeepClone();
        // kubeadm's defaulting fills only unset fields: the user's tree wins wherever it has a value.
        if (Fields is not null)
        {
            foreach (var (k, expected) in new[] { ("apiVersion", ApiVersion), ("kind", Kind) })
                if (Fields[k] is JsonNode n && (n.GetValueKind() != System.Text.Json.JsonValueKind.String || (string?)n != expected))
                    throw new KubeException("ClusterObjects.InvalidKubeProxyConfiguration",
                        $"The kube-proxy configuration has {k} '{n.ToJsonString()}'; KubePS writes {k} {expected}.",
                        KubeErrorCategory.InvalidArgument, k, $"Use {k}: {expected}, or leave {k} out.");
            YamlTree.MergeInto(result, Fields);
        }
        if (Mode is not null) result["mode"] = Mode;
        if (result["mode"] is JsonNode mode && (mode.GetValueKind() != System.Text.Json.JsonValueKind.String || !Modes.Contains((string?)mode)))
            throw new KubeException("ClusterObjects.InvalidKubeProxyMode",
                $"The kube-proxy mode {mode.ToJsonString()} is not one of {string.Join(", ", Modes.Skip(1))} (or empty for the default).",
                KubeErrorCategory.InvalidArgument, mode.ToJsonString(), "Use mode: ipvs, iptables or nftables (nftables needs kube-proxy 1.29+).");
        return result;
    }

    public override string ToString() => $"kube-proxy mode {(Mode ?? (string?)Fields?["mode"] ?? "default")}";
}

/// <summary>
/// Phase addon/kube-proxy (kubeadm-facts.md §5.2, §5.5): ServiceAccount kube-proxy, ConfigMap kube-proxy
/// (config.conf and kubeconfig.conf), DaemonSet kube-proxy, ClusterRoleBinding kubeadm:node-proxier, Role and
/// RoleBinding kube-proxy.
/// </summary>
public static class KubeProxyObjects
{
    public const string Name = "kube-proxy";
    public const string ConfigKey = "config.conf";
    public const string KubeconfigKey = "kubeconfig.conf";
    public const string KubeconfigPath = "/var/lib/kube-proxy/kubeconfig.conf";

    /// <summary>
    /// Every kube-proxy object, in kubeadm's order: ServiceAccount, ConfigMap, DaemonSet, ClusterRoleBinding
    /// kubeadm:node-proxier, Role kube-proxy, RoleBinding kube-proxy. <paramref name="componentConfigHash"/>, when
    /// given, computes the kubeadm.kubernetes.io/component-config.hash annotation from the ConfigMap data (kubeadm's
    /// ChecksumForConfigMap lives with the kubelet-config code, not here). kubeadm signs the ConfigMap only when the
    /// user did not supply a KubeProxyConfiguration (the hash marks it as kubeadm-generated, so upgrades may
    /// regenerate it): pass the hasher only in that case.
    /// </summary>
    public static IReadOnlyList<JsonObject> Render(ClusterObjectsRequest cluster, KubeProxySettings? settings = null,
        Func<IReadOnlyDictionary<string, string>, string>? componentConfigHash = null)
    {
        var r = cluster.Resolve();
        var data = ConfigMapData(cluster, settings);
        var annotations = componentConfigHash is null ? null
            : new[] { new KeyValuePair<string, string>(UploadConfigObjects.ComponentConfigHashAnnotation, UploadConfigObjects.CheckHash(componentConfigHash(data))) };
        return
        [
            New(KubeResource.ServiceAccount, Name, KubeSystem),
            ConfigMap(Name, KubeSystem, data, labels: [new("app", Name)], annotations: annotations),
            DaemonSet(r),
            ClusterRoleBinding("kubeadm:node-proxier", "system:node-proxier", ServiceAccountSubject(Name, KubeSystem)),
            GetOneRole(Name, KubeSystem, "configmaps", Name),
            RoleBinding(Name, KubeSystem, Name, GroupSubject(BootstrapTokenGroup)),
        ];
    }

    /// <summary>The ConfigMap's data: config.conf (the KubeProxyConfiguration YAML) and kubeconfig.conf.</summary>
    public static IReadOnlyDictionary<string, string> ConfigMapData(ClusterObjectsRequest cluster, KubeProxySettings? settings = null)
    {
        var r = cluster.Resolve();
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [ConfigKey] = Configuration(cluster, settings),
            [KubeconfigKey] = Kubeconfig(r.Endpoint),
        };
    }

    /// <summary>
    /// config.conf: kubeadm's defaults — bindAddress 0.0.0.0 (:: when the advertise address is IPv6), clusterCIDR =
    /// podSubnet, clientConnection.kubeconfig = /var/lib/kube-proxy/kubeconfig.conf — under the user's fields, written
    /// as YAML with sorted keys and no trailing newline (the ConfigMap holds it as a |- block). Only set fields are
    /// written; kube-proxy defaults the rest, as it does for kubeadm's zero values.
    /// </summary>
    public static string Configuration(ClusterObjectsRequest cluster, KubeProxySettings? settings = null)
    {
        var r = cluster.Resolve();
        var defaults = new JsonObject
        {
            ["apiVersion"] = KubeProxySettings.ApiVersion,
            ["kind"] = KubeProxySettings.Kind,
            ["bindAddress"] = r.AdvertiseAddress?.AddressFamily == AddressFamily.InterNetworkV6 ? "::" : "0.0.0.0",
            ["clientConnection"] = new JsonObject { ["kubeconfig"] = KubeconfigPath },
        };
        if (!string.IsNullOrEmpty(cluster.PodSubnet)) defaults["clusterCIDR"] = cluster.PodSubnet;
        var merged = (settings ?? new KubeProxySettings()).Merge(defaults);
        return YamlTree.Write(merged).TrimEnd('\n');
    }

    /// <summary>kubeconfig.conf: cluster/context/user "default", the control-plane endpoint, the service-account CA and token files.</summary>
    public static string Kubeconfig(string server)
    {
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\n");
        sb.Append("kind: Config\n");
        sb.Append("clusters:\n");
        sb.Append("- cluster:\n");
        sb.Append("    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n");
        sb.Append("    server: ").Append(server).Append('\n');
        sb.Append("  name: default\n");
        sb.Append("contexts:\n");
        sb.Append("- context:\n");
        sb.Append("    cluster: default\n");
        sb.Append("    namespace: default\n");
        sb.Append("    user: default\n");
        sb.Append("  name: default\n");
        sb.Append("current-context: default\n");
        sb.Append("users:\n");
        sb.Append("- name: default\n");
        sb.Append("  user:\n");
        sb.Append("    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token");
        return sb.ToString();
    }

    /// <summary>The kube-proxy image of the version on the cluster's repository.</summary>
    public static string Image(ClusterObjectsRequest cluster)
    {
        var r = cluster.Resolve();
        return KubeImages.List(r.Version, cluster.ImageRepository, includeEtcd: false).Single(i => i.Component == "kube-proxy").Reference;
    }

    static JsonObject DaemonSet(ClusterObjectsRequest.Resolved r)
    {
        var tolerations = new JsonArray();
        if (r.Release.Has("kube-proxy.critical-addons-toleration"))
            tolerations.Add(new JsonObject { ["key"] = "CriticalAddonsOnly", ["operator"] = "Exists" });
        tolerations.Add(new JsonObject { ["operator"] = "Exists" });

        var container = new JsonObject
        {
            ["name"] = Name,
            ["image"] = Image(r.Request),
            ["imagePullPolicy"] = "IfNotPresent",
            ["command"] = Strings("/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/" + ConfigKey, "--hostname-override=$(NODE_NAME)"),
            ["securityContext"] = new JsonObject { ["privileged"] = true },
            ["volumeMounts"] = new JsonArray
            {
                new JsonObject { ["mountPath"] = "/var/lib/kube-proxy", ["name"] = "kube-proxy" },
                new JsonObject { ["mountPath"] = "/run/xtables.lock", ["name"] = "xtables-lock", ["readOnly"] = false },
                new JsonObject { ["mountPath"] = "/lib/modules", ["name"] = "lib-modules", ["readOnly"] = true },
            },
            ["env"] = new JsonArray
            {
                new JsonObject
                {
                    ["name"] = "NODE_NAME",
                    ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["fieldPath"] = "spec.nodeName" } },
                },
            },
        };

        var ds = New(KubeResource.DaemonSet, Name, KubeSystem, labels: [new("k8s-app", Name)]);
        ds["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = Map(("k8s-app", Name)) },
            ["updateStrategy"] = new JsonObject { ["type"] = "RollingUpdate" },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = Map(("k8s-app", Name)) },
                ["spec"] = new JsonObject
                {
                    ["priorityClassName"] = "system-node-critical",
                    ["containers"] = new JsonArray { container },
                    ["hostNetwork"] = true,
                    ["serviceAccountName"] = Name,
                    ["volumes"] = new JsonArray
                    {
                        new JsonObject { ["name"] = "kube-proxy", ["configMap"] = new JsonObject { ["name"] = Name } },
                        new JsonObject { ["name"] = "xtables-lock", ["hostPath"] = new JsonObject { ["path"] = "/run/xtables.lock", ["type"] = "FileOrCreate" } },
                        new JsonObject { ["name"] = "lib-modules", ["hostPath"] = new JsonObject { ["path"] = "/lib/modules" } },
                    },
                    ["tolerations"] = tolerations,
                    ["nodeSelector"] = Map(("kubernetes.io/os", "linux")),
                },
            },
        };
        return ds;
    }
}
