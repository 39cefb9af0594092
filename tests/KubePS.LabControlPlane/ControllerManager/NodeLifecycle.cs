using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ControllerManager;

/// <summary>
/// nodelifecycle: a node whose kubelet stopped heartbeating (Lease renewTime and Ready lastHeartbeatTime both older
/// than --node-monitor-grace-period) gets its conditions set to Unknown ("Kubelet stopped posting node status.") and
/// the node.kubernetes.io/unreachable taints; a NotReady node gets node.kubernetes.io/not-ready. Taints go when the
/// node is Ready again.
/// </summary>
public sealed class NodeLifecycle(TimeSpan grace, TimeSpan startupGrace)
{
    const string Unreachable = "node.kubernetes.io/unreachable";
    const string NotReady = "node.kubernetes.io/not-ready";

    public async Task Monitor(KubeClient read, KubeClient client, CancellationToken ct)
    {
        var nodes = await read.List("/api/v1/nodes", ct);
        var leases = (await read.List("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", ct))
            .ToDictionary(l => l.Str("metadata", "name") ?? "", l => l);
        foreach (var node in nodes)
        {
            var name = node.Str("metadata", "name")!;
            var ready = node.Arr("status", "conditions").OfType<JsonObject>().FirstOrDefault(c => c.Str("type") == "Ready");
            var beat = new[]
            {
                ready.Time("lastHeartbeatTime"),
                leases.TryGetValue(name, out var l) ? l.Time("spec", "renewTime") : null,
            }.Where(t => t is not null).Select(t => t!.Value).DefaultIfEmpty(DateTime.MinValue).Max();
            var created = node.Time("metadata", "creationTimestamp") ?? DateTime.UtcNow;
            bool stale = beat == DateTime.MinValue ? DateTime.UtcNow - created > startupGrace : DateTime.UtcNow - beat > grace;
            if (stale && ready.Str("status") != "Unknown") await MarkUnknown(client, node, ready is null, ct);
            await ReconcileTaints(client, node, ct);
        }
    }

    static async Task MarkUnknown(KubeClient client, JsonObject node, bool neverReported, CancellationToken ct)
    {
        var name = node.Str("metadata", "name")!;
        var now = J.Now();
        var conds = node.Arr("status", "conditions").OfType<JsonObject>().Select(c => (JsonObject)c.DeepClone()).ToList();
        if (neverReported)
            conds.Add(new JsonObject { ["type"] = "Ready" });
        foreach (var c in conds.Where(c => c.Str("type") is "Ready" or "MemoryPressure" or "DiskPressure" or "PIDPressure"))
        {
            c["status"] = "Unknown";
            c["reason"] = neverReported ? "NodeStatusNeverUpdated" : "NodeStatusUnknown";
            c["message"] = neverReported ? "Kubelet never posted node status." : "Kubelet stopped posting node status.";
            c["lastTransitionTime"] = now;
            c["lastHeartbeatTime"] ??= now;
        }
        await client.Call(HttpMethod.Patch, $"/api/v1/nodes/{name}/status",
            new JsonObject { ["status"] = new JsonObject { ["conditions"] = J.ToArray(conds) } }, "application/strategic-merge-patch+json", ct);
        Log.Info($"nodelifecycle: node {name} stopped posting status: Ready=Unknown");
    }

    static async Task ReconcileTaints(KubeClient client, JsonObject node, CancellationToken ct)
    {
        var name = node.Str("metadata", "name")!;
        var fresh = await client.Get($"/api/v1/nodes/{name}", ct);
        if (fresh is null) return;
        var status = fresh.Arr("status", "conditions").FirstOrDefault(c => c.Str("type") == "Ready").Str("status");
        string? want = status switch { "Unknown" => Unreachable, "False" => NotReady, null => null, _ => null };
        var taints = fresh.Arr("spec", "taints").OfType<JsonObject>().Select(t => (JsonObject)t.DeepClone()).ToList();
        var kept = taints.Where(t => t.Str("key") is not (Unreachable or NotReady) || t.Str("key") == want).ToList();
        foreach (var effect in new[] { "NoSchedule", "NoExecute" })
            if (want is not null && !kept.Any(t => t.Str("key") == want && t.Str("effect") == effect))
            {
                var t = new JsonObject { ["key"] = want, ["effect"] = effect };
                if (effect == "NoExecute") t["timeAdded"] = J.Now();
                kept.Add(t);
            }
        if (kept.Count == taints.Count && kept.All(k => taints.Any(t => J.Same(t, k)))) return;
        await client.Call(HttpMethod.Patch, $"/api/v1/nodes/{name}",
            new JsonObject
            {
                ["metadata"] = new JsonObject { ["resourceVersion"] = fresh.Str("metadata", "resourceVersion") },
                ["spec"] = new JsonObject { ["taints"] = kept.Count == 0 ? null : J.ToArray(kept) },
            }, "application/merge-patch+json", ct);
    }
}
