using System.Globalization;
using System.Text.Json.Nodes;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Cluster;

/// <summary>The role a node plays in the cluster, from its node-role labels.</summary>
public enum KubeNodeRole { ControlPlane, Worker }

/// <summary>
/// A Node of the cluster as Get-KubeNode shows it: name, roles, readiness, kubelet version, addresses, OS, runtime,
/// taints and age. <see cref="HostName"/> is what node cmdlets bind by property name to find (or open) the node's SSH
/// session: the host name of a registered session that matches the node (by node name, Hostname address or
/// InternalIP), else the node's Hostname address, else its name.
/// </summary>
public sealed class KubeNode
{
    internal KubeNode(string name, IReadOnlyList<string> roles, bool isControlPlane, bool ready, string readyReason, bool unschedulable,
        string kubeletVersion, string? internalIP, string hostName, string os, string kernelVersion, string containerRuntime,
        IReadOnlyList<string> taints, DateTimeOffset? created, IReadOnlyDictionary<string, string> labels)
    {
        Name = name; Roles = roles; IsControlPlane = isControlPlane; Ready = ready; ReadyReason = readyReason; Unschedulable = unschedulable;
        KubeletVersion = kubeletVersion; InternalIP = internalIP; HostName = hostName; OS = os; KernelVersion = kernelVersion;
        ContainerRuntime = containerRuntime; Taints = taints; Created = created; Labels = labels;
    }

    /// <summary>The Node's name (metadata.name).</summary>
    public string Name { get; }

    /// <summary>The roles of its node-role.kubernetes.io/&lt;role&gt; labels, as kubectl get nodes shows them (empty: none).</summary>
    public IReadOnlyList<string> Roles { get; }

    /// <summary>Carries a control-plane label of any catalog release (node-role.kubernetes.io/control-plane or /master).</summary>
    public bool IsControlPlane { get; }

    public KubeNodeRole Role => IsControlPlane ? KubeNodeRole.ControlPlane : KubeNodeRole.Worker;

    /// <summary>The Ready condition is True.</summary>
    public bool Ready { get; }

    /// <summary>The Ready condition's reason (KubeletReady, NodeStatusUnknown, ...), or empty.</summary>
    public string ReadyReason { get; }

    /// <summary>Cordoned (spec.unschedulable).</summary>
    public bool Unschedulable { get; }

    /// <summary>status.nodeInfo.kubeletVersion, e.g. v1.30.4.</summary>
    public string KubeletVersion { get; }

    /// <summary>The first InternalIP address, or null.</summary>
    public string? InternalIP { get; }

    /// <summary>The host name node cmdlets reach the node by (see the class summary).</summary>
    public string HostName { get; }

    /// <summary>status.nodeInfo.osImage.</summary>
    public string OS { get; }

    public string KernelVersion { get; }

    /// <summary>status.nodeInfo.containerRuntimeVersion, e.g. containerd://1.7.22.</summary>
    public string ContainerRuntime { get; }

    /// <summary>Taints as key[=value]:Effect.</summary>
    public IReadOnlyList<string> Taints { get; }

    public DateTimeOffset? Created { get; }

    /// <summary>Time since the Node was created.</summary>
    public TimeSpan Age => Created is { } c ? DateTimeOffset.UtcNow - c : TimeSpan.Zero;

    public IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>The kubelet version parsed, or null when it is not a version.</summary>
    public KubeVersion? KubeletKubeVersion => KubeVersion.TryParse(KubeletVersion, out var v) ? v : null;

    /// <summary>Ready, plus SchedulingDisabled when cordoned, as kubectl's STATUS column.</summary>
    public string Status => (Ready ? "Ready" : "NotReady") + (Unschedulable ? ",SchedulingDisabled" : "");

    public override string ToString() => $"{Name} ({string.Join(",", Roles.DefaultIfEmpty("<none>"))}, {Status}, {KubeletVersion})";

    /// <summary>The node-role label prefix kubectl reads roles from.</summary>
    public const string RoleLabelPrefix = "node-role.kubernetes.io/";

    /// <summary>Every control-plane role label any catalog release puts on its control-plane nodes (master and control-plane).</summary>
    public static IReadOnlyList<string> ControlPlaneRoleLabels { get; } = VersionCatalog.Releases
        .SelectMany(r => r.ControlPlaneLabels).Where(l => l.StartsWith(RoleLabelPrefix, StringComparison.Ordinal))
        .Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Reads a Node object of the API. <paramref name="sessionHostName"/> maps the node to a session host name, if one matches.</summary>
    public static KubeNode FromObject(JsonObject node, Func<string, string?, string?, string?>? sessionHostName = null)
    {
        var meta = node["metadata"] as JsonObject ?? new JsonObject();
        string name = (string?)meta["name"] ?? "";
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (meta["labels"] is JsonObject l)
            foreach (var (k, v) in l) labels[k] = v?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string)v! : v?.ToJsonString() ?? "";
        var roles = labels.Keys.Where(k => k.StartsWith(RoleLabelPrefix, StringComparison.Ordinal) && k.Length > RoleLabelPrefix.Length)
            .Select(k => k[RoleLabelPrefix.Length..]).ToList();
        if (labels.TryGetValue("kubernetes.io/role", out var legacyRole) && legacyRole.Length > 0 && !roles.Contains(legacyRole)) roles.Add(legacyRole);
        roles.Sort(StringComparer.Ordinal);
        bool cp = ControlPlaneRoleLabels.Any(labels.ContainsKey);

        var spec = node["spec"] as JsonObject;
        var status = node["status"] as JsonObject;
        bool unschedulable = spec?["unschedulable"] is JsonValue u && u.TryGetValue<bool>(out var ub) && ub;
        var ready = (status?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "Ready");
        bool isReady = (string?)ready?["status"] == "True";
        string reason = (string?)ready?["reason"] ?? "";

        string? internalIP = null, hostAddress = null;
        foreach (var a in (status?["addresses"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            if ((string?)a["type"] == "InternalIP") internalIP ??= (string?)a["address"];
            if ((string?)a["type"] == "Hostname") hostAddress ??= (string?)a["address"];
        }
        var info = status?["nodeInfo"] as JsonObject;
        var taints = new List<string>();
        foreach (var t in (spec?["taints"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            string key = (string?)t["key"] ?? "", value = (string?)t["value"] ?? "", effect = (string?)t["effect"] ?? "";
            taints.Add(key + (value.Length > 0 ? "=" + value : "") + ":" + effect);
        }
        DateTimeOffset? created = DateTimeOffset.TryParse((string?)meta["creationTimestamp"], CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal, out var ct) ? ct : null;
        string host = sessionHostName?.Invoke(name, hostAddress, internalIP) ?? hostAddress ?? name;
        return new KubeNode(name, roles, cp, isReady, reason, unschedulable, (string?)info?["kubeletVersion"] ?? "", internalIP, host,
            (string?)info?["osImage"] ?? "", (string?)info?["kernelVersion"] ?? "", (string?)info?["containerRuntimeVersion"] ?? "", taints, created, labels);
    }

    /// <summary>The host name of a registered session for a node: by node name, then its Hostname address, then its InternalIP.</summary>
    public static string? RegisteredSessionHost(string name, string? hostAddress, string? internalIP)
    {
        foreach (var candidate in new[] { name, hostAddress, internalIP })
            if (!string.IsNullOrEmpty(candidate) && NodeSessionRegistry.Find(candidate) is { } s) return s.HostName;
        return null;
    }
}
