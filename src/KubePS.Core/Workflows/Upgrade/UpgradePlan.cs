using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.Cluster;
using KubePS.Core.Network;
using KubePS.Core.Versioning;

namespace KubePS.Core.Workflows.Upgrade;

/// <summary>One row of an upgrade plan: a component (on a node, for per-node components), its version now and after.</summary>
public sealed record KubeUpgradeComponent(string Component, string? Node, string Current, string Target)
{
    public bool Changes => !string.Equals(Current.TrimStart('v'), Target.TrimStart('v'), StringComparison.Ordinal);
}

/// <summary>
/// kubeadm upgrade plan for one target: the cluster's version, the target, the catalog's newest patch of the current minor
/// and newest release of the next minor, every component's current and target version, and what blocks the upgrade.
/// </summary>
public sealed class KubeUpgradePlan
{
    internal KubeUpgradePlan(KubeVersion current, KubeVersion target, KubeVersion? latestPatch, KubeVersion? nextMinor,
        IReadOnlyList<KubeUpgradeComponent> components, IReadOnlyList<KubeException> blockers, IReadOnlyList<string> notes)
    {
        CurrentVersion = current; TargetVersion = target; LatestPatch = latestPatch; NextMinor = nextMinor; Components = components;
        BlockerErrors = blockers; Notes = notes;
    }

    public KubeVersion CurrentVersion { get; }
    public KubeVersion TargetVersion { get; }
    /// <summary>The catalog's newest patch of the current minor, or null.</summary>
    public KubeVersion? LatestPatch { get; }
    /// <summary>The catalog's newest release of the next minor, or null when the catalog ends here.</summary>
    public KubeVersion? NextMinor { get; }
    public IReadOnlyList<KubeUpgradeComponent> Components { get; }
    /// <summary>What blocks the upgrade, as messages.</summary>
    public IReadOnlyList<string> Blockers => BlockerErrors.Select(b => $"{b.ErrorId}: {b.Message}").ToList();
    internal IReadOnlyList<KubeException> BlockerErrors { get; }
    /// <summary>What was not checked, or what to do by hand.</summary>
    public IReadOnlyList<string> Notes { get; }
    public bool CanUpgrade => BlockerErrors.Count == 0;

    public override string ToString() => $"{CurrentVersion} -> {TargetVersion}: {(CanUpgrade ? "can upgrade" : Blockers.Count + " blocker(s)")}";
}

/// <summary>What the cluster runs, read from the API: nodes, control-plane mirror pods, kube-proxy, CoreDNS and the API server's version.</summary>
public sealed class ClusterState
{
    public required KubeVersion ApiServerVersion { get; init; }
    public required IReadOnlyList<KubeNode> Nodes { get; init; }
    /// <summary>(component, node) → image tag of the mirror pod labelled component=&lt;name&gt;, tier=control-plane.</summary>
    public required IReadOnlyDictionary<(string Component, string Node), string> StaticPodTags { get; init; }
    public string? KubeProxyTag { get; init; }
    public string? CoreDnsTag { get; init; }

    public IEnumerable<KubeNode> ControlPlanes => Nodes.Where(n => n.IsControlPlane);

    /// <summary>Reads the cluster's state in four list calls.</summary>
    public static async Task<ClusterState> ReadAsync(KubeApiClient api, CancellationToken ct)
    {
        var version = await NetworkPluginInstaller.ServerVersionAsync(api, ct).ConfigureAwait(false);
        var nodes = await NodeInventory.ListAsync(api, null, ct).ConfigureAwait(false);
        var pods = await api.ListAsync(KubeResource.Pod, "kube-system", labelSelector: "tier=control-plane", ct: ct).ConfigureAwait(false);
        var tags = new Dictionary<(string, string), string>();
        foreach (var p in pods)
        {
            var component = (string?)p["metadata"]?["labels"]?["component"];
            var node = (string?)p["spec"]?["nodeName"];
            var image = (string?)p["spec"]?["containers"]?[0]?["image"];
            if (component is null || node is null || image is null) continue;
            tags[(component, node)] = Tag(image);
        }
        var proxy = await api.GetAsync(KubeResource.DaemonSet, "kube-system", "kube-proxy", ct).ConfigureAwait(false);
        var dns = await api.GetAsync(KubeResource.Deployment, "kube-system", "coredns", ct).ConfigureAwait(false);
        return new ClusterState
        {
            ApiServerVersion = version, Nodes = nodes, StaticPodTags = tags,
            KubeProxyTag = FirstImageTag(proxy), CoreDnsTag = FirstImageTag(dns),
        };
    }

    static string? FirstImageTag(JsonObject? workload) =>
        (string?)workload?["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"] is { } image ? Tag(image) : null;

    internal static string Tag(string image)
    {
        var at = image.IndexOf('@');
        if (at >= 0) image = image[..at];
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? image[(colon + 1)..] : "latest";
    }
}

/// <summary>kubeadm upgrade plan, and the checks Update-KubeCluster makes before it touches anything.</summary>
public static class UpgradePlanner
{
    static readonly string[] ControlPlaneComponents = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];

    /// <summary>
    /// The plans: for <paramref name="target"/> when given, else for each target the catalog offers (the newest patch of
    /// the current minor and the newest release of the next minor, as kubeadm upgrade plan shows them).
    /// <paramref name="expiredCertificates"/> are blockers found by the caller (certificates read over sessions).
    /// </summary>
    public static IReadOnlyList<KubeUpgradePlan> Plan(ClusterState state, KubeVersion? target, IReadOnlyList<KubeException>? expiredCertificates = null,
        IReadOnlyList<string>? notes = null)
    {
        var current = state.ApiServerVersion;
        var offered = SkewPolicy.UpgradeTargets(current);
        var latestPatch = offered.FirstOrDefault(v => v.SameMinor(current));
        var nextMinor = offered.FirstOrDefault(v => !v.SameMinor(current));
        var targets = target is not null ? [target] : offered.Where(v => v.CompareTo(current) > 0).ToList();
        return targets.Select(t => PlanFor(state, t, latestPatch, nextMinor, expiredCertificates ?? [], notes ?? [])).ToList();
    }

    static KubeUpgradePlan PlanFor(ClusterState state, KubeVersion target, KubeVersion? latestPatch, KubeVersion? nextMinor,
        IReadOnlyList<KubeException> certificateBlockers, IReadOnlyList<string> notes)
    {
        var blockers = new List<KubeException>();
        var kubelets = state.Nodes.Select(n => n.KubeletKubeVersion).OfType<KubeVersion>().ToList();
        blockers.AddRange(SkewPolicy.CheckUpgrade(state.ApiServerVersion, target, kubelets.Select(k => k.MinorVersion)));
        var exact = target.IsExact ? target : VersionCatalog.TryGet(target, out _) ? VersionCatalog.Resolve(target) : target;
        foreach (var n in state.Nodes.Where(n => !n.Ready))
            blockers.Add(new KubeException(n.IsControlPlane ? "Upgrade.ControlPlaneNotReady" : "Upgrade.NodeNotReady",
                $"Node {n.Name} ({(n.IsControlPlane ? "control plane" : "worker")}) is NotReady ({n.ReadyReason}); the upgrade waits for every node to be Ready.",
                KubeErrorCategory.ResourceUnavailable, n.Name, $"Bring {n.Name} back (kubelet, network), or remove it from the cluster, then plan again."));
        if (!state.ControlPlanes.Any())
            blockers.Add(new KubeException("Upgrade.NoControlPlane", "The cluster has no node labelled as a control plane (node-role.kubernetes.io/control-plane or master).",
                KubeErrorCategory.ObjectNotFound, null, "Label the control-plane nodes as kubeadm does (mark-control-plane)."));
        blockers.AddRange(certificateBlockers);

        var components = new List<KubeUpgradeComponent>();
        string t = exact.ToString();
        foreach (var cp in state.ControlPlanes)
            foreach (var c in ControlPlaneComponents)
                if (state.StaticPodTags.TryGetValue((c, cp.Name), out var tag)) components.Add(new(c, cp.Name, tag, t));
        if (state.KubeProxyTag is { } proxy) components.Add(new("kube-proxy", null, proxy, t));
        if (VersionCatalog.TryGet(exact, out var row) && exact.Patch is int patch)
        {
            if (state.CoreDnsTag is { } dns) components.Add(new("CoreDNS", null, dns, row.CoreDnsVersion(patch)));
            foreach (var cp in state.ControlPlanes)
                if (state.StaticPodTags.TryGetValue(("etcd", cp.Name), out var etcd))
                    components.Add(new("etcd", cp.Name, etcd, NewerEtcd(etcd, row.EtcdVersion(patch))));
        }
        foreach (var n in state.Nodes) components.Add(new("kubelet", n.Name, n.KubeletVersion, t));
        return new KubeUpgradePlan(state.ApiServerVersion, exact, latestPatch, nextMinor, components, blockers, notes);
    }

    /// <summary>kubeadm never downgrades etcd: the target tag unless the current one is newer.</summary>
    internal static string NewerEtcd(string current, string target)
    {
        static Version? V(string tag) => Version.TryParse(tag.TrimStart('v').Split('-')[0], out var v) ? v : null;
        return V(current) is { } c && V(target) is { } t && c > t ? current : target;
    }

    /// <summary>Throws every blocker of the plan (Update-KubeCluster's check before anything is touched).</summary>
    public static void EnsureCanUpgrade(KubeUpgradePlan plan) => SkewPolicy.Throw(plan.BlockerErrors);
}
