using System.Diagnostics;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Reset;

/// <summary>
/// kubeadm reset on one node, plus what kubeadm leaves to the user: preflight → drain (RemoveFromCluster) →
/// update-cluster-status (a control plane, with the cluster, 1.18–1.21) →
/// remove-etcd-member (local etcd) → cleanup-node → delete-node (RemoveFromCluster). Best effort as kubeadm is: after
/// preflight, a phase that fails is a warning and the next one runs; the result lists what was removed and what not.
/// The whole reset is asked once through ShouldChange.
/// </summary>
public static class ResetWorkflow
{
    public static IReadOnlyList<Phase<ResetContext>> Phases { get; } =
        [new PreflightPhase(), new DrainPhase(), new UpdateClusterStatusPhase(), new RemoveEtcdMemberPhase(), new CleanupNodePhase(), new DeleteNodePhase()];

    /// <summary>Resets the session's node; null when ShouldChange declined.</summary>
    public static async Task<KubeNodeResetResult?> RunAsync(KubeNodeSession session, ResetRequest request, IOperationSink sink, CancellationToken ct)
    {
        request.Validate();
        var watch = Stopwatch.StartNew();
        var c = new ResetContext(session, request);
        string what = "Reset the node: stop the kubelet and remove its Kubernetes files, certificates, etcd data" +
            (request.CleanupCni ? ", CNI configuration and links" : "") + (request.CleanupIptables ? ", iptables rules" : "") +
            (request.CleanupIpvs ? ", IPVS tables" : "") + (request.RemoveFromCluster ? "; drain and delete its Node and etcd member" : "; remove its etcd member");
        if (!await sink.ShouldChangeAsync(session.HostName, what, ct).ConfigureAwait(false)) return null;
        foreach (var phase in Phases)
        {
            ct.ThrowIfCancellationRequested();
            if (!phase.ShouldRun(c)) continue;
            sink.WriteProgress(new ProgressInfo(1, "Resetting " + session.HostName, $"[{phase.Name}] {phase.Summary}"));
            sink.WriteVerbose($"{session.HostName}: [reset/{phase.Name}] {phase.Summary}");
            try
            {
                await phase.RunAsync(c, sink, ct).ConfigureAwait(false);
            }
            catch (KubeException e) when (phase is not PreflightPhase)
            {
                var message = $"[{phase.Name}] {e.Message}" + (e.RecommendedAction is null ? "" : " " + e.RecommendedAction);
                c.Warnings.Add(message);
                sink.WriteWarning($"{session.HostName}: {message}; the reset goes on");
            }
        }
        sink.WriteProgress(new ProgressInfo(1, "Resetting " + session.HostName, "done") { Completed = true });
        return new KubeNodeResetResult(session.HostName, c.NodeName, c.ControlPlane, c.Removed.ToList(), c.Warnings.ToList(), c.NodeDeleted,
            c.EtcdMemberRemoved, watch.Elapsed);
    }
}
