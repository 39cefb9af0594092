using KubePS.Core.Versioning;

namespace KubePS.Core.Configuration;

/// <summary>
/// How kubeadm turns a component's default flags and the user's extraArgs into its command line (kubeadm-facts.md
/// §3.8), for the manifest and kubelet-flags code.
/// </summary>
public static class ExtraArgs
{
    /// <summary>
    /// Merges with the rule of the kubeadm release: list semantics from 1.31 (catalog feature
    /// <c>config.list-extra-args</c>), map semantics before, whatever API version the configuration was written in.
    /// </summary>
    public static IReadOnlyList<KubeArg> Merge(IEnumerable<KubeArg> defaults, IEnumerable<KubeArg>? overrides, ReleaseInfo release) =>
        release.Has("config.list-extra-args") ? MergeList(defaults, overrides) : MergeMap(defaults, overrides);

    /// <summary>
    /// v1beta3 rule (kubeadm up to 1.30): defaults and overrides in one map, an override replacing the default of the same
    /// name (a later duplicate override wins), sorted by name; one flag per name.
    /// </summary>
    public static IReadOnlyList<KubeArg> MergeMap(IEnumerable<KubeArg> defaults, IEnumerable<KubeArg>? overrides)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var a in defaults) map[a.Name] = a.Value;
        foreach (var a in overrides ?? []) map[a.Name] = a.Value;
        return map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new KubeArg(p.Key, p.Value)).ToList();
    }

    /// <summary>
    /// v1beta4 rule (kubeadm 1.31): a name present in the overrides removes every default of that name; the remaining
    /// defaults and all overrides are sorted by name, then value (ordinal, as Go compares strings); repeated flags stay.
    /// </summary>
    public static IReadOnlyList<KubeArg> MergeList(IEnumerable<KubeArg> defaults, IEnumerable<KubeArg>? overrides)
    {
        var over = (overrides ?? []).ToList();
        var names = new HashSet<string>(over.Select(a => a.Name), StringComparer.Ordinal);
        var args = over.Concat(defaults.Where(a => !names.Contains(a.Name))).ToList();
        return args.OrderBy(a => a.Name, StringComparer.Ordinal).ThenBy(a => a.Value, StringComparer.Ordinal).ToList();
    }

    /// <summary>The command-line form: <c>--name=value</c> per argument, in order.</summary>
    public static IReadOnlyList<string> ToCommandLine(IEnumerable<KubeArg> args) => args.Select(a => $"--{a.Name}={a.Value}").ToList();

    /// <summary>The last value given for a flag (kubeadm's GetArgValue), or null.</summary>
    public static string? Get(IEnumerable<KubeArg>? args, string name) => args?.LastOrDefault(a => a.Name == name)?.Value;
}
