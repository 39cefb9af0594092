using System.Diagnostics;
using KubePS.Core.Cluster;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Workflows.Init;

namespace KubePS.Core.Workflows.Join;

/// <summary>
/// kubeadm join as an ordered list of phases, named as kubeadm names them, for any number of nodes: the request is
/// checked, the cluster discovered and its configuration (and, for a control plane, the uploaded certificates) read
/// once, before any node is touched; then control-plane nodes join one at a time (each new etcd member must be up
/// before the next is added, so that etcd keeps its quorum) and workers in parallel up to the throttle limit. A node
/// that fails is that node's error (a non-terminating error for the cmdlet) while the others go on; after a failed
/// control plane the remaining control planes are not joined. Every phase renders first and changes only what
/// differs, so joining a node again that is a member already changes nothing, and a join that stopped half-way
/// (a cut link) completes when run again.
/// </summary>
public static class JoinWorkflow
{
    /// <summary>The phases in kubeadm's order (control-plane phases do nothing on a worker).</summary>
    public static IReadOnlyList<Phase<JoinContext>> Phases { get; } =
    [
        new JoinPreflightPhase(),
        new DownloadCertsPhase(),
        new PrepareCertsPhase(),
        new PrepareKubeConfigPhase(),
        new PrepareControlPlanePhase(),
        new JoinKubeletStartPhase(),
        new EtcdJoinPhase(),
        new UpdateStatusPhase(),
        new ControlPlaneOnlyPhase("wait-control-plane", new WaitControlPlanePhase<JoinContext>()),
        new ControlPlaneOnlyPhase("control-plane-join/mark-control-plane", new MarkControlPlanePhase<JoinContext>()),
        new WaitNodeReadyPhase(),
    ];

    public static IReadOnlyList<string> PhaseNames { get; } = Phases.Select(p => p.Name).ToList();

    static int _activityIds = 20000;

    /// <summary>
    /// Joins every session's node. Each node's result is written to <paramref name="sink"/> as soon as it is known and
    /// returned; a node's failure is written as an error for that node. Bad input, a failed discovery, a wrong or expired
    /// certificate key throw before any node is touched.
    /// </summary>
    public static async Task<IReadOnlyList<KubeJoinResult>> RunAsync(IReadOnlyList<KubeNodeSession> sessions, JoinRequest request, IOperationSink sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(request);
        if (sessions.Count == 0)
            throw new KubeException("Join.SessionRequired", "Join-KubeNode needs at least one node session.", KubeErrorCategory.InvalidArgument, null,
                "Pipe sessions from New-KubeNodeSession or Get-KubeNodeSession, or give -Session.");
        var duplicate = sessions.GroupBy(s => s.HostName, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new KubeException("Join.DuplicateNode", $"The node {duplicate.Key} is given {duplicate.Count()} times.", KubeErrorCategory.InvalidArgument, duplicate.Key,
                "Give each node once.");
        request.Validate(sessions.Count);
        var nodes = request.DryRunPath is { } path
            ? sessions.Select(s => new KubeNodeSession(s.HostName, NodeTransportKind.DryRun, new DryRunTransport(s.HostName, path))).ToList()
            : sessions.ToList();

        using var cluster = await JoinCluster.PrepareAsync(request, sink, ct).ConfigureAwait(false);
        sink.WriteVerbose($"join: {nodes.Count} node(s) as {(request.AsControlPlane ? "control planes, one at a time" : $"workers, up to {request.ThrottleLimit} at a time")}; " +
                          $"API server {cluster.Discovered.Server}, Kubernetes {cluster.Configuration.KubernetesVersion}");
        var results = new List<KubeJoinResult>();
        if (request.AsControlPlane)
        {
            KubeNodeSession? failed = null;
            foreach (var node in nodes)
            {
                if (failed is not null)
                {
                    sink.WriteError(new KubeException("Join.StoppedAfterFailure",
                        $"{node.HostName} was not joined: the control plane {failed.HostName} before it failed, and control planes join one at a time so that etcd keeps its quorum.",
                        KubeErrorCategory.OperationStopped, node, $"Fix {failed.HostName} (or reset it) and run the join again."));
                    continue;
                }
                try
                {
                    var result = await JoinNodeAsync(node, request, cluster, sink, ct).ConfigureAwait(false);
                    results.Add(result);
                    sink.WriteObject(result);
                }
                catch (KubeException e)
                {
                    failed = node;
                    sink.WriteError(ReferenceEquals(e.Target, node) ? e : new KubeException(e.ErrorId, e.Message, e.Category, node, e.RecommendedAction, e));
                }
            }
            return results;
        }
        var fleet = await NodeFleet.RunAsync(nodes, "Join-KubeNode", async (node, token) =>
        {
            var result = await JoinNodeAsync(node, request, cluster, sink, token).ConfigureAwait(false);
            sink.WriteObject(result);
            return result;
        }, sink, request.ThrottleLimit, ct).ConfigureAwait(false);
        return fleet.Where(r => r.Succeeded).Select(r => r.Value!).ToList();
    }

    /// <summary>Joins one node with a cluster already prepared.</summary>
    public static async Task<KubeJoinResult> JoinNodeAsync(KubeNodeSession node, JoinRequest request, JoinCluster cluster, IOperationSink sink, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        using var c = new JoinContext(node, request, cluster, sink);
        await c.PrepareAsync(ct).ConfigureAwait(false);
        c.CheckMembership();
        sink.WriteVerbose($"{node.HostName}: kubeadm join as {(c.IsControlPlane ? "control plane" : "worker")} {c.NodeName}" +
                          (c.WasMember ? " (a member of this cluster already)" : "") + (node.Kind == NodeTransportKind.DryRun ? $", dry run into {node.DryRunDirectory}" : ""));
        int activity = Interlocked.Increment(ref _activityIds);
        var phases = await PhaseRunner.RunAsync(Phases, c, node.HostName, request.Selection, sink, ct, activityId: activity).ConfigureAwait(false);
        var changes = c.Changes.All;
        var status = node.Kind == NodeTransportKind.DryRun ? JoinStatus.DryRun
            : changes.Any(x => !x.Applied) ? JoinStatus.NotMade
            : c.WasMember && !changes.Any(x => x.Applied) ? JoinStatus.AlreadyMember
            : JoinStatus.Joined;
        return new KubeJoinResult
        {
            HostName = node.HostName,
            Name = c.NodeName,
            Role = c.IsControlPlane ? "ControlPlane" : "Worker",
            Status = status,
            Node = c.ReadyNode is { } n ? KubeNode.FromObject(n, KubeNode.RegisteredSessionHost) : null,
            ApiServer = cluster.Discovered.Server,
            Duration = watch.Elapsed,
            BootstrapWait = c.BootstrapWait,
            ReadyWait = c.ReadyWait,
            Phases = phases.Select(r => new KubeControlPlane.PhaseOutcome(r.Phase, r.Status, r.Duration,
                changes.Count(ch => ch.Phase == r.Phase && ch.Applied), r.Message)).ToList(),
            Changes = changes,
            RoundTrips = c.Node.RoundTrips,
        };
    }
}
