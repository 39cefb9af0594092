using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>
/// The default roles and bindings a real API server reconciles into storage at start (its rbac/bootstrap-roles post-start
/// hook), limited to those kubeadm and the lab's components rely on. Rules follow Kubernetes' bootstrap policy
/// (plugin/pkg/auth/authorizer/rbac/bootstrappolicy, testdata/*.yaml).
/// </summary>
public static class BootstrapPolicy
{
    const string Rbac = "rbac.authorization.k8s.io";

    static JsonObject R(string groups, string resources, string verbs, string? names = null)
    {
        var o = new JsonObject
        {
            ["apiGroups"] = J.Strings(groups.Split(',').Select(g => g == "core" ? "" : g)),
            ["resources"] = J.Strings(resources.Split(',')),
            ["verbs"] = J.Strings(verbs.Split(',')),
        };
        if (names is not null) o["resourceNames"] = J.Strings(names.Split(','));
        return o;
    }

    static JsonObject NonResource(string urls, string verbs) => new()
    {
        ["nonResourceURLs"] = J.Strings(urls.Split(',')), ["verbs"] = J.Strings(verbs.Split(',')),
    };

    const string Events = "create,patch,update";
    const string Read = "get,list,watch";

    public static readonly JsonObject[] NodeRules =
    [
        R("authentication.k8s.io", "tokenreviews", "create"),
        R("authorization.k8s.io", "localsubjectaccessreviews,subjectaccessreviews", "create"),
        R("core", "services", Read),
        R("core", "nodes", "create,get,list,watch"),
        R("core", "nodes/status", "patch,update"),
        R("core", "nodes", "patch,update"),
        R("core", "events", Events),
        R("core", "pods", Read),
        R("core", "pods", "create,delete"),
        R("core", "pods/status", "patch,update"),
        R("core", "pods/eviction", "create"),
        R("core", "configmaps,secrets", Read),
        R("core", "persistentvolumeclaims,persistentvolumes", "get"),
        R("core", "endpoints", "get"),
        R("certificates.k8s.io", "certificatesigningrequests", "create,get,list,watch"),
        R("coordination.k8s.io", "leases", "create,delete,get,patch,update"),
        R("storage.k8s.io", "volumeattachments", "get"),
        R("core", "serviceaccounts/token", "create"),
        R("core", "persistentvolumeclaims/status", "get,patch,update"),
        R("storage.k8s.io", "csidrivers", Read),
        R("storage.k8s.io", "csinodes", "create,delete,get,patch,update"),
        R("node.k8s.io", "runtimeclasses", Read),
    ];

    static (string name, JsonObject[] rules)[] ClusterRoles =>
    [
        ("cluster-admin", [R("*", "*", "*"), NonResource("*", "*")]),
        ("system:discovery", [NonResource("/api,/api/*,/apis,/apis/*,/healthz,/livez,/openapi,/openapi/*,/readyz,/version,/version/", "get")]),
        ("system:basic-user", [R("authorization.k8s.io", "selfsubjectaccessreviews,selfsubjectrulesreviews", "create"),
            R("authentication.k8s.io", "selfsubjectreviews", "create")]),
        ("system:public-info-viewer", [NonResource("/healthz,/livez,/readyz,/version,/version/", "get")]),
        ("system:monitoring", [NonResource("/healthz,/healthz/*,/livez,/livez/*,/metrics,/metrics/slis,/readyz,/readyz/*", "get")]),
        ("system:auth-delegator", [R("authentication.k8s.io", "tokenreviews", "create"), R("authorization.k8s.io", "subjectaccessreviews", "create")]),
        ("system:node-bootstrapper", [R("certificates.k8s.io", "certificatesigningrequests", "create,get,list,watch")]),
        ("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [R("certificates.k8s.io", "certificatesigningrequests/nodeclient", "create")]),
        ("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [R("certificates.k8s.io", "certificatesigningrequests/selfnodeclient", "create")]),
        ("system:certificates.k8s.io:kube-apiserver-client-approver", [R("certificates.k8s.io", "signers", "approve", "kubernetes.io/kube-apiserver-client")]),
        ("system:certificates.k8s.io:kube-apiserver-client-kubelet-approver", [R("certificates.k8s.io", "signers", "approve", "kubernetes.io/kube-apiserver-client-kubelet")]),
        ("system:certificates.k8s.io:kubelet-serving-approver", [R("certificates.k8s.io", "signers", "approve", "kubernetes.io/kubelet-serving")]),
        ("system:certificates.k8s.io:legacy-unknown-approver", [R("certificates.k8s.io", "signers", "approve", "kubernetes.io/legacy-unknown")]),
        ("system:node", NodeRules),
        ("system:node-proxier", [R("core", "endpoints,services", "list,watch"), R("core", "nodes", Read), R("core,events.k8s.io", "events", Events),
            R("discovery.k8s.io", "endpointslices", "list,watch")]),
        ("system:kube-dns", [R("core", "endpoints,services", "list,watch")]),
        ("system:kube-controller-manager",
        [
            R("core,events.k8s.io", "events", Events), R("coordination.k8s.io", "leases", "create"),
            R("coordination.k8s.io", "leases", "get,update", "kube-controller-manager"),
            R("core", "secrets,serviceaccounts", "create"), R("core", "secrets", "delete"),
            R("core", "configmaps,namespaces,secrets,serviceaccounts", "get"), R("core", "secrets,serviceaccounts", "update"),
            R("authentication.k8s.io", "tokenreviews", "create"), R("authorization.k8s.io", "subjectaccessreviews", "create"),
            R("*", "*", "list,watch"), R("core", "serviceaccounts/token", "create"),
        ]),
        ("system:kube-scheduler",
        [
            R("core,events.k8s.io", "events", Events), R("coordination.k8s.io", "leases", "create"),
            R("coordination.k8s.io", "leases", "get,update", "kube-scheduler"), R("core", "nodes", Read),
            R("core", "pods", "delete,get,list,watch"), R("core", "bindings,pods/binding", "create"), R("core", "pods/status", "patch,update"),
            R("core", "replicationcontrollers,services", Read), R("apps,extensions", "replicasets", Read), R("apps", "statefulsets", Read),
            R("policy", "poddisruptionbudgets", Read), R("core", "persistentvolumeclaims,persistentvolumes", Read),
            R("authentication.k8s.io", "tokenreviews", "create"), R("authorization.k8s.io", "subjectaccessreviews", "create"),
            R("storage.k8s.io", "csinodes", Read), R("core", "namespaces", Read), R("storage.k8s.io", "csidrivers", Read),
            R("storage.k8s.io", "csistoragecapacities", Read),
        ]),
        ("system:volume-scheduler", [R("core", "persistentvolumes", "get,list,patch,update,watch"), R("storage.k8s.io", "storageclasses", Read),
            R("core", "persistentvolumeclaims", "get,list,patch,update,watch")]),
        ("system:service-account-issuer-discovery", [NonResource("/.well-known/openid-configuration,/openid/v1/jwks", "get")]),
        ("system:controller:certificate-controller",
        [
            R("certificates.k8s.io", "certificatesigningrequests", "delete,get,list,watch"),
            R("certificates.k8s.io", "certificatesigningrequests/approval,certificatesigningrequests/status", "update"),
            R("certificates.k8s.io", "signers", "approve", "kubernetes.io/kube-apiserver-client-kubelet"),
            R("certificates.k8s.io", "signers", "sign",
                "kubernetes.io/kube-apiserver-client,kubernetes.io/kube-apiserver-client-kubelet,kubernetes.io/kubelet-serving,kubernetes.io/legacy-unknown"),
            R("authorization.k8s.io", "subjectaccessreviews", "create"), R("core,events.k8s.io", "events", Events),
        ]),
        ("system:controller:service-account-controller", [R("core", "serviceaccounts", "create"), R("core,events.k8s.io", "events", Events)]),
        ("system:controller:root-ca-cert-publisher", [R("core", "configmaps", "create,update"), R("core,events.k8s.io", "events", Events)]),
        ("system:controller:node-controller",
        [
            R("core", "nodes", "delete,get,list,patch,update,watch"), R("core", "nodes/status", "patch,update"),
            R("core", "pods/status", "patch,update"), R("core", "pods", "delete,list"), R("core,events.k8s.io", "events", Events),
        ]),
    ];

    static JsonObject Subject(string kind, string name, string? ns = null)
    {
        var o = new JsonObject { ["kind"] = kind };
        if (kind != "ServiceAccount") o["apiGroup"] = Rbac;
        o["name"] = name;
        if (ns is not null) o["namespace"] = ns;
        return o;
    }

    static JsonObject User(string n) => Subject("User", n);
    static JsonObject Group(string n) => Subject("Group", n);
    static JsonObject Sa(string n) => Subject("ServiceAccount", n, "kube-system");

    static (string name, string role, JsonObject[] subjects)[] ClusterRoleBindings =>
    [
        ("cluster-admin", "cluster-admin", [Group("system:masters")]),
        ("system:basic-user", "system:basic-user", [Group("system:authenticated")]),
        ("system:discovery", "system:discovery", [Group("system:authenticated")]),
        ("system:public-info-viewer", "system:public-info-viewer", [Group("system:authenticated"), Group("system:unauthenticated")]),
        ("system:monitoring", "system:monitoring", [Group("system:monitoring")]),
        ("system:kube-controller-manager", "system:kube-controller-manager", [User("system:kube-controller-manager")]),
        ("system:kube-scheduler", "system:kube-scheduler", [User("system:kube-scheduler")]),
        ("system:volume-scheduler", "system:volume-scheduler", [User("system:kube-scheduler")]),
        ("system:kube-dns", "system:kube-dns", [Sa("kube-dns")]),
        ("system:node", "system:node", []),
        ("system:node-proxier", "system:node-proxier", [User("system:kube-proxy")]),
        ("system:service-account-issuer-discovery", "system:service-account-issuer-discovery", [Group("system:serviceaccounts")]),
        ("system:controller:certificate-controller", "system:controller:certificate-controller", [Sa("certificate-controller")]),
        ("system:controller:node-controller", "system:controller:node-controller", [Sa("node-controller")]),
        ("system:controller:service-account-controller", "system:controller:service-account-controller", [Sa("service-account-controller")]),
        ("system:controller:root-ca-cert-publisher", "system:controller:root-ca-cert-publisher", [Sa("root-ca-cert-publisher")]),
    ];

    static (string ns, string name, JsonObject[] rules)[] Roles =>
    [
        ("kube-public", "system:controller:bootstrap-signer",
            [R("core", "configmaps", Read), R("core", "configmaps", "update", "cluster-info"), R("core,events.k8s.io", "events", Events)]),
        ("kube-system", "system:controller:bootstrap-signer", [R("core", "secrets", Read)]),
        ("kube-system", "system:controller:token-cleaner", [R("core", "secrets", "delete,get,list,watch"), R("core,events.k8s.io", "events", Events)]),
        ("kube-system", "extension-apiserver-authentication-reader", [R("core", "configmaps", Read, "extension-apiserver-authentication")]),
        ("kube-system", "system::leader-locking-kube-controller-manager", [R("coordination.k8s.io", "leases", "create,get,list,update,watch")]),
        ("kube-system", "system::leader-locking-kube-scheduler", [R("coordination.k8s.io", "leases", "create,get,list,update,watch")]),
    ];

    static (string ns, string name, string role, JsonObject[] subjects)[] RoleBindings =>
    [
        ("kube-public", "system:controller:bootstrap-signer", "system:controller:bootstrap-signer", [Sa("bootstrap-signer")]),
        ("kube-system", "system:controller:bootstrap-signer", "system:controller:bootstrap-signer", [Sa("bootstrap-signer")]),
        ("kube-system", "system:controller:token-cleaner", "system:controller:token-cleaner", [Sa("token-cleaner")]),
        ("kube-system", "system::extension-apiserver-authentication-reader", "extension-apiserver-authentication-reader",
            [User("system:kube-controller-manager"), User("system:kube-scheduler")]),
        ("kube-system", "system::leader-locking-kube-controller-manager", "system::leader-locking-kube-controller-manager",
            [User("system:kube-controller-manager"), Sa("kube-controller-manager")]),
        ("kube-system", "system::leader-locking-kube-scheduler", "system::leader-locking-kube-scheduler",
            [User("system:kube-scheduler"), Sa("kube-scheduler")]),
    ];

    static JsonObject Meta(string name, string? ns = null)
    {
        var m = new JsonObject { ["name"] = name };
        if (ns is not null) m["namespace"] = ns;
        m["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" };
        m["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" };
        return m;
    }

    static JsonObject RoleRef(string kind, string name) => new() { ["apiGroup"] = Rbac, ["kind"] = kind, ["name"] = name };

    /// <summary>(resource, namespace, object) in creation order.</summary>
    public static IEnumerable<(ResourceDef def, string? ns, JsonObject obj)> Objects()
    {
        var cr = Resources.Get(Rbac, "clusterroles");
        var crb = Resources.Get(Rbac, "clusterrolebindings");
        var r = Resources.Get(Rbac, "roles");
        var rb = Resources.Get(Rbac, "rolebindings");
        foreach (var (name, rules) in ClusterRoles)
            yield return (cr, null, new JsonObject { ["kind"] = "ClusterRole", ["apiVersion"] = Rbac + "/v1", ["metadata"] = Meta(name), ["rules"] = J.ToArray(rules) });
        foreach (var (name, role, subjects) in ClusterRoleBindings)
        {
            var o = new JsonObject { ["kind"] = "ClusterRoleBinding", ["apiVersion"] = Rbac + "/v1", ["metadata"] = Meta(name), ["roleRef"] = RoleRef("ClusterRole", role) };
            if (subjects.Length > 0) o["subjects"] = J.ToArray(subjects);
            yield return (crb, null, o);
        }
        foreach (var (ns, name, rules) in Roles)
            yield return (r, ns, new JsonObject { ["kind"] = "Role", ["apiVersion"] = Rbac + "/v1", ["metadata"] = Meta(name, ns), ["rules"] = J.ToArray(rules) });
        foreach (var (ns, name, role, subjects) in RoleBindings)
            yield return (rb, ns, new JsonObject
            {
                ["kind"] = "RoleBinding", ["apiVersion"] = Rbac + "/v1", ["metadata"] = Meta(name, ns), ["roleRef"] = RoleRef("Role", role),
                ["subjects"] = J.ToArray(subjects),
            });
    }
}
