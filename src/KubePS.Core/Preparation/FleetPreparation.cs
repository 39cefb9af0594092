using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Preflight;

namespace KubePS.Core.Preparation;

/// <summary>What Invoke-KubePreflight found on one node: the report it returns and, with -Fix, what the fix changed.</summary>
public sealed record NodePreflightOutcome(KubeNodeSession Session, KubePreflightReport Report, IReadOnlyList<KubePreparationResult> Fixes)
{
    public string HostName => Session.HostName;
}

/// <summary>
/// The fleet operations behind the node cmdlets (Get-KubeNodeInfo, Invoke-KubePreflight, Install-KubeNodePrerequisite,
/// Install-KubeContainerRuntime, Install-KubePackage, Save-KubeImage): the per-node operations of
/// <see cref="NodePreparation"/> run on every session in parallel up to a throttle limit with <see cref="NodeFleet"/>.
/// Each node's results are written to the sink as soon as that node is done; a node that fails is a non-terminating
/// error for that node (its session as target) and the others go on. Options are validated before any node is touched.
/// </summary>
public static class FleetPreparation
{
    /// <summary>The sessions once each (a session piped twice runs once), in the order given.</summary>
    static IReadOnlyList<KubeNodeSession> Distinct(IEnumerable<KubeNodeSession> sessions)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        return sessions.Where(s => s is not null).Distinct(ReferenceEqualityComparer.Instance).Cast<KubeNodeSession>().ToList();
    }

    /// <summary>Get-KubeNodeInfo: each node's facts (cached in the session unless <paramref name="refresh"/>), written as they arrive.</summary>
    public static async Task<IReadOnlyList<NodeFacts>> GetFactsAsync(IEnumerable<KubeNodeSession> sessions, bool refresh, IOperationSink sink,
        int throttleLimit = NodeFleet.DefaultThrottleLimit, CancellationToken cancellationToken = default)
    {
        var results = await NodeFleet.RunAsync(Distinct(sessions), "Gathering node facts", async (s, ct) =>
        {
            var facts = await NodeProbe.GetFactsAsync(s, null, refresh, ct).ConfigureAwait(false);
            sink.WriteObject(facts);
            return facts;
        }, sink, throttleLimit, cancellationToken).ConfigureAwait(false);
        return results.Where(r => r.Succeeded).Select(r => r.Value!).ToList();
    }

    /// <summary>
    /// Invoke-KubePreflight: kubeadm's checks on every node from one probe each. With <paramref name="fix"/>, each node's
    /// failed checks that have a safe remedy are fixed (every step asked through ShouldChange) and the node is checked
    /// again. Each node's fix results, then its check results are written to the sink; a node with errors that are not
    /// ignored gets the non-terminating error Preflight.Failed. Outcomes come back for the nodes that could be checked.
    /// </summary>
    public static async Task<IReadOnlyList<NodePreflightOutcome>> PreflightAsync(IEnumerable<KubeNodeSession> sessions, KubePreflightRequest request,
        IOperationSink sink, bool refresh = false, NodePrerequisiteOptions? fix = null,
        int throttleLimit = NodeFleet.DefaultThrottleLimit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        if (fix is not null) NodePrerequisites.Validate(fix);
        var results = await NodeFleet.RunAsync(Distinct(sessions), fix is null ? "Preflight" : "Preflight with fixes", async (s, ct) =>
        {
            KubePreflightReport report;
            IReadOnlyList<KubePreparationResult> fixes = [];
            if (fix is not null)
            {
                if (refresh) s.Facts = null;
                var outcome = await NodePreparation.PreflightAndFixAsync(s, request, fix, sink, ct).ConfigureAwait(false);
                fixes = outcome.Fixes;
                report = outcome.After;
            }
            else
            {
                report = await PreflightRunner.RunAsync(s, request, sink, ct, refresh).ConfigureAwait(false);
            }
            foreach (var f in fixes) sink.WriteObject(f);
            foreach (var r in report.Results) sink.WriteObject(r);
            if (!report.Passed)
            {
                var e = report.ToException();
                sink.WriteError(new KubeException(e.ErrorId, e.Message, e.Category, s, e.RecommendedAction));
            }
            return new NodePreflightOutcome(s, report, fixes);
        }, sink, throttleLimit, cancellationToken).ConfigureAwait(false);
        return results.Where(r => r.Succeeded).Select(r => r.Value!).ToList();
    }

    /// <summary>Install-KubeNodePrerequisite on every node.</summary>
    public static Task<IReadOnlyList<KubePreparationResult>> InstallPrerequisitesAsync(IEnumerable<KubeNodeSession> sessions, NodePrerequisiteOptions options,
        IOperationSink sink, int throttleLimit = NodeFleet.DefaultThrottleLimit, CancellationToken cancellationToken = default)
    {
        NodePrerequisites.Validate(options);
        return ApplyAsync(sessions, "Installing node prerequisites", (s, ct) => NodePreparation.InstallPrerequisitesAsync(s, options, sink, ct), sink, throttleLimit, cancellationToken);
    }

    /// <summary>Install-KubeContainerRuntime on every node.</summary>
    public static Task<IReadOnlyList<KubePreparationResult>> InstallContainerRuntimeAsync(IEnumerable<KubeNodeSession> sessions, ContainerRuntimeOptions options,
        IOperationSink sink, int throttleLimit = NodeFleet.DefaultThrottleLimit, CancellationToken cancellationToken = default)
    {
        ContainerRuntime.Validate(options);
        return ApplyAsync(sessions, "Installing the container runtime", (s, ct) => NodePreparation.InstallContainerRuntimeAsync(s, options, sink, ct), sink, throttleLimit, cancellationToken);
    }

    /// <summary>
    /// Install-KubePackage on every node. With package files, each node gets the ones for its package manager (.deb for
    /// apt, .rpm for dnf and yum); a node with none of its kind fails with Packages.NoMatchingFiles.
    /// </summary>
    public static Task<IReadOnlyList<KubePreparationResult>> InstallPackagesAsync(IEnumerable<KubeNodeSession> sessions, KubePackageOptions options,
        IOperationSink sink, int throttleLimit = NodeFleet.DefaultThrottleLimit, CancellationToken cancellationToken = default)
    {
        KubePackages.Validate(options);
        return ApplyAsync(sessions, "Installing Kubernetes packages",
            (s, ct) => NodePreparation.InstallPackagesAsync(s, facts => KubePackages.OptionsForNode(options, facts), sink, ct), sink, throttleLimit, cancellationToken);
    }

    /// <summary>Save-KubeImage on every node.</summary>
    public static Task<IReadOnlyList<KubePreparationResult>> PullImagesAsync(IEnumerable<KubeNodeSession> sessions, ImagePullOptions options,
        IOperationSink sink, int throttleLimit = NodeFleet.DefaultThrottleLimit, CancellationToken cancellationToken = default)
    {
        ImagePull.Validate(options);
        return ApplyAsync(sessions, "Pulling images", (s, ct) => NodePreparation.PullImagesAsync(s, options, sink, ct), sink, throttleLimit, cancellationToken);
    }

    static async Task<IReadOnlyList<KubePreparationResult>> ApplyAsync(IEnumerable<KubeNodeSession> sessions, string activity,
        Func<KubeNodeSession, CancellationToken, Task<IReadOnlyList<KubePreparationResult>>> apply, IOperationSink sink, int throttleLimit, CancellationToken cancellationToken)
    {
        var results = await NodeFleet.RunAsync(Distinct(sessions), activity, async (s, ct) =>
        {
            var steps = await apply(s, ct).ConfigureAwait(false);
            foreach (var r in steps) sink.WriteObject(r);
            return steps;
        }, sink, throttleLimit, cancellationToken).ConfigureAwait(false);
        return results.Where(r => r.Succeeded).SelectMany(r => r.Value!).ToList();
    }
}
