using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core.Api;

namespace KubePS.Core.ClusterObjects;

/// <summary>
/// Builders for the JSON shapes every renderer shares: object skeletons with metadata, RBAC rules, role references
/// and subjects. Everything returned is a fresh <see cref="JsonObject"/> the caller may change.
/// </summary>
static class KubeObjects
{
    public const string KubeSystem = "kube-system";
    public const string KubePublic = "kube-public";
    public const string RbacGroup = "rbac.authorization.k8s.io";

    /// <summary>kubeadm's group for the default bootstrap token (constants.NodeBootstrapTokenAuthGroup).</summary>
    public const string BootstrapTokenGroup = "system:bootstrappers:kubeadm:default-node-token";
    public const string NodesGroup = "system:nodes";

    public static JsonObject New(KubeResource resource, string name, string? ns = null,
        IEnumerable<KeyValuePair<string, string>>? labels = null, IEnumerable<KeyValuePair<string, string>>? annotations = null)
    {
        var meta = new JsonObject { ["name"] = name };
        if (resource.Namespaced) meta["namespace"] = ns ?? throw new ArgumentException($"{resource.Kind} {name} needs a namespace");
        if (labels is not null) meta["labels"] = Map(labels);
        if (annotations is not null) meta["annotations"] = Map(annotations);
        return new JsonObject { ["apiVersion"] = resource.ApiVersion, ["kind"] = resource.Kind, ["metadata"] = meta };
    }

    public static JsonObject Map(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var o = new JsonObject();
        foreach (var (k, v) in pairs) o[k] = v;
        return o;
    }

    public static JsonObject Map(params (string Key, string Value)[] pairs)
    {
        var o = new JsonObject();
        foreach (var (k, v) in pairs) o[k] = v;
        return o;
    }

    public static JsonArray Strings(params string[] values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    /// <summary>A PolicyRule: verbs on resources of API groups, optionally limited to named objects.</summary>
    public static JsonObject Rule(string[] verbs, string[] apiGroups, string[] resources, params string[] resourceNames)
    {
        var r = new JsonObject { ["verbs"] = Strings(verbs), ["apiGroups"] = Strings(apiGroups), ["resources"] = Strings(resources) };
        if (resourceNames.Length > 0) r["resourceNames"] = Strings(resourceNames);
        return r;
    }

    public static JsonObject GroupSubject(string name) => new() { ["kind"] = "Group", ["apiGroup"] = RbacGroup, ["name"] = name };
    public static JsonObject UserSubject(string name) => new() { ["kind"] = "User", ["apiGroup"] = RbacGroup, ["name"] = name };
    public static JsonObject ServiceAccountSubject(string name, string ns) => new() { ["kind"] = "ServiceAccount", ["name"] = name, ["namespace"] = ns };

    public static JsonObject Role(string name, string ns, params JsonObject[] rules)
    {
        var o = New(KubeResource.Role, name, ns);
        o["rules"] = new JsonArray(rules);
        return o;
    }

    public static JsonObject ClusterRole(string name, params JsonObject[] rules)
    {
        var o = New(KubeResource.ClusterRole, name);
        o["rules"] = new JsonArray(rules);
        return o;
    }

    public static JsonObject RoleBinding(string name, string ns, string roleName, params JsonObject[] subjects)
    {
        var o = New(KubeResource.RoleBinding, name, ns);
        o["roleRef"] = new JsonObject { ["apiGroup"] = RbacGroup, ["kind"] = "Role", ["name"] = roleName };
        o["subjects"] = new JsonArray(subjects);
        return o;
    }

    public static JsonObject ClusterRoleBinding(string name, string clusterRoleName, params JsonObject[] subjects)
    {
        var o = New(KubeResource.ClusterRoleBinding, name);
        o["roleRef"] = new JsonObject { ["apiGroup"] = RbacGroup, ["kind"] = "ClusterRole", ["name"] = clusterRoleName };
        o["subjects"] = new JsonArray(subjects);
        return o;
    }

    /// <summary>Role granting <c>get</c> on one named object of a core resource (kubeadm's read-only grants).</summary>
    public static JsonObject GetOneRole(string roleName, string ns, string resource, string objectName) =>
        Role(roleName, ns, Rule(["get"], [""], [resource], objectName));

    public static JsonObject ConfigMap(string name, string ns, IEnumerable<KeyValuePair<string, string>> data,
        IEnumerable<KeyValuePair<string, string>>? labels = null, IEnumerable<KeyValuePair<string, string>>? annotations = null)
    {
        var o = New(KubeResource.ConfigMap, name, ns, labels, annotations);
        o["data"] = Map(data);
        return o;
    }

    /// <summary>Secret data values are base64 on the wire.</summary>
    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
