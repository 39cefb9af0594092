using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

public sealed record Attributes(UserInfo User, string Verb, bool IsResource, string Group, string Resource, string Subresource,
    string Namespace, string Name, string Path)
{
    public static Attributes From(UserInfo u, RequestInfo ri) =>
        new(u, ri.Verb, ri.IsResource, ri.Group, ri.Resource, ri.Subresource, ri.Namespace, ri.Name, ri.Path);

    /// <summary>The message a real API server puts in a 403.</summary>
    public string ForbiddenMessage()
    {
        if (!IsResource) return $"forbidden: User \"{User.Name}\" cannot {Verb} path \"{Path}\"";
        var res = Subresource.Length > 0 ? $"{Resource}/{Subresource}" : Resource;
        var prefix = Group.Length > 0 ? $"{Resource}.{Group}" : Resource;
        if (Name.Length > 0) prefix += $" \"{Name}\"";
        var scope = Namespace.Length > 0 ? $"in the namespace \"{Namespace}\"" : "at the cluster scope";
        return $"{prefix} is forbidden: User \"{User.Name}\" cannot {Verb} resource \"{res}\" in API group \"{Group}\" {scope}";
    }
}

/// <summary>
/// The authorization chain: the system:masters superuser group, then --authorization-mode in order
/// (Node: a simplified node authorizer; RBAC: roles and bindings from storage; AlwaysAllow/AlwaysDeny).
/// </summary>
public sealed class Authorizer(EtcdStore store, string[] modes)
{
    sealed record Snapshot(DateTime Taken, List<JsonObject> ClusterRoles, List<JsonObject> ClusterRoleBindings,
        List<JsonObject> Roles, List<JsonObject> RoleBindings);

    Snapshot? _snap;
    Snapshot? _last;
    readonly SemaphoreSlim _gate = new(1, 1);
    static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    long _generation;

    /// <summary>
    /// Called after any write to an RBAC object, so the next decision sees it. A snapshot whose read began before the
    /// write is not kept: it may predate the write (a request racing the write still gets it, as the real informer
    /// cache would answer it).
    /// </summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _snap = null;
    }

    async Task<Snapshot> Load(CancellationToken ct)
    {
        var s = _snap;
        if (s is not null && DateTime.UtcNow - s.Taken < MaxAge) return s;
        await _gate.WaitAsync(ct);
        try
        {
            s = _snap;
            if (s is not null && DateTime.UtcNow - s.Taken < MaxAge) return s;
            async Task<List<JsonObject>> L(string res) =>
                (await store.List(Resources.Get("rbac.authorization.k8s.io", res).EtcdPrefix, ct)).items.Select(i => i.Value).ToList();
            var generation = Interlocked.Read(ref _generation);
            try
            {
                s = new Snapshot(DateTime.UtcNow, await L("clusterroles"), await L("clusterrolebindings"), await L("roles"), await L("rolebindings"));
            }
            catch (StorageException) when (_last is not null)
            {
                // Like the real authorizer's informer cache: decisions go on from the last view while etcd is away.
                return _last;
            }
            _last = s;
            if (generation == Interlocked.Read(ref _generation)) _snap = s;
            return s;
        }
        finally { _gate.Release(); }
    }

    public async Task<(bool allowed, string reason)> Authorize(Attributes a, CancellationToken ct)
    {
        if (a.User.InGroup("system:masters")) return (true, "");
        foreach (var mode in modes)
        {
            switch (mode)
            {
                case "AlwaysAllow": return (true, "");
                case "AlwaysDeny": return (false, "");
                case "Node":
                    if (await NodeAllows(a, ct)) return (true, "");
                    break;
                case "RBAC":
                    if (RbacAllows(a, await Load(ct))) return (true, "");
                    break;
            }
        }
        return (false, "");
    }

    // ---- Node authorizer (simplified): nodes get the system:node rules, leases only their own,
    //      secrets/configmaps only when a pod bound to the node references them.
    async Task<bool> NodeAllows(Attributes a, CancellationToken ct)
    {
        var node = a.User.NodeName;
        if (node is null || !a.IsResource) return false;
        if (a.Group == "coordination.k8s.io" && a.Resource == "leases")
            return a.Namespace == "kube-node-lease" && (a.Verb == "create" || a.Name == node)
                && a.Verb is "get" or "create" or "update" or "patch" or "delete";
        if (a.Group == "" && a.Resource is "secrets" or "configmaps")
            return a.Verb == "get" && a.Name.Length > 0 && await PodOnNodeReferences(node, a.Namespace, a.Resource, a.Name, ct);
        return RulesAllow(BootstrapPolicy.NodeRules, a);
    }

    async Task<bool> PodOnNodeReferences(string node, string ns, string resource, string name, CancellationToken ct)
    {
        var pods = (await store.List(Resources.Get("", "pods").EtcdPrefix + ns + "/", ct)).items;
        foreach (var p in pods.Select(i => i.Value).Where(p => p.Str("spec", "nodeName") == node))
        {
            foreach (var v in p.Arr("spec", "volumes"))
            {
                if (resource == "secrets" && v.Str("secret", "secretName") == name) return true;
                if (resource == "configmaps" && v.Str("configMap", "name") == name) return true;
            }
            var refKind = resource == "secrets" ? "secretKeyRef" : "configMapKeyRef";
            var refEnv = resource == "secrets" ? "secretRef" : "configMapRef";
            foreach (var c in p.Arr("spec", "containers").Concat(p.Arr("spec", "initContainers")))
            {
                if (c.Arr("env").Any(e => e.Str("valueFrom", refKind, "name") == name)) return true;
                if (c.Arr("envFrom").Any(e => e.Str(refEnv, "name") == name)) return true;
            }
        }
        return false;
    }

    // ---- RBAC
    static bool RbacAllows(Attributes a, Snapshot s)
    {
        var clusterRoles = s.ClusterRoles.ToDictionary(r => r.Str("metadata", "name") ?? "", r => r);
        foreach (var b in s.ClusterRoleBindings)
        {
            if (!SubjectsMatch(b, a.User, "")) continue;
            if (b.Str("roleRef", "kind") == "ClusterRole" && clusterRoles.TryGetValue(b.Str("roleRef", "name") ?? "", out var role)
                && RulesAllow(role.Arr("rules").OfType<JsonObject>(), a)) return true;
        }
        if (a.Namespace.Length == 0) return false;
        foreach (var b in s.RoleBindings.Where(b => b.Str("metadata", "namespace") == a.Namespace))
        {
            if (!SubjectsMatch(b, a.User, a.Namespace)) continue;
            var refName = b.Str("roleRef", "name") ?? "";
            JsonObject? role = b.Str("roleRef", "kind") switch
            {
                "ClusterRole" => clusterRoles.GetValueOrDefault(refName),
                "Role" => s.Roles.FirstOrDefault(r => r.Str("metadata", "namespace") == a.Namespace && r.Str("metadata", "name") == refName),
                _ => null,
            };
            if (role is not null && RulesAllow(role.Arr("rules").OfType<JsonObject>(), a)) return true;
        }
        return false;
    }

    static bool SubjectsMatch(JsonObject binding, UserInfo u, string bindingNs)
    {
        foreach (var s in binding.Arr("subjects"))
        {
            var name = s.Str("name") ?? "";
            switch (s.Str("kind"))
            {
                case "User" when name == u.Name: return true;
                case "Group" when u.InGroup(name): return true;
                case "ServiceAccount":
                    var ns = s.Str("namespace") is { Length: > 0 } n ? n : bindingNs;
                    if (u.Name == $"system:serviceaccount:{ns}:{name}") return true;
                    break;
            }
        }
        return false;
    }

    public static bool RulesAllow(IEnumerable<JsonObject> rules, Attributes a) => rules.Any(r => RuleAllows(r, a));

    static bool Has(JsonNode? list, string value) => list.StringItems().Any(x => x == "*" || x == value);

    static bool RuleAllows(JsonObject r, Attributes a)
    {
        if (!Has(r["verbs"], a.Verb)) return false;
        if (!a.IsResource)
        {
            foreach (var u in r["nonResourceURLs"].StringItems())
            {
                if (u == "*" || u == a.Path) return true;
                if (u.EndsWith('*') && a.Path.StartsWith(u[..^1], StringComparison.Ordinal)) return true;
            }
            return false;
        }
        if (r["nonResourceURLs"] is JsonArray { Count: > 0 } && r["resources"] is null) return false;
        if (!Has(r["apiGroups"], a.Group)) return false;
        var combined = a.Subresource.Length > 0 ? $"{a.Resource}/{a.Subresource}" : a.Resource;
        var resOk = r["resources"].StringItems().Any(x =>
            x == "*" || x == combined || (a.Subresource.Length > 0 && x == "*/" + a.Subresource));
        if (!resOk) return false;
        var names = r["resourceNames"].StringItems().ToList();
        return names.Count == 0 || (a.Name.Length > 0 && names.Contains(a.Name));
    }
}
