using KubePS.Core.Nodes;
using KubePS.Core.Operations;

namespace KubePS.Core.Preflight;

/// <summary>
/// Runs kubeadm's preflight on a node: gathers the node's facts once (one probe, cached in the session) and evaluates
/// every applicable check of <see cref="PreflightChecks.Table"/> from them. Read-only: nothing on the node changes.
/// </summary>
public static class PreflightRunner
{
    /// <summary>
    /// Preflight for a session's node. The request is validated before the node is touched; the facts are taken from
    /// the session when they cover the request (else gathered and cached there).
    /// </summary>
    public static async Task<KubePreflightReport> RunAsync(KubeNodeSession session, KubePreflightRequest request, IOperationSink sink,
        CancellationToken cancellationToken, bool refreshFacts = false)
    {
        request.Validate();
        sink.WriteVerbose($"{session.HostName}: gathering node facts");
        var facts = await NodeProbe.GetFactsAsync(session, request.ProbeOptions, refreshFacts, cancellationToken).ConfigureAwait(false);
        return Evaluate(facts, request, sink);
    }

    /// <summary>Preflight over a bare transport (no session to cache the facts in).</summary>
    public static async Task<KubePreflightReport> RunAsync(INodeTransport transport, KubePreflightRequest request, IOperationSink sink,
        CancellationToken cancellationToken)
    {
        request.Validate();
        sink.WriteVerbose($"{transport.HostName}: gathering node facts");
        var facts = await NodeProbe.GatherAsync(transport, request.ProbeOptions, cancellationToken).ConfigureAwait(false);
        return Evaluate(facts, request, sink);
    }

    /// <summary>The checks that run for a request on a node, in kubeadm's order.</summary>
    public static IReadOnlyList<PreflightCheck> ChecksFor(NodeFacts facts, KubePreflightRequest request)
    {
        var context = new PreflightContext(facts, request);
        return PreflightChecks.Table.Where(c => c.AppliesIn(context)).ToList();
    }

    /// <summary>
    /// Evaluates every applicable check from facts already gathered. As kubeadm does, the root check runs first and a
    /// failure of it (not ignored) ends preflight there. Ignore names that match no check are accepted, with a warning.
    /// </summary>
    public static KubePreflightReport Evaluate(NodeFacts facts, KubePreflightRequest request, IOperationSink? sink = null)
    {
        request.Validate();
        var ignore = PreflightIgnoreList.Parse(request.IgnorePreflightErrors);
        var context = new PreflightContext(facts, request);
        if (sink is not null)
            foreach (var unknown in UnknownIgnoreNames(context, ignore))
                sink.WriteWarning($"{facts.HostName}: IgnorePreflightErrors '{unknown}' matches no preflight check; kubeadm accepts it, and it ignores nothing.");

        var results = new List<KubePreflightResult>();
        foreach (var check in PreflightChecks.Table.Where(c => c.AppliesIn(context)))
        {
            var result = ToResult(facts.HostName, check, context, ignore);
            results.Add(result);
            if (check.NamePattern == PreflightChecks.IsPrivilegedUser && result.Blocking) break;
        }
        var report = new KubePreflightReport(facts.HostName, results);
        sink?.WriteVerbose($"{facts.HostName}: preflight ran {results.Count} checks: {report.Errors.Count()} error(s), {report.Warnings.Count()} warning(s)");
        return report;
    }

    /// <summary>Ignore names (other than 'all') that match no check that can occur for this request.</summary>
    public static IReadOnlyList<string> UnknownIgnoreNames(PreflightContext context, PreflightIgnoreList ignore)
    {
        var known = PreflightChecks.KnownNames(context);
        return ignore.Names.Where(n => n != "all" && !known.Contains(n)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A context for a request on a node, for callers that look at the table themselves.</summary>
    public static PreflightContext Context(NodeFacts facts, KubePreflightRequest request)
    {
        request.Validate();
        return new PreflightContext(facts, request);
    }

    static KubePreflightResult ToResult(string hostName, PreflightCheck check, PreflightContext context, PreflightIgnoreList ignore)
    {
        string name = check.NameFor(context);
        var outcome = check.Evaluate(context);
        if (outcome.Passed)
            return new KubePreflightResult(hostName, name, check.Severity, true, check.Description, null, false, null);
        bool ignored = ignore.Ignores(name);
        bool error = outcome.Errors.Count > 0 && !ignored;
        string message = string.Join("; ", outcome.Errors.Concat(outcome.Warnings));
        return new KubePreflightResult(hostName, name, error ? PreflightSeverity.Error : PreflightSeverity.Warning, false, message,
            check.Remedy, ignored, check.FixStep);
    }
}
