namespace KubePS.Tests.Lab;

/// <summary>
/// What kubeadm init's bootstrap-token phase leaves in a cluster (kubeadm-facts §5.2), written by hand as YAML for the
/// lab control plane's tests to apply with kubectl: nothing of it comes from KubePS.
/// </summary>
public static class KubeadmInitObjects
{
    /// <summary>kube-public/cluster-info: one cluster named "" with the server and CA, as kubeadm writes it.</summary>
    public static string ClusterInfo(string server, string caB64) => $$"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cluster-info
          namespace: kube-public
        data:
          kubeconfig: |
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: {{caB64}}
                server: {{server}}
              name: ""
            contexts: null
            current-context: ""
            kind: Config
            preferences: {}
            users: null
        """;

    /// <summary>A bootstrap token Secret as kubeadm stores it; <paramref name="groups"/> null leaves auth-extra-groups out.</summary>
    public static string TokenSecret(string id, string secret, string expiration = "2099-01-01T00:00:00Z", string usages = "true",
        string? groups = "system:bootstrappers:kubeadm:default-node-token") => $"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: bootstrap-token-{id}
          namespace: kube-system
        type: bootstrap.kubernetes.io/token
        stringData:
          token-id: {id}
          token-secret: {secret}
          expiration: "{expiration}"
          usage-bootstrap-authentication: "{usages}"
          usage-bootstrap-signing: "{usages}"
        {(groups is null ? "" : $"  auth-extra-groups: {groups}\n")}
        """;

    /// <summary>kubeadm's bootstrap RBAC: token kubelets bootstrap and get their CSRs approved, anonymous clients read cluster-info.</summary>
    public const string BootstrapRbac = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: "kubeadm:kubelet-bootstrap"}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:node-bootstrapper"}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:bootstrappers:kubeadm:default-node-token"}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: "kubeadm:node-autoapprove-bootstrap"}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:certificates.k8s.io:certificatesigningrequests:nodeclient"}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:bootstrappers:kubeadm:default-node-token"}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: "kubeadm:node-autoapprove-certificate-rotation"}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient"}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:nodes"}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: "kubeadm:bootstrap-signer-clusterinfo", namespace: kube-public}
        rules: [{apiGroups: [""], resources: [configmaps], resourceNames: [cluster-info], verbs: [get]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: "kubeadm:bootstrap-signer-clusterinfo", namespace: kube-public}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: "kubeadm:bootstrap-signer-clusterinfo"}
        subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:anonymous"}]
        """;
}
