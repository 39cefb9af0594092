namespace KubePS.Core.Api;

/// <summary>A resource type of the Kubernetes API: group/version, kind, plural path segment, and whether it is namespaced.</summary>
public sealed record KubeResource(string ApiVersion, string Kind, string Plural, bool Namespaced)
{
    public static readonly KubeResource Namespace = new("v1", "Namespace", "namespaces", false);
    public static readonly KubeResource Node = new("v1", "Node", "nodes", false);
    public static readonly KubeResource ConfigMap = new("v1", "ConfigMap", "configmaps", true);
    public static readonly KubeResource Secret = new("v1", "Secret", "secrets", true);
    public static readonly KubeResource Service = new("v1", "Service", "services", true);
    public static readonly KubeResource ServiceAccount = new("v1", "ServiceAccount", "serviceaccounts", true);
    public static readonly KubeResource Pod = new("v1", "Pod", "pods", true);
    public static readonly KubeResource Endpoints = new("v1", "Endpoints", "endpoints", true);
    public static readonly KubeResource Deployment = new("apps/v1", "Deployment", "deployments", true);
    public static readonly KubeResource DaemonSet = new("apps/v1", "DaemonSet", "daemonsets", true);
    public static readonly KubeResource Role = new("rbac.authorization.k8s.io/v1", "Role", "roles", true);
    public static readonly KubeResource RoleBinding = new("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", true);
    public static readonly KubeResource ClusterRole = new("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", false);
    public static readonly KubeResource ClusterRoleBinding = new("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", false);
    public static readonly KubeResource CertificateSigningRequest = new("certificates.k8s.io/v1", "CertificateSigningRequest", "certificatesigningrequests", false);
    public static readonly KubeResource Lease = new("coordination.k8s.io/v1", "Lease", "leases", true);
    public static readonly KubeResource PodDisruptionBudget = new("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", true);
    public static readonly KubeResource CustomResourceDefinition = new("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", false);

    public static readonly IReadOnlyList<KubeResource> Known =
    [
        Namespace, Node, ConfigMap, Secret, Service, ServiceAccount, Pod, Endpoints, Deployment, DaemonSet,
        Role, RoleBinding, ClusterRole, ClusterRoleBinding, CertificateSigningRequest, Lease, PodDisruptionBudget, CustomResourceDefinition,
    ];

    /// <summary>The resource for an object's apiVersion and kind, or Api.UnknownKind.</summary>
    public static KubeResource For(string apiVersion, string kind) =>
        Known.FirstOrDefault(r => r.ApiVersion == apiVersion && r.Kind == kind)
        ?? throw new KubeException("Api.UnknownKind", $"KubePS does not know the resource {apiVersion} {kind}.", KubeErrorCategory.InvalidArgument, $"{apiVersion}/{kind}");

    /// <summary>The collection path: /api/v1/namespaces/ns/configmaps or /apis/apps/v1/daemonsets.</summary>
    public string CollectionPath(string? ns)
    {
        string root = ApiVersion.Contains('/') ? "/apis/" + ApiVersion : "/api/" + ApiVersion;
        if (Namespaced)
        {
            if (string.IsNullOrEmpty(ns)) throw new KubeException("Api.NamespaceRequired", $"{Kind} is namespaced: a namespace is needed.", KubeErrorCategory.InvalidArgument, Kind);
            return $"{root}/namespaces/{Uri.EscapeDataString(ns)}/{Plural}";
        }
        return $"{root}/{Plural}";
    }

    public string ObjectPath(string? ns, string name) => CollectionPath(ns) + "/" + Uri.EscapeDataString(name);
}
