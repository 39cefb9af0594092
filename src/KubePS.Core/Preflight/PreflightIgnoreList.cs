namespace KubePS.Core.Preflight;

/// <summary>
/// kubeadm's --ignore-preflight-errors: check names matched case-insensitively (kept lower-cased), or <c>all</c>.
/// Errors of an ignored check become warnings. <c>all</c> together with other names is invalid. Any other string is
/// accepted, as kubeadm accepts it (it then simply matches nothing).
/// </summary>
public sealed class PreflightIgnoreList
{
    readonly HashSet<string> _names;

    PreflightIgnoreList(HashSet<string> names) { _names = names; }

    public static PreflightIgnoreList Empty { get; } = new(new HashSet<string>(StringComparer.Ordinal));

    /// <summary>The names as kubeadm stores them: trimmed, lower-cased, without empties or duplicates.</summary>
    public IReadOnlyCollection<string> Names => _names;

    public bool All => _names.Contains("all");

    /// <summary>True when errors of the check with this name are downgraded to warnings.</summary>
    public bool Ignores(string checkName) => All || _names.Contains(checkName.ToLowerInvariant());

    /// <summary>Parses names; each entry may itself be comma-separated, as on kubeadm's command line.</summary>
    public static PreflightIgnoreList Parse(IEnumerable<string>? names)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in names ?? [])
            foreach (var part in (entry ?? "").Split(','))
            {
                string n = part.Trim().ToLowerInvariant();
                if (n.Length > 0) set.Add(n);
            }
        if (set.Contains("all") && set.Count > 1)
            throw new KubeException("Preflight.InvalidIgnoreList",
                $"IgnorePreflightErrors holds 'all' together with individual checks ({string.Join(", ", set.Where(n => n != "all").Order())}); kubeadm rejects that.",
                KubeErrorCategory.InvalidArgument, string.Join(",", set.Order()), "Give either 'all' alone or a list of check names.");
        return new PreflightIgnoreList(set);
    }

    public override string ToString() => string.Join(",", _names.Order());
}
