namespace KubePS.LabControlPlane.ApiServer;

/// <summary>One served resource: where it lives in the URL space, in etcd, and in discovery.</summary>
public sealed record ResourceDef(
    string Group, string Version, string Plural, string Kind, bool Namespaced,
    string[] ShortNames, string[] Subresources, string[]? OnlyVerbs = null, string[]? Categories = null)
{
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
    public string Singular => Kind.ToLowerInvariant();
    public bool HasStatus => Subresources.Contains("status");
    /// <summary>Objects that exist only for the request (reviews): never stored.</summary>
    public bool Virtual => OnlyVerbs is not null;
    public string[] Verbs => OnlyVerbs ?? ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    public string EtcdPrefix => "/registry/" + (Group.Length == 0 ? "" : Group + "/") + Plural + "/";
    public string Key(string? ns, string name) => EtcdPrefix + (Namespaced ? ns + "/" : "") + name;
}

/// <summary>The resources the lab API server serves (issue 4's list plus what kubectl describe/drain need).</summary>
public static class Resources
{
    static readonly string[] St = ["status"];
    public static readonly ResourceDef[] All =
    [
        new("", "v1", "namespaces", "Namespace", false, ["ns"], ["status", "finalize"]),
        new("", "v1", "nodes", "Node", false, ["no"], ["status"]),
        new("", "v1", "configmaps", "ConfigMap", true, ["cm"], []),
        new("", "v1", "secrets", "Secret", true, [], []),
        new("", "v1", "services", "Service", true, ["svc"], St, Categories: ["all"]),
        new("", "v1", "serviceaccounts", "ServiceAccount", true, ["sa"], ["token"]),
        new("", "v1", "pods", "Pod", true, ["po"], ["status", "binding", "eviction"], Categories: ["all"]),
        new("", "v1", "endpoints", "Endpoints", true, ["ep"], []),
        new("", "v1", "events", "Event", true, ["ev"], []),
        new("apps", "v1", "deployments", "Deployment", true, ["deploy"], St, Categories: ["all"]),
        new("apps", "v1", "daemonsets", "DaemonSet", true, ["ds"], St, Categories: ["all"]),
        new("apps", "v1", "replicasets", "ReplicaSet", true, ["rs"], St, Categories: ["all"]),
        new("rbac.authorization.k8s.io", "v1", "roles", "Role", true, [], []),
        new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, [], []),
        new("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, [], []),
        new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, [], []),
        new("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false, ["csr"], ["approval", "status"]),
        new("coordination.k8s.io", "v1", "leases", "Lease", true, [], []),
        new("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, ["pdb"], St),
        new("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false, [], [], ["create"]),
        new("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false, [], [], ["create"]),
        new("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false, [], [], ["create"]),
    ];

    public static IEnumerable<string> Groups => All.Select(r => r.Group).Where(g => g.Length > 0).Distinct();

    public static ResourceDef? Find(string group, string version, string plural) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);

    public static ResourceDef ByKind(string kind) => All.First(r => r.Kind == kind);
    public static ResourceDef Get(string group, string plural) => All.First(r => r.Group == group && r.Plural == plural);
}

/// <summary>What a request is about, as the API server's RequestInfo resolver sees it.</summary>
public sealed class RequestInfo
{
    public bool IsResource { get; init; }
    public string Path { get; init; } = "";
    public string Verb { get; set; } = "";
    public string Group { get; init; } = "";
    public string Version { get; init; } = "";
    public string Resource { get; init; } = "";
    public string Subresource { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string Name { get; init; } = "";
    public ResourceDef? Def { get; init; }

    public static RequestInfo Parse(string method, string path, bool watchParam)
    {
        var verbForNonResource = method.ToLowerInvariant();
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group, version;
        int i;
        if (parts.Length >= 2 && parts[0] == "api") { group = ""; version = parts[1]; i = 2; }
        else if (parts.Length >= 3 && parts[0] == "apis") { group = parts[1]; version = parts[2]; i = 3; }
        else return new RequestInfo { Path = path, Verb = verbForNonResource };
        var rest = parts[i..];
        if (rest.Length == 0) return new RequestInfo { Path = path, Verb = verbForNonResource };

        string ns = "", resource, name = "", sub = "";
        if (rest[0] == "namespaces")
        {
            if (rest.Length >= 3)
            {
                ns = rest[1]; resource = rest[2];
                if (rest.Length >= 4) name = rest[3];
                if (rest.Length >= 5) sub = string.Join('/', rest[4..]);
            }
            else
            {
                resource = "namespaces";
                if (rest.Length == 2) { name = rest[1]; ns = rest[1]; }
            }
        }
        else
        {
            resource = rest[0];
            if (rest.Length >= 2) name = rest[1];
            if (rest.Length >= 3) sub = string.Join('/', rest[2..]);
        }
        // /api/v1/namespaces/{name}/status and /finalize are subresources of the namespace itself.
        if (rest[0] == "namespaces" && rest.Length == 3 && rest[2] is "status" or "finalize")
        {
            resource = "namespaces"; name = rest[1]; sub = rest[2]; ns = rest[1];
        }
        string verb = method switch
        {
            "GET" or "HEAD" => name.Length == 0 ? (watchParam ? "watch" : "list") : (watchParam ? "watch" : "get"),
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name.Length == 0 ? "deletecollection" : "delete",
            _ => verbForNonResource,
        };
        if (resource == "namespaces" && rest[0] == "namespaces" && rest.Length <= 2) ns = name;
        var def = Resources.Find(group, version, resource);
        return new RequestInfo
        {
            IsResource = true, Path = path, Verb = verb, Group = group, Version = version, Resource = resource,
            Subresource = sub, Namespace = def is { Namespaced: false } && resource != "namespaces" ? "" : ns, Name = name, Def = def,
        };
    }
}
