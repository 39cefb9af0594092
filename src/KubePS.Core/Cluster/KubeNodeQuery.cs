namespace KubePS.Core.Cluster;

/// <summary>
/// One name given to Get-KubeNode: the name as written, whether it holds wildcards, and how it matches a node name.
/// The matcher comes from the caller (the cmdlet layer uses PowerShell's wildcard rules, case-insensitive).
/// </summary>
public sealed record KubeNameFilter(string Name, bool HasWildcards, Func<string, bool> IsMatch)
{
    /// <summary>A name without wildcards, matched as Kubernetes names compare (case-insensitively, as Get-KubeNode does).</summary>
    public static KubeNameFilter Exact(string name) => new(name, false, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

    public override string ToString() => Name;
}

/// <summary>Which of the cluster's nodes Get-KubeNode writes, and which names it reports as missing.</summary>
public static class KubeNodeQuery
{
    /// <summary>
    /// The nodes <paramref name="names"/> select from <paramref name="nodes"/> (the cluster's, already filtered by
    /// <paramref name="role"/>), in the order of the names, each node once. No names selects every node. A name without
    /// wildcards that matches no node is Cluster.NodeNotFound (naming the cluster, the role and the nodes it has);
    /// a wildcard that matches nothing is no error.
    /// </summary>
    public static IReadOnlyList<KubeLookup<KubeNode>> Select(IReadOnlyList<KubeNode> nodes, IReadOnlyList<KubeNameFilter>? names, string server, KubeNodeRole? role)
    {
        if (names is null || names.Count == 0) return nodes.Select(KubeLookup<KubeNode>.Of).ToList();
        var result = new List<KubeLookup<KubeNode>>();
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var matched = nodes.Where(n => name.IsMatch(n.Name)).ToList();
            if (matched.Count == 0 && !name.HasWildcards)
                result.Add(KubeLookup<KubeNode>.Missing(NotFound(name.Name, nodes, server, role)));
            result.AddRange(matched.Where(n => written.Add(n.Name)).Select(KubeLookup<KubeNode>.Of));
        }
        return result;
    }

    static KubeException NotFound(string name, IReadOnlyList<KubeNode> nodes, string server, KubeNodeRole? role)
    {
        const int shown = 10;
        string has = nodes.Count == 0 ? $"it has no {(role is null ? "" : role + " ")}nodes"
            : $"its {(role is null ? "" : role + " ")}nodes: {string.Join(", ", nodes.Take(shown).Select(n => n.Name))}{(nodes.Count > shown ? $", … ({nodes.Count} in all)" : "")}";
        return new KubeException("Cluster.NodeNotFound", $"The cluster at {server} has no node '{name}'{(role is null ? "" : " of role " + role)}; {has}.",
            KubeErrorCategory.ObjectNotFound, name, "List the nodes with Get-KubeNode.");
    }
}
