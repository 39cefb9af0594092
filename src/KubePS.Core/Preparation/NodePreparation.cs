using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Preflight;

namespace KubePS.Core.Preparation;

/// <summary>What Invoke-KubePreflight -Fix did on one node: the preflight before, what the fix changed, and the preflight after.</summary>
public sealed record PreflightFixOutcome(KubePreflightReport Before, IReadOnlyList<KubePreparationResult> Fixes, KubePreflightReport After);

/// <summary>
/// The per-node operations the cmdlets run: gather the node's facts (cached in the session), render a plan from them,
/// apply it. One call per node; a fleet runner calls them for many nodes in parallel.
/// </summary>
public static class NodePreparation
{
    /// <summary>Renders a plan from the node's facts and applies it.</summary>
    public static async Task<IReadOnlyList<KubePreparationResult>> ApplyAsync(KubeNodeSession session, Func<NodeFacts, NodePlan> render,
        IOperationSink sink, CancellationToken cancellationToken)
    {
        var facts = await NodeProbe.GetFactsAsync(session, null, refresh: false, cancellationToken).ConfigureAwait(false);
        var plan = render(facts);
        sink.WriteVerbose($"{session.HostName}: {plan.Name}: {plan.Steps.Count} step(s): {string.Join(", ", plan.Steps.Select(s => s.Id))}");
        return await NodePlanApplier.ApplyAsync(session, plan, sink, cancellationToken).ConfigureAwait(false);
    }

    public static Task<IReadOnlyList<KubePreparationResult>> InstallPrerequisitesAsync(KubeNodeSession session, NodePrerequisiteOptions options,
        IOperationSink sink, CancellationToken cancellationToken) =>
        ApplyAsync(session, f => NodePrerequisites.Render(f, options), sink, cancellationToken);

    public static Task<IReadOnlyList<KubePreparationResult>> InstallContainerRuntimeAsync(KubeNodeSession session, ContainerRuntimeOptions options,
        IOperationSink sink, CancellationToken cancellationToken) =>
        ApplyAsync(session, f => ContainerRuntime.Render(f, options), sink, cancellationToken);

    /// <summary>Installs the Kubernetes packages; <paramref name="options"/> may depend on the node (e.g. .deb or .rpm files).</summary>
    public static Task<IReadOnlyList<KubePreparationResult>> InstallPackagesAsync(KubeNodeSession session, Func<NodeFacts, KubePackageOptions> options,
        IOperationSink sink, CancellationToken cancellationToken) =>
        ApplyAsync(session, f => KubePackages.Render(f, options(f)), sink, cancellationToken);

    public static Task<IReadOnlyList<KubePreparationResult>> PullImagesAsync(KubeNodeSession session, ImagePullOptions options,
        IOperationSink sink, CancellationToken cancellationToken) =>
        ApplyAsync(session, f => ImagePull.Render(f, options), sink, cancellationToken);

    /// <summary>
    /// Preflight, then the fix plan for what failed (each step asked through ShouldChange), then preflight again on fresh
    /// facts. When nothing can be fixed automatically, the second preflight is the first one.
    /// </summary>
    public static async Task<PreflightFixOutcome> PreflightAndFixAsync(KubeNodeSession session, KubePreflightRequest request,
        NodePrerequisiteOptions fixOptions, IOperationSink sink, CancellationToken cancellationToken)
    {
        var before = await PreflightRunner.RunAsync(session, request, sink, cancellationToken).ConfigureAwait(false);
        var plan = PreflightFix.Plan(before, session.Facts!, fixOptions);
        if (plan is null) return new PreflightFixOutcome(before, [], before);
        var fixes = await NodePlanApplier.ApplyAsync(session, plan, sink, cancellationToken).ConfigureAwait(false);
        if (!fixes.Any(f => f.Changed)) return new PreflightFixOutcome(before, fixes, before);
        var after = await PreflightRunner.RunAsync(session, request, sink, cancellationToken, refreshFacts: true).ConfigureAwait(false);
        return new PreflightFixOutcome(before, fixes, after);
    }
}
