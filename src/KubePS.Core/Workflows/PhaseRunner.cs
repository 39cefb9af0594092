using System.Diagnostics;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows;

/// <summary>
/// Runs a workflow's phases in order for one target (a node), reporting progress as a child of the operation's
/// activity. A failing phase stops the workflow; its KubeException keeps its id and gains the phase and the node in
/// its message (<c>phase certs/apiserver on cp1: ...</c>).
/// </summary>
public static class PhaseRunner
{
    public static async Task<IReadOnlyList<PhaseResult>> RunAsync<TContext>(IReadOnlyList<Phase<TContext>> phases, TContext context, string target,
        PhaseSelection selection, IOperationSink sink, CancellationToken ct, int activityId = 1, int parentActivityId = -1)
    {
        selection.Validate(phases.Select(p => p.Name).ToList());
        var results = new List<PhaseResult>();
        int total = phases.Count, index = 0;
        try
        {
            foreach (var phase in phases)
            {
                ct.ThrowIfCancellationRequested();
                index++;
                if (!selection.Includes(phase.Name))
                {
                    results.Add(new PhaseResult(target, phase.Name, PhaseStatus.Skipped, TimeSpan.Zero, "not selected"));
                    continue;
                }
                if (!phase.ShouldRun(context))
                {
                    results.Add(new PhaseResult(target, phase.Name, PhaseStatus.NotApplicable, TimeSpan.Zero));
                    sink.WriteVerbose($"{target}: [{phase.Name}] does not apply here, skipped");
                    continue;
                }
                sink.WriteProgress(new ProgressInfo(activityId, target, $"[{phase.Name}] {phase.Summary}")
                    { ParentActivityId = parentActivityId, PercentComplete = (index - 1) * 100 / total });
                sink.WriteVerbose($"{target}: [{phase.Name}] {phase.Summary}");
                var watch = Stopwatch.StartNew();
                try
                {
                    await phase.RunAsync(context, sink, ct).ConfigureAwait(false);
                }
                catch (KubeException e) when (!e.Message.StartsWith("phase ", StringComparison.Ordinal))
                {
                    results.Add(new PhaseResult(target, phase.Name, PhaseStatus.Failed, watch.Elapsed, e.Message));
                    throw new KubeException(e.ErrorId, $"phase {phase.Name} on {target}: {e.Message}", e.Category, e.Target ?? target, e.RecommendedAction, e);
                }
                catch (Exception e) when (e is not OperationCanceledException and not KubeException)
                {
                    results.Add(new PhaseResult(target, phase.Name, PhaseStatus.Failed, watch.Elapsed, e.Message));
                    throw new KubeException("Workflow.PhaseFailed", $"phase {phase.Name} on {target}: {e.Message}", KubeErrorCategory.InvalidOperation, target, null, e);
                }
                results.Add(new PhaseResult(target, phase.Name, PhaseStatus.Completed, watch.Elapsed));
            }
        }
        finally
        {
            sink.WriteProgress(new ProgressInfo(activityId, target, "done") { ParentActivityId = parentActivityId, Completed = true });
        }
        return results;
    }
}
