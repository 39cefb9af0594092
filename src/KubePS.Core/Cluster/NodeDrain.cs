using System.Diagnostics;
using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.Operations;

namespace KubePS.Core.Cluster;

/// <summary>How to drain a node; the switches are kubectl drain's.</summary>
public sealed record DrainOptions
{
    /// <summary>How long the evictions may take in all (PodDisruptionBudget refusals are retried within it).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Also delete pods that declare no controller (and pods whose DaemonSet is gone).</summary>
    public bool Force { get; init; }

    /// <summary>Leave DaemonSet-managed pods on the node instead of refusing to drain.</summary>
    public bool IgnoreDaemonSets { get; init; }

    /// <summary>Also evict pods with emptyDir volumes (their data is lost).</summary>
    public bool DeleteEmptyDirData { get; init; }

    /// <summary>The pods' termination grace period for the eviction; null for each pod's own.</summary>
    public int? GracePeriodSeconds { get; init; }

    /// <summary>How long to wait before asking again when a PodDisruptionBudget refuses an eviction (kubectl: 5 s).</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    public void Validate()
    {
        if (Timeout <= TimeSpan.Zero)
            throw new KubeException("Drain.InvalidTimeout", $"The drain timeout {Timeout} is not positive.", KubeErrorCategory.InvalidArgument, Timeout,
                "Give a positive timeout, e.g. -Timeout (New-TimeSpan -Minutes 5).");
        if (GracePeriodSeconds is < 0)
            throw new KubeException("Drain.InvalidGracePeriod", $"The grace period {GracePeriodSeconds} is negative.", KubeErrorCategory.InvalidArgument,
                GracePeriodSeconds, "Give 0 or more seconds.");
        if (RetryInterval <= TimeSpan.Zero)
            throw new KubeException("Drain.InvalidRetryInterval", $"The retry interval {RetryInterval} is not positive: refused evictions would be asked again without a pause.",
                KubeErrorCategory.InvalidArgument, RetryInterval, "Give a positive interval, e.g. 5 seconds as kubectl drain waits.");
    }
}

/// <summary>What a cordon or drain did to one node.</summary>
public sealed class KubeNodeDrainResult
{
    internal KubeNodeDrainResult(string name, string hostName, bool cordoned, bool wasCordoned, IReadOnlyList<string> evicted,
        IReadOnlyList<string> ignored, IReadOnlyList<string> warnings, TimeSpan duration)
    {
        Name = name; HostName = hostName; Cordoned = cordoned; WasCordoned = wasCordoned; Evicted = evicted; Ignored = ignored; Warnings = warnings; Duration = duration;
    }

    /// <summary>The Node's name.</summary>
    public string Name { get; }
    /// <summary>The host name node cmdlets reach it by (see <see cref="KubeNode.HostName"/>).</summary>
    public string HostName { get; }
    /// <summary>The node is unschedulable now.</summary>
    public bool Cordoned { get; }
    /// <summary>It was unschedulable before (nothing had to change).</summary>
    public bool WasCordoned { get; }
    /// <summary>Pods evicted (namespace/name).</summary>
    public IReadOnlyList<string> Evicted { get; }
    /// <summary>Pods left on the node: mirror pods and, with IgnoreDaemonSets, DaemonSet pods (namespace/name).</summary>
    public IReadOnlyList<string> Ignored { get; }
    public IReadOnlyList<string> Warnings { get; }
    public TimeSpan Duration { get; }

    public override string ToString() => $"{Name}: {(Cordoned ? "cordoned" : "schedulable")}, {Evicted.Count} evicted, {Ignored.Count} left";
}

/// <summary>
/// kubectl cordon, uncordon and drain on the API: cordon sets spec.unschedulable; drain then sorts the node's pods as
/// kubectl drain does (mirror pods skipped; DaemonSet pods refused unless ignored; emptyDir pods refused unless their
/// data may go; pods without a controller refused unless forced; finished pods always deletable), refuses to evict
/// anything if any pod is refused, evicts the rest through the eviction API, asks again while a PodDisruptionBudget
/// refuses (429) until the timeout, and waits until each evicted pod is gone.
/// </summary>
public static class NodeDrain
{
    const string MirrorAnnotation = "kubernetes.io/config.mirror";

    /// <summary>Sets spec.unschedulable; returns whether it was already so.</summary>
    public static async Task<bool> SetUnschedulableAsync(KubeApiClient client, string nodeName, bool unschedulable, CancellationToken ct)
    {
        var node = await client.GetAsync(KubeResource.Node, null, nodeName, ct).ConfigureAwait(false)
            ?? throw NodeInventory.NotFound(nodeName, client);
        bool current = node["spec"]?["unschedulable"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        if (current == unschedulable) return true;
        // kubectl cordon patches spec.unschedulable; uncordon sets it false (null removes it, as kubectl's patch does).
        var patch = new JsonObject { ["spec"] = new JsonObject { ["unschedulable"] = unschedulable ? true : null } };
        await client.MergePatchAsync(KubeResource.Node, null, nodeName, patch, ct).ConfigureAwait(false);
        return false;
    }

    /// <summary>One pod of the node and what drain does with it.</summary>
    public sealed record PodDecision(string Namespace, string Name, string Uid, bool Delete, string? Warning, string? Error)
    {
        public string FullName => Namespace + "/" + Name;
    }

    /// <summary>
    /// Sorts pods as kubectl drain's filters do (in its order: deleted-skip, DaemonSet, mirror, local storage,
    /// unreplicated). <paramref name="daemonSetExists"/> says whether a DaemonSet (namespace, name) exists.
    /// </summary>
    public static IReadOnlyList<PodDecision> Classify(IEnumerable<JsonObject> pods, DrainOptions options, Func<string, string, bool> daemonSetExists)
    {
        var list = new List<PodDecision>();
        foreach (var pod in pods)
        {
            var meta = pod["metadata"] as JsonObject ?? new JsonObject();
            string ns = (string?)meta["namespace"] ?? "default", name = (string?)meta["name"] ?? "", uid = (string?)meta["uid"] ?? "";
            string phase = (string?)pod["status"]?["phase"] ?? "";
            bool finished = phase is "Succeeded" or "Failed";
            var controller = (meta["ownerReferences"] as JsonArray)?.OfType<JsonObject>()
                .FirstOrDefault(o => o["controller"] is JsonValue c && c.TryGetValue<bool>(out var isC) && isC);
            PodDecision Decide(bool delete, string? warning = null, string? error = null) => new(ns, name, uid, delete, warning, error);

            PodDecision decision;
            if ((string?)controller?["kind"] == "DaemonSet" && !finished)
            {
                string dsName = (string?)controller["name"] ?? "";
                if (!daemonSetExists(ns, dsName))
                    decision = options.Force
                        ? Decide(true, $"deleting Pods whose DaemonSet {ns}/{dsName} is missing")
                        : Decide(false, error: $"Pods whose DaemonSet is missing ({ns}/{dsName}; use -Force to delete them)");
                else if (!options.IgnoreDaemonSets)
                    decision = Decide(false, error: "DaemonSet-managed Pods (use -IgnoreDaemonSets to ignore)");
                else decision = Decide(false, "ignoring DaemonSet-managed Pods");
            }
            else if (meta["annotations"]?[MirrorAnnotation] is not null)
                decision = Decide(false);
            else if (!finished && (pod["spec"]?["volumes"] as JsonArray)?.OfType<JsonObject>().Any(v => v["emptyDir"] is not null) == true
                     && !options.DeleteEmptyDirData)
                decision = Decide(false, error: "Pods with local storage (use -DeleteEmptyDirData to override)");
            else if (!finished && controller is null)
                decision = options.Force
                    ? Decide(true, "deleting Pods that declare no controller")
                    : Decide(false, error: "Pods that declare no controller (use -Force to override)");
            else if (!finished && (pod["spec"]?["volumes"] as JsonArray)?.OfType<JsonObject>().Any(v => v["emptyDir"] is not null) == true)
                decision = Decide(true, "deleting Pods with local storage");
            else decision = Decide(true);
            list.Add(decision);
        }
        return list;
    }

    /// <summary>
    /// Cordons the node, then (with <paramref name="drain"/>) drains it. A pod that may not go fails the drain before
    /// any eviction (Drain.PodsRefused, listing them all); pods a budget still protects at the timeout fail it with
    /// Drain.Timeout. The node stays cordoned either way, as with kubectl drain. The change is asked through ShouldChange
    /// first; null when declined (-WhatIf).
    /// </summary>
    public static async Task<KubeNodeDrainResult?> SuspendAsync(KubeApiClient client, string nodeName, bool drain, DrainOptions options,
        IOperationSink sink, CancellationToken ct)
    {
        options.Validate();
        var watch = Stopwatch.StartNew();
        var node = await NodeInventory.GetAsync(client, nodeName, ct).ConfigureAwait(false);
        if (!await sink.ShouldChangeAsync(nodeName, drain ? "Cordon and drain (evict its pods)" : "Cordon (mark unschedulable)", ct).ConfigureAwait(false))
            return null;
        bool was = await SetUnschedulableAsync(client, nodeName, true, ct).ConfigureAwait(false);
        sink.WriteVerbose(was ? $"{nodeName}: already cordoned" : $"{nodeName}: cordoned");
        if (!drain) return new KubeNodeDrainResult(nodeName, node.HostName, true, was, [], [], [], watch.Elapsed);

        var pods = await client.ListAsync(KubeResource.Pod, null, fieldSelector: "spec.nodeName=" + nodeName, ct: ct).ConfigureAwait(false);
        var daemonSets = new Dictionary<(string, string), bool>();
        foreach (var pod in pods)
        {
            var owner = (pod["metadata"]?["ownerReferences"] as JsonArray)?.OfType<JsonObject>()
                .FirstOrDefault(o => (string?)o["kind"] == "DaemonSet" && o["controller"] is JsonValue c && c.TryGetValue<bool>(out var isC) && isC);
            if (owner is null) continue;
            var key = ((string?)pod["metadata"]?["namespace"] ?? "default", (string?)owner["name"] ?? "");
            if (!daemonSets.ContainsKey(key))
                daemonSets[key] = await client.GetAsync(KubeResource.DaemonSet, key.Item1, key.Item2, ct).ConfigureAwait(false) is not null;
        }
        var decisions = Classify(pods, options, (ns, n) => daemonSets.TryGetValue((ns, n), out var e) && e);
        var refused = decisions.Where(d => d.Error is not null).GroupBy(d => d.Error!).ToList();
        if (refused.Count > 0)
            throw new KubeException("Drain.PodsRefused",
                $"{nodeName}: cannot drain: " + string.Join("; ", refused.Select(g => $"cannot delete {g.Key}: {string.Join(", ", g.Select(d => d.FullName))}")) +
                ". No pod was evicted; the node stays cordoned.",
                KubeErrorCategory.InvalidOperation, nodeName, "Use the switch the message names, or move those pods yourself, then drain again.");
        var warnings = decisions.Where(d => d.Warning is not null).GroupBy(d => d.Warning!)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(d => d.FullName))}").ToList();
        foreach (var w in warnings) sink.WriteWarning($"{nodeName}: {w}");

        var toEvict = decisions.Where(d => d.Delete).ToList();
        var deadline = DateTime.UtcNow + options.Timeout;
        await Task.WhenAll(toEvict.Select(p => EvictOneAsync(client, nodeName, p, options, deadline, sink, ct))).ConfigureAwait(false);
        var ignored = decisions.Where(d => !d.Delete).Select(d => d.FullName).ToList();
        sink.WriteVerbose($"{nodeName}: drained: {toEvict.Count} pod(s) evicted, {ignored.Count} left on the node");
        return new KubeNodeDrainResult(nodeName, node.HostName, true, was, toEvict.Select(d => d.FullName).ToList(), ignored, warnings, watch.Elapsed);
    }

    static async Task EvictOneAsync(KubeApiClient client, string nodeName, PodDecision pod, DrainOptions options, DateTime deadline,
        IOperationSink sink, CancellationToken ct)
    {
        while (true)
        {
            var outcome = await client.EvictAsync(pod.Namespace, pod.Name, ct, options.GracePeriodSeconds).ConfigureAwait(false);
            if (outcome != KubeApiClient.EvictionOutcome.BlockedByDisruptionBudget) break;
            if (DateTime.UtcNow + options.RetryInterval > deadline)
                throw new KubeException("Drain.Timeout",
                    $"{nodeName}: pod {pod.FullName} could not be evicted within {options.Timeout}: its PodDisruptionBudget still refuses. The node stays cordoned.",
                    KubeErrorCategory.OperationTimeout, pod.FullName,
                    "Scale the workload up or relax its PodDisruptionBudget, then drain again (or give a longer -Timeout).");
            sink.WriteVerbose($"{nodeName}: evicting {pod.FullName}: refused by its PodDisruptionBudget, will retry after {options.RetryInterval.TotalSeconds:0}s");
            await Task.Delay(options.RetryInterval, ct).ConfigureAwait(false);
        }
        sink.WriteVerbose($"{nodeName}: evicted {pod.FullName}");
        // Wait until the pod is gone (or replaced by a new pod of the same name).
        while (true)
        {
            var current = await client.GetAsync(KubeResource.Pod, pod.Namespace, pod.Name, ct).ConfigureAwait(false);
            if (current is null || (string?)current["metadata"]?["uid"] != pod.Uid) return;
            if (DateTime.UtcNow > deadline)
                throw new KubeException("Drain.Timeout", $"{nodeName}: evicted pod {pod.FullName} was still terminating after {options.Timeout}.",
                    KubeErrorCategory.OperationTimeout, pod.FullName, "Check why the pod does not terminate (finalizers, a kubelet that is down), then drain again.");
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
    }

    /// <summary>kubectl uncordon: makes the node schedulable (asked through ShouldChange); returns the node as it is now, or null when declined.</summary>
    public static async Task<KubeNode?> ResumeAsync(KubeApiClient client, string nodeName, IOperationSink sink, CancellationToken ct)
    {
        if (!await sink.ShouldChangeAsync(nodeName, "Uncordon (make schedulable)", ct).ConfigureAwait(false)) return null;
        bool wasSchedulable = await SetUnschedulableAsync(client, nodeName, false, ct).ConfigureAwait(false);
        sink.WriteVerbose(wasSchedulable ? $"{nodeName}: already schedulable" : $"{nodeName}: uncordoned");
        return await NodeInventory.GetAsync(client, nodeName, ct).ConfigureAwait(false);
    }
}
