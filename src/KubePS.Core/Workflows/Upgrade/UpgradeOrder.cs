using KubePS.Core.Cluster;
using KubePS.Core.Versioning;

namespace KubePS.Core.Workflows.Upgrade;

/// <summary>
/// Which nodes an upgrade touches and in which order, decided from the cluster's state before anything changes: the
/// control planes by name (the first one not yet at the version does upgrade apply), then the selected workers by name
/// in batches of MaxUnavailable. Everything that would make the upgrade refuse is thrown here.
/// </summary>
public sealed class UpgradeOrder
{
    UpgradeOrder(KubeVersion target, IReadOnlyList<KubeNode> controlPlanes, IReadOnlyList<KubeNode> selectedControlPlanes,
        IReadOnlyList<KubeNode> workers, int batchSize, bool applied)
    {
        Target = target; ControlPlanes = controlPlanes; SelectedControlPlanes = selectedControlPlanes; Workers = workers;
        BatchSize = batchSize; Applied = applied;
    }

    /// <summary>The exact version the cluster goes to.</summary>
    public KubeVersion Target { get; }
    /// <summary>Every control-plane node of the cluster, by name.</summary>
    public IReadOnlyList<KubeNode> ControlPlanes { get; }
    /// <summary>The control-plane nodes this upgrade works on, by name (all of them when no node was named).</summary>
    public IReadOnlyList<KubeNode> SelectedControlPlanes { get; }
    /// <summary>The worker nodes this upgrade works on, by name.</summary>
    public IReadOnlyList<KubeNode> Workers { get; }
    /// <summary>Workers upgraded at the same time.</summary>
    public int BatchSize { get; }
    /// <summary>Whether upgrade apply has been done already (some control plane is at the version, or none is behind).</summary>
    public bool Applied { get; }

    /// <summary>The workers in the batches they are upgraded in.</summary>
    public IEnumerable<KubeNode[]> WorkerBatches => Workers.Chunk(BatchSize);

    /// <summary>
    /// The order for <paramref name="request"/> on a cluster in <paramref name="state"/>. Throws the plan's blockers
    /// (skew policy, NotReady nodes, unknown version), Upgrade.NodeNotFound for a named node the cluster lacks, and
    /// Upgrade.ControlPlaneFirst when workers would go ahead of a control plane that is not at the version.
    /// </summary>
    public static UpgradeOrder Of(ClusterState state, UpgradeRequest request)
    {
        request.Validate();
        var plan = UpgradePlanner.Plan(state, request.Version).Single();
        UpgradePlanner.EnsureCanUpgrade(plan);
        var target = plan.TargetVersion;
        foreach (var name in request.Nodes)
            if (state.Nodes.All(n => n.Name != name))
                throw new KubeException("Upgrade.NodeNotFound", $"The cluster has no node '{name}'; its nodes: {string.Join(", ", state.Nodes.Select(n => n.Name))}.",
                    KubeErrorCategory.ObjectNotFound, name, "Pipe the nodes from Get-KubeNode.");
        var selected = request.Nodes.Count == 0 ? state.Nodes : state.Nodes.Where(n => request.Nodes.Contains(n.Name)).ToList();
        var controlPlanes = state.ControlPlanes.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        var workers = selected.Where(n => !n.IsControlPlane).OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        var pending = controlPlanes.Where(cp => !AtTarget(state, cp, target)).ToList();
        var skipped = pending.Where(cp => !selected.Contains(cp)).ToList();
        if (skipped.Count > 0 && workers.Count > 0)
            throw new KubeException("Upgrade.ControlPlaneFirst",
                $"The workers cannot go to {target} while control-plane node(s) {string.Join(", ", skipped.Select(c => c.Name))} are not upgraded: a kubelet must never be newer than the API server.",
                KubeErrorCategory.InvalidOperation, skipped[0].Name, "Include the control-plane nodes (Get-KubeNode | Update-KubeCluster), or upgrade them first.");
        int size = request.BatchSize(Math.Max(1, workers.Count));
        bool applied = pending.Count == 0 || controlPlanes.Any(cp => AtTarget(state, cp, target));
        return new UpgradeOrder(target, controlPlanes, controlPlanes.Where(selected.Contains).ToList(), workers, size, applied);
    }

    /// <summary>A node is done when its kubelet and (control plane) its static pods run the target version.</summary>
    public static bool AtTarget(ClusterState state, KubeNode n, KubeVersion target)
    {
        if (n.KubeletKubeVersion is not { } k || k.CompareTo(target) != 0) return false;
        if (!n.IsControlPlane) return true;
        return new[] { "kube-apiserver", "kube-controller-manager", "kube-scheduler" }
            .All(c => state.StaticPodTags.TryGetValue((c, n.Name), out var tag) && tag == target.ToString());
    }
}
