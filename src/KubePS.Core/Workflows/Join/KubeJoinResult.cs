using KubePS.Core.Cluster;

namespace KubePS.Core.Workflows.Join;

/// <summary>What a join came to on one node.</summary>
public enum JoinStatus
{
    /// <summary>The node joined (or a join that had stopped half-way was completed).</summary>
    Joined,
    /// <summary>The node was a member of this cluster already; nothing was changed.</summary>
    AlreadyMember,
    /// <summary>A dry run: files were recorded under the output folder, nothing changed on the node.</summary>
    DryRun,
    /// <summary>-WhatIf or a declined -Confirm: the changes were described, not made.</summary>
    NotMade,
}

/// <summary>
/// The result of Join-KubeNode for one node: the node (its session's HostName, which node cmdlets bind to, and its
/// Node name), the role it joined as, what happened, the Node as the cluster shows it once Ready, and how long the
/// join and its waits took (the TLS bootstrap and the wait for Ready are reported apart). Holds no secret.
/// </summary>
public sealed class KubeJoinResult
{
    internal KubeJoinResult() { }

    /// <summary>The session's host name (binds by name to the node cmdlets).</summary>
    public string HostName { get; internal init; } = "";

    /// <summary>The Node's name in the cluster.</summary>
    public string Name { get; internal init; } = "";

    /// <summary>ControlPlane or Worker.</summary>
    public string Role { get; internal init; } = "";

    public JoinStatus Status { get; internal init; }

    /// <summary>The Node's Ready condition was seen True.</summary>
    public bool Ready => Node?.Ready ?? false;

    /// <summary>The Node as the cluster shows it once Ready (null in a dry run, under -WhatIf, or when the wait was skipped).</summary>
    public KubeNode? Node { get; internal init; }

    /// <summary>The API server the node talks to (the discovered control-plane endpoint).</summary>
    public string ApiServer { get; internal init; } = "";

    /// <summary>The whole join of this node, waits included.</summary>
    public TimeSpan Duration { get; internal init; }

    /// <summary>From the kubelet's (re)start to its kubelet.conf and healthz: the TLS bootstrap.</summary>
    public TimeSpan BootstrapWait { get; internal init; }

    /// <summary>From the TLS bootstrap to the Node being Ready.</summary>
    public TimeSpan ReadyWait { get; internal init; }

    /// <summary>What each phase did.</summary>
    public IReadOnlyList<KubeControlPlane.PhaseOutcome> Phases { get; internal init; } = [];

    /// <summary>Every change made (or, with -WhatIf, described and not made).</summary>
    public IReadOnlyList<WorkflowChange> Changes { get; internal init; } = [];

    public int ChangeCount => Changes.Count(c => c.Applied);

    /// <summary>Node round trips per phase.</summary>
    public IReadOnlyDictionary<string, int> RoundTrips { get; internal init; } = new Dictionary<string, int>();

    public override string ToString() => $"{Name} ({Role}) on {HostName}: {Status}{(Ready ? ", Ready" : "")}";
}
