namespace KubePS.Core.Workflows;

/// <summary>
/// Which phases run, as <c>kubeadm init phase &lt;name&gt;</c> and <c>--skip-phases</c> select them: a name selects
/// that phase and, when it is a prefix path, every phase below it (<c>certs</c> selects <c>certs/ca</c>,
/// <c>certs/apiserver</c>, ...). Names are case-insensitive. Unknown names are an error listing the valid ones,
/// raised before anything runs.
/// </summary>
public sealed class PhaseSelection
{
    public static readonly PhaseSelection All = new([], []);

    public PhaseSelection(IEnumerable<string>? only, IEnumerable<string>? skip)
    {
        Only = (only ?? []).Select(Normalize).Where(s => s.Length > 0).ToList();
        Skip = (skip ?? []).Select(Normalize).Where(s => s.Length > 0).ToList();
    }

    public IReadOnlyList<string> Only { get; }
    public IReadOnlyList<string> Skip { get; }

    static string Normalize(string s) => s.Trim().Trim('/').ToLowerInvariant();

    static bool Covers(string selector, string phase) =>
        phase.Equals(selector, StringComparison.OrdinalIgnoreCase) || phase.StartsWith(selector + "/", StringComparison.OrdinalIgnoreCase);

    /// <summary>Checks every selector against the workflow's phase names.</summary>
    public void Validate(IReadOnlyList<string> phaseNames)
    {
        foreach (var s in Only.Concat(Skip))
            if (!phaseNames.Any(p => Covers(s, p)))
            {
                var groups = phaseNames.Select(p => p.Split('/')[0]).Distinct();
                throw new KubeException("Workflow.UnknownPhase",
                    $"'{s}' names no phase. Valid phases: {string.Join(", ", groups.Concat(phaseNames.Where(p => p.Contains('/'))).Distinct())}.",
                    KubeErrorCategory.InvalidArgument, s, "Use a phase name or a group prefix such as certs or addon/coredns.");
            }
    }

    public bool Includes(string phase) =>
        (Only.Count == 0 || Only.Any(s => Covers(s, phase))) && !Skip.Any(s => Covers(s, phase));
}
