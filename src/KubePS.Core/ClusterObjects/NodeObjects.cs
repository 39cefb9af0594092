using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KubePS.Core.Versioning;

namespace KubePS.Core.ClusterObjects;

/// <summary>A Node taint: key, optional value, effect (NoSchedule, PreferNoSchedule, NoExecute).</summary>
public sealed partial record NodeTaint(string Key, string? Value, string Effect)
{
    static readonly string[] Effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

    [GeneratedRegex(@"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();

    /// <summary>Parses key:Effect or key=value:Effect, the form kubeadm's catalog and kubectl taint use.</summary>
    public static NodeTaint Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        string head = colon < 0 ? text : text[..colon];
        string effect = colon < 0 ? "" : text[(colon + 1)..];
        int eq = head.IndexOf('=');
        var taint = new NodeTaint(eq < 0 ? head : head[..eq], eq < 0 ? null : head[(eq + 1)..], effect);
        taint.Validate();
        return taint;
    }

    internal void Validate()
    {
        if (Key.Length > 316 || !KeyPattern().IsMatch(Key) || !Effects.Contains(Effect) || (Value is not null && Value.Length > 63))
            throw new KubeException("ClusterObjects.InvalidTaint",
                $"The taint '{this}' is not key[=value]:Effect with a qualified key and effect NoSchedule, PreferNoSchedule or NoExecute.",
                KubeErrorCategory.InvalidArgument, ToString(), "Use a taint such as node-role.kubernetes.io/control-plane:NoSchedule.");
    }

    internal JsonObject ToJson()
    {
        var o = new JsonObject { ["key"] = Key };
        if (!string.IsNullOrEmpty(Value)) o["value"] = Value;
        o["effect"] = Effect;
        return o;
    }

    public override string ToString() => Value is null ? $"{Key}:{Effect}" : $"{Key}={Value}:{Effect}";
}

/// <summary>
/// Node changes kubeadm makes: the mark-control-plane labels and taints (kubeadm-facts.md §5.4,
/// kubeadm-versions.md §2) and the CRI socket annotation (kubeadm-versions.md §3). Rendered as JSON merge patches
/// for <c>KubeApiClient.MergePatchAsync(KubeResource.Node, null, nodeName, patch)</c>.
/// </summary>
public static class NodeObjects
{
    public const string CriSocketAnnotation = "kubeadm.alpha.kubernetes.io/cri-socket";

    /// <summary>The taints mark-control-plane puts on a control-plane node of this version (nodeRegistration.taints default).</summary>
    public static IReadOnlyList<NodeTaint> DefaultControlPlaneTaints(KubeVersion version) =>
        VersionCatalog.Get(version).ControlPlaneTaints.Select(NodeTaint.Parse).ToList();

    /// <summary>The labels (all with value "") mark-control-plane puts on a control-plane node of this version.</summary>
    public static IReadOnlyList<string> ControlPlaneLabels(KubeVersion version) => VersionCatalog.Get(version).ControlPlaneLabels;

    /// <summary>
    /// mark-control-plane as a JSON merge patch for the Node: the version's control-plane labels (value ""), and the
    /// taints — <paramref name="taints"/> (nodeRegistration.taints; null = the version's default, empty = none) added
    /// to the Node's current taints, keeping every existing one, as kubeadm does (a taint counts as present when key
    /// and effect match). A merge patch replaces the whole taint list, so the patch carries the full merged list and
    /// the Node's resourceVersion: a concurrent change makes the server answer 409 Conflict, and the caller gets the
    /// Node again and re-renders. <paramref name="currentNode"/> is the Node as read from the API (null: no taints yet).
    /// </summary>
    public static JsonObject MarkControlPlanePatch(KubeVersion version, JsonObject? currentNode, IReadOnlyList<NodeTaint>? taints = null)
    {
        var release = VersionCatalog.Get(version);
        foreach (var t in taints ?? []) t.Validate();
        var wanted = taints ?? DefaultControlPlaneTaints(version);

        var labels = new JsonObject();
        foreach (var l in release.ControlPlaneLabels) labels[l] = "";
        var metadata = new JsonObject { ["labels"] = labels };
        var patch = new JsonObject { ["metadata"] = metadata };

        var existing = (currentNode?["spec"]?["taints"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var missing = wanted.Where(w => !existing.Any(e => (string?)e["key"] == w.Key && (string?)e["effect"] == w.Effect))
            .DistinctBy(w => (w.Key, w.Effect)).ToList();
        if (missing.Count > 0)
        {
            var list = new JsonArray();
            foreach (var e in existing) list.Add(e.DeepClone());
            foreach (var m in missing) list.Add(m.ToJson());
            patch["spec"] = new JsonObject { ["taints"] = list };
            if (currentNode?["metadata"]?["resourceVersion"] is JsonValue rv)
                metadata["resourceVersion"] = rv.DeepClone();
        }
        return patch;
    }

    /// <summary>
    /// The Node annotation kubeadm.alpha.kubernetes.io/cri-socket (written by upload-config/kubelet on init and by
    /// kubelet-start on join) as a merge patch, or null for versions that keep the socket in
    /// /var/lib/kubelet/instance-config.yaml instead (NodeLocalCRISocket, on by default from 1.34).
    /// </summary>
    public static JsonObject? CriSocketAnnotationPatch(KubeVersion version, string criSocket)
    {
        if (string.IsNullOrWhiteSpace(criSocket) || criSocket.Any(char.IsWhiteSpace))
            throw new KubeException("ClusterObjects.InvalidCriSocket", $"The CRI socket '{criSocket}' is empty or contains spaces.",
                KubeErrorCategory.InvalidArgument, criSocket, "Give the socket as nodeRegistration.criSocket holds it, e.g. unix:///var/run/containerd/containerd.sock.");
        if (!VersionCatalog.Get(version).Has("node.cri-socket-annotation")) return null;
        return new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [CriSocketAnnotation] = criSocket } } };
    }
}
