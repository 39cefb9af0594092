namespace KubePS.Core.Manifests;

/// <summary>One command-line flag for a component, without the leading dashes: <c>new KubeArg("v", "4")</c> is <c>--v=4</c>.</summary>
public sealed record KubeArg(string Name, string Value)
{
    public override string ToString() => $"--{Name}={Value}";
}

/// <summary>An environment variable for a control-plane container (v1beta4 <c>extraEnvs</c>, or a proxy variable).</summary>
public sealed record KubeEnvVar(string Name, string Value);

/// <summary>
/// Which kubeadm configuration API the extra arguments came from, because kubeadm merges them differently (facts §3.8).
/// </summary>
public enum ExtraArgsSemantics
{
    /// <summary>
    /// v1beta2/v1beta3 (<c>extraArgs</c> is a map): one value per name; defaults and overrides merge into one map, the
    /// override wins, and the flags are sorted by name.
    /// </summary>
    Map,

    /// <summary>
    /// v1beta4 (<c>extraArgs</c> is a list of name/value): a name given in the overrides removes every default of that
    /// name; the remaining defaults and all overrides (duplicates kept) are sorted by name, then value.
    /// </summary>
    List,
}

/// <summary>Builds a component's flag list from kubeadm's defaults and the user's extra arguments.</summary>
public static class KubeArguments
{
    /// <summary>The merged flags as <c>--name=value</c>, in kubeadm's order.</summary>
    /// <param name="defaults">kubeadm's defaults (names unique)</param>
    /// <param name="overrides">the user's extra arguments, in the order given</param>
    /// <param name="semantics">the configuration API they came from</param>
    /// <param name="what">names the argument list in error messages, e.g. "apiServer.extraArgs"</param>
    public static IReadOnlyList<string> ToCommand(IEnumerable<KubeArg> defaults, IReadOnlyList<KubeArg> overrides,
        ExtraArgsSemantics semantics, string what)
    {
        Validate(overrides, semantics, what);
        var list = Merge(defaults, overrides, semantics);
        return list.Select(a => $"--{a.Name}={a.Value}").ToList();
    }

    /// <summary>The merged argument list (see <see cref="ToCommand"/>).</summary>
    public static IReadOnlyList<KubeArg> Merge(IEnumerable<KubeArg> defaults, IReadOnlyList<KubeArg> overrides, ExtraArgsSemantics semantics)
    {
        if (semantics == ExtraArgsSemantics.Map)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var d in defaults) map[d.Name] = d.Value;
            foreach (var o in overrides) map[o.Name] = o.Value;
            return map.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new KubeArg(kv.Key, kv.Value)).ToList();
        }
        var overridden = new HashSet<string>(overrides.Select(o => o.Name), StringComparer.Ordinal);
        return overrides.Concat(defaults.Where(d => !overridden.Contains(d.Name)))
            .OrderBy(a => a.Name, StringComparer.Ordinal)
            .ThenBy(a => a.Value, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The last value given for <paramref name="name"/>, or null.</summary>
    public static string? Find(IReadOnlyList<KubeArg> args, string name)
    {
        for (int i = args.Count - 1; i >= 0; i--)
            if (string.Equals(args[i].Name, name, StringComparison.Ordinal)) return args[i].Value;
        return null;
    }

    internal static void Validate(IReadOnlyList<KubeArg> args, ExtraArgsSemantics semantics, string what)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in args)
        {
            if (a is null || string.IsNullOrEmpty(a.Name) || a.Name.StartsWith('-') || a.Name.Contains('=') || a.Name.Any(char.IsWhiteSpace))
                throw new KubeException("Manifests.InvalidExtraArg",
                    $"{what}: '{a?.Name}' is not a flag name. Give the name without leading dashes and without '=' (e.g. 'v' for --v=4).",
                    KubeErrorCategory.InvalidArgument, a?.Name, "Use names like 'audit-log-path' with the value given separately.");
            if (a.Value is null)
                throw new KubeException("Manifests.InvalidExtraArg", $"{what}: flag '{a.Name}' has no value; use an empty string for an empty value.",
                    KubeErrorCategory.InvalidArgument, a.Name);
            if (semantics == ExtraArgsSemantics.Map && !seen.Add(a.Name))
                throw new KubeException("Manifests.DuplicateExtraArg",
                    $"{what}: flag '{a.Name}' is given more than once, but v1beta3 extraArgs is a map with one value per flag.",
                    KubeErrorCategory.InvalidArgument, a.Name, "Give each flag once, or use the v1beta4 list form (Kubernetes 1.31+) for repeated flags.");
        }
    }
}
