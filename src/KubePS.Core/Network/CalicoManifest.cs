using System.Text.Json.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Network;

/// <summary>
/// Calico in the shape of its manifest install (calico.yaml: Kubernetes API datastore, no Typha, BGP with IP-in-IP),
/// written for KubePS, not the tigera-operator install. Why the manifest: it is what the kubeadm guides apply, every
/// object and image is in the manifest itself (so the pod network and an image mirror are applied right here, with
/// nothing rendered later by an operator), and it needs no operator CRDs. What is rendered: the calico-config
/// ConfigMap (backend bird, MTU auto-detected, the CNI conflist: calico with calico-ipam and the k8s policy plugin,
/// plus portmap), Calico's CustomResourceDefinitions, the RBAC of calico-node, calico-kube-controllers and (3.26+)
/// calico-cni-plugin, the calico-node DaemonSet (init containers upgrade-ipam and install-cni; CALICO_IPV4POOL_CIDR =
/// the pod network, IP-in-IP Always, VXLAN Never) and the calico-kube-controllers Deployment (with its
/// PodDisruptionBudget on 1.21+). What is not: Typha, the eBPF dataplane (no bpffs mount), the flexvolume driver
/// for application-layer policy, Windows nodes, the Calico API server; and the CRDs carry an open schema
/// (x-kubernetes-preserve-unknown-fields) instead of Calico's generated OpenAPI schemas, so the API server stores
/// Calico's resources without validating or defaulting their fields.
/// </summary>
public static class CalicoManifest
{
    public const string DefaultRepository = "docker.io/calico";

    /// <summary>A Calico CRD: kind, API group and version, namespaced or not, and the first Calico minor that ships it.</summary>
    internal sealed record Crd(string Kind, bool Namespaced, int SinceMinor, string Group = "crd.projectcalico.org", string Version = "v1", bool Status = false)
    {
        public string Plural => Kind.ToLowerInvariant() switch
        {
            var k when k.EndsWith("y", StringComparison.Ordinal) => k[..^1] + "ies",
            var k when k.EndsWith("s", StringComparison.Ordinal) => k + "es",
            var k => k + "s",
        };
    }

    /// <summary>The CRDs of calico.yaml by Calico minor (the boundaries of the later additions are unverified; see catalog.json "_networkPlugins").</summary>
    internal static readonly IReadOnlyList<Crd> Crds =
    [
        new("BGPConfiguration", false, 18), new("BGPPeer", false, 18), new("BlockAffinity", false, 18), new("ClusterInformation", false, 18),
        new("FelixConfiguration", false, 18), new("GlobalNetworkPolicy", false, 18), new("GlobalNetworkSet", false, 18), new("HostEndpoint", false, 18),
        new("IPAMBlock", false, 18), new("IPAMConfig", false, 18), new("IPAMHandle", false, 18), new("IPPool", false, 18),
        new("KubeControllersConfiguration", false, 18), new("NetworkPolicy", true, 18), new("NetworkSet", true, 18),
        new("CalicoNodeStatus", false, 22), new("IPReservation", false, 22),
        new("BGPFilter", false, 25),
        new("Tier", false, 28),
        new("AdminNetworkPolicy", false, 28, "policy.networking.k8s.io", "v1alpha1", Status: true),
        new("BaselineAdminNetworkPolicy", false, 29, "policy.networking.k8s.io", "v1alpha1", Status: true),
        new("StagedGlobalNetworkPolicy", false, 30), new("StagedKubernetesNetworkPolicy", true, 30), new("StagedNetworkPolicy", true, 30),
    ];

    static int Minor(string version) => KubeVersion.Parse(version).Minor;

    static JsonObject CrdObject(Crd c) => new()
    {
        ["apiVersion"] = "apiextensions.k8s.io/v1",
        ["kind"] = "CustomResourceDefinition",
        ["metadata"] = new JsonObject { ["name"] = $"{c.Plural}.{c.Group}" },
        ["spec"] = new JsonObject
        {
            ["group"] = c.Group,
            ["names"] = new JsonObject { ["kind"] = c.Kind, ["listKind"] = c.Kind + "List", ["plural"] = c.Plural, ["singular"] = c.Kind.ToLowerInvariant() },
            ["scope"] = c.Namespaced ? "Namespaced" : "Cluster",
            ["versions"] = new JsonArray(new JsonObject
            {
                ["name"] = c.Version,
                ["served"] = true,
                ["storage"] = true,
                ["schema"] = new JsonObject { ["openAPIV3Schema"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true } },
                ["subresources"] = c.Status ? new JsonObject { ["status"] = new JsonObject() } : null,
            }),
        },
    };

    public static NetworkPluginManifest Render(ReleaseInfo release, string podSubnet, string? imageRepository)
    {
        var version = release.NetworkPlugins.Calico;
        int calico = Minor(version);
        string cni = NetworkPlugins.Image(imageRepository, DefaultRepository, "cni", version);
        string node = NetworkPlugins.Image(imageRepository, DefaultRepository, "node", version);
        string controllers = NetworkPlugins.Image(imageRepository, DefaultRepository, "kube-controllers", version);
        bool cniPluginAccount = calico >= 26;
        var crds = Crds.Where(c => c.SinceMinor <= calico).ToList();
        string crdResources = string.Join(", ", crds.Where(c => c.Group == "crd.projectcalico.org").Select(c => c.Plural));
        string anp = string.Join(", ", crds.Where(c => c.Group == "policy.networking.k8s.io").Select(c => c.Plural));

        const string cniConf = """
            {
              "name": "k8s-pod-network",
              "cniVersion": "0.3.1",
              "plugins": [
                {
                  "type": "calico",
                  "log_level": "info",
                  "log_file_path": "/var/log/calico/cni/cni.log",
                  "datastore_type": "kubernetes",
                  "nodename": "__KUBERNETES_NODE_NAME__",
                  "mtu": __CNI_MTU__,
                  "ipam": {
                    "type": "calico-ipam"
                  },
                  "policy": {
                    "type": "k8s"
                  },
                  "kubernetes": {
                    "kubeconfig": "__KUBECONFIG_FILEPATH__"
                  }
                },
                {
                  "type": "portmap",
                  "snat": true,
                  "capabilities": {
                    "portMappings": true
                  }
                }
              ]
            }
            """;

        string yaml = $$"""
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: calico-kube-controllers
              namespace: kube-system
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: calico-node
              namespace: kube-system
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: calico-kube-controllers
            rules:
            - apiGroups: [""]
              resources: [nodes]
              verbs: [watch, list, get]
            - apiGroups: [""]
              resources: [pods]
              verbs: [get, list, watch]
            - apiGroups: [crd.projectcalico.org]
              resources: [ipreservations]
              verbs: [list]
            - apiGroups: [crd.projectcalico.org]
              resources: [blockaffinities, ipamblocks, ipamhandles]
              verbs: [get, list, create, update, delete, watch]
            - apiGroups: [crd.projectcalico.org]
              resources: [ippools]
              verbs: [list, watch]
            - apiGroups: [crd.projectcalico.org]
              resources: [hostendpoints]
              verbs: [get, list, create, update, delete]
            - apiGroups: [crd.projectcalico.org]
              resources: [clusterinformations]
              verbs: [get, list, create, update, watch]
            - apiGroups: [crd.projectcalico.org]
              resources: [kubecontrollersconfigurations]
              verbs: [get, create, update, watch]
            - apiGroups: [crd.projectcalico.org]
              resources: [tiers]
              verbs: [get, list, watch, create]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: calico-node
            rules:
            - apiGroups: [""]
              resources: [pods, nodes, namespaces]
              verbs: [get]
            - apiGroups: [discovery.k8s.io]
              resources: [endpointslices]
              verbs: [watch, list]
            - apiGroups: [""]
              resources: [endpoints, services]
              verbs: [watch, list, get]
            - apiGroups: [""]
              resources: [configmaps]
              verbs: [get]
            - apiGroups: [""]
              resources: [nodes/status]
              verbs: [patch, update]
            - apiGroups: [networking.k8s.io]
              resources: [networkpolicies]
              verbs: [watch, list]
            - apiGroups: [""]
              resources: [pods, namespaces, serviceaccounts]
              verbs: [list, watch]
            - apiGroups: [""]
              resources: [pods/status]
              verbs: [patch]
            - apiGroups: [crd.projectcalico.org]
              resources: [{{crdResources}}]
              verbs: [get, list, watch]
            - apiGroups: [crd.projectcalico.org]
              resources: [ippools, felixconfigurations, clusterinformations]
              verbs: [create, update]
            - apiGroups: [crd.projectcalico.org]
              resources: [caliconodestatuses]
              verbs: [update]
            - apiGroups: [""]
              resources: [nodes]
              verbs: [get, list, watch]
            - apiGroups: [crd.projectcalico.org]
              resources: [bgpconfigurations, bgppeers]
              verbs: [create, update]
            - apiGroups: [crd.projectcalico.org]
              resources: [blockaffinities, ipamblocks, ipamhandles]
              verbs: [get, list, create, update, delete]
            - apiGroups: [crd.projectcalico.org]
              resources: [ipamconfigs]
              verbs: [get, create]
            - apiGroups: [crd.projectcalico.org]
              resources: [blockaffinities]
              verbs: [watch]
            - apiGroups: [apps]
              resources: [daemonsets]
              verbs: [get]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: calico-kube-controllers
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: ClusterRole
              name: calico-kube-controllers
            subjects:
            - kind: ServiceAccount
              name: calico-kube-controllers
              namespace: kube-system
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: calico-node
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: ClusterRole
              name: calico-node
            subjects:
            - kind: ServiceAccount
              name: calico-node
              namespace: kube-system
            ---
            apiVersion: apps/v1
            kind: DaemonSet
            metadata:
              name: calico-node
              namespace: kube-system
              labels:
                k8s-app: calico-node
            spec:
              selector:
                matchLabels:
                  k8s-app: calico-node
              updateStrategy:
                type: RollingUpdate
                rollingUpdate:
                  maxUnavailable: 1
              template:
                metadata:
                  labels:
                    k8s-app: calico-node
                spec:
                  nodeSelector:
                    kubernetes.io/os: linux
                  hostNetwork: true
                  tolerations:
                  - effect: NoSchedule
                    operator: Exists
                  - key: CriticalAddonsOnly
                    operator: Exists
                  - effect: NoExecute
                    operator: Exists
                  serviceAccountName: calico-node
                  terminationGracePeriodSeconds: 0
                  priorityClassName: system-node-critical
                  initContainers:
                  - name: upgrade-ipam
                    image: "{{cni}}"
                    command: [/opt/cni/bin/calico-ipam, -upgrade]
                    envFrom:
                    - configMapRef:
                        name: kubernetes-services-endpoint
                        optional: true
                    env:
                    - name: KUBERNETES_NODE_NAME
                      valueFrom:
                        fieldRef:
                          fieldPath: spec.nodeName
                    - name: CALICO_NETWORKING_BACKEND
                      valueFrom:
                        configMapKeyRef:
                          name: calico-config
                          key: calico_backend
                    volumeMounts:
                    - mountPath: /var/lib/cni/networks
                      name: host-local-net-dir
                    - mountPath: /host/opt/cni/bin
                      name: cni-bin-dir
                    securityContext:
                      privileged: true
                  - name: install-cni
                    image: "{{cni}}"
                    command: [/opt/cni/bin/install]
                    envFrom:
                    - configMapRef:
                        name: kubernetes-services-endpoint
                        optional: true
                    env:
                    - name: CNI_CONF_NAME
                      value: 10-calico.conflist
                    - name: CNI_NETWORK_CONFIG
                      valueFrom:
                        configMapKeyRef:
                          name: calico-config
                          key: cni_network_config
                    - name: KUBERNETES_NODE_NAME
                      valueFrom:
                        fieldRef:
                          fieldPath: spec.nodeName
                    - name: CNI_MTU
                      valueFrom:
                        configMapKeyRef:
                          name: calico-config
                          key: veth_mtu
                    - name: SLEEP
                      value: "false"
                    volumeMounts:
                    - mountPath: /host/opt/cni/bin
                      name: cni-bin-dir
                    - mountPath: /host/etc/cni/net.d
                      name: cni-net-dir
                    securityContext:
                      privileged: true
                  containers:
                  - name: calico-node
                    image: "{{node}}"
                    envFrom:
                    - configMapRef:
                        name: kubernetes-services-endpoint
                        optional: true
                    env:
                    - name: DATASTORE_TYPE
                      value: kubernetes
                    - name: WAIT_FOR_DATASTORE
                      value: "true"
                    - name: NODENAME
                      valueFrom:
                        fieldRef:
                          fieldPath: spec.nodeName
                    - name: CALICO_NETWORKING_BACKEND
                      valueFrom:
                        configMapKeyRef:
                          name: calico-config
                          key: calico_backend
                    - name: CLUSTER_TYPE
                      value: k8s,bgp
                    - name: IP
                      value: autodetect
                    - name: CALICO_IPV4POOL_CIDR
                      value: "{{podSubnet}}"
                    - name: CALICO_IPV4POOL_IPIP
                      value: Always
                    - name: CALICO_IPV4POOL_VXLAN
                      value: Never
                    - name: CALICO_IPV6POOL_VXLAN
                      value: Never
                    - name: FELIX_IPINIPMTU
                      valueFrom:
                        configMapKeyRef:
                          name: calico-config
                          key: veth_mtu
                    - name: FELIX_VXLANMTU
                      valueFrom:
                        configMapKeyRef:
                          name: calico-config
                          key: veth_mtu
                    - name: FELIX_WIREGUARDMTU
                      valueFrom:
                        configMapKeyRef:
                          name: calico-config
                          key: veth_mtu
                    - name: CALICO_DISABLE_FILE_LOGGING
                      value: "true"
                    - name: FELIX_DEFAULTENDPOINTTOHOSTACTION
                      value: ACCEPT
                    - name: FELIX_IPV6SUPPORT
                      value: "false"
                    - name: FELIX_HEALTHENABLED
                      value: "true"
                    securityContext:
                      privileged: true
                    resources:
                      requests:
                        cpu: 250m
                    lifecycle:
                      preStop:
                        exec:
                          command: [/bin/calico-node, -shutdown]
                    livenessProbe:
                      exec:
                        command: [/bin/calico-node, -felix-live, -bird-live]
                      periodSeconds: 10
                      initialDelaySeconds: 10
                      failureThreshold: 6
                      timeoutSeconds: 10
                    readinessProbe:
                      exec:
                        command: [/bin/calico-node, -felix-ready, -bird-ready]
                      periodSeconds: 10
                      timeoutSeconds: 10
                    volumeMounts:
                    - mountPath: /host/etc/cni/net.d
                      name: cni-net-dir
                      readOnly: false
                    - mountPath: /lib/modules
                      name: lib-modules
                      readOnly: true
                    - mountPath: /run/xtables.lock
                      name: xtables-lock
                      readOnly: false
                    - mountPath: /var/run/calico
                      name: var-run-calico
                      readOnly: false
                    - mountPath: /var/lib/calico
                      name: var-lib-calico
                      readOnly: false
                    - name: policysync
                      mountPath: /var/run/nodeagent
                    - name: cni-log-dir
                      mountPath: /var/log/calico/cni
                      readOnly: true
                  volumes:
                  - name: lib-modules
                    hostPath:
                      path: /lib/modules
                  - name: var-run-calico
                    hostPath:
                      path: /var/run/calico
                      type: DirectoryOrCreate
                  - name: var-lib-calico
                    hostPath:
                      path: /var/lib/calico
                      type: DirectoryOrCreate
                  - name: xtables-lock
                    hostPath:
                      path: /run/xtables.lock
                      type: FileOrCreate
                  - name: cni-bin-dir
                    hostPath:
                      path: /opt/cni/bin
                      type: DirectoryOrCreate
                  - name: cni-net-dir
                    hostPath:
                      path: /etc/cni/net.d
                  - name: cni-log-dir
                    hostPath:
                      path: /var/log/calico/cni
                  - name: host-local-net-dir
                    hostPath:
                      path: /var/lib/cni/networks
                  - name: policysync
                    hostPath:
                      type: DirectoryOrCreate
                      path: /var/run/nodeagent
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: calico-kube-controllers
              namespace: kube-system
              labels:
                k8s-app: calico-kube-controllers
            spec:
              replicas: 1
              selector:
                matchLabels:
                  k8s-app: calico-kube-controllers
              strategy:
                type: Recreate
              template:
                metadata:
                  name: calico-kube-controllers
                  namespace: kube-system
                  labels:
                    k8s-app: calico-kube-controllers
                spec:
                  nodeSelector:
                    kubernetes.io/os: linux
                  tolerations:
                  - key: CriticalAddonsOnly
                    operator: Exists
                  - key: node-role.kubernetes.io/master
                    effect: NoSchedule
                  - key: node-role.kubernetes.io/control-plane
                    effect: NoSchedule
                  serviceAccountName: calico-kube-controllers
                  priorityClassName: system-cluster-critical
                  containers:
                  - name: calico-kube-controllers
                    image: "{{controllers}}"
                    env:
                    - name: ENABLED_CONTROLLERS
                      value: node
                    - name: DATASTORE_TYPE
                      value: kubernetes
                    livenessProbe:
                      exec:
                        command: [/usr/bin/check-status, -l]
                      periodSeconds: 10
                      initialDelaySeconds: 10
                      failureThreshold: 6
                      timeoutSeconds: 10
                    readinessProbe:
                      exec:
                        command: [/usr/bin/check-status, -r]
                      periodSeconds: 10
            """;
        var objects = NetworkPlugins.Documents(yaml, "the Calico manifest");
        var configMap = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "calico-config", ["namespace"] = "kube-system" },
            ["data"] = new JsonObject
            {
                ["typha_service_name"] = "none",
                ["calico_backend"] = "bird",
                ["veth_mtu"] = "0",
                ["cni_network_config"] = cniConf,
            },
        };
        var result = new List<JsonObject>();
        result.AddRange(crds.Select(CrdObject));
        result.Add(configMap);
        result.AddRange(objects);
        var nodeRole = result.First(o => (string?)o["kind"] == "ClusterRole" && (string?)o["metadata"]!["name"] == "calico-node");
        if (anp.Length > 0)
            ((JsonArray)nodeRole["rules"]!).Add(new JsonObject
            {
                ["apiGroups"] = new JsonArray("policy.networking.k8s.io"),
                ["resources"] = new JsonArray(anp.Split(", ").Select(r => (JsonNode?)JsonValue.Create(r)).ToArray()),
                ["verbs"] = new JsonArray("watch", "list"),
            });
        if (cniPluginAccount)
        {
            // 3.26+: the CNI plugin authenticates as calico-cni-plugin, whose token calico-node requests for it.
            ((JsonArray)nodeRole["rules"]!).Add(new JsonObject
            {
                ["apiGroups"] = new JsonArray(""), ["resources"] = new JsonArray("serviceaccounts/token"),
                ["resourceNames"] = new JsonArray("calico-cni-plugin"), ["verbs"] = new JsonArray("create"),
            });
            result.InsertRange(result.IndexOf(nodeRole) + 1, NetworkPlugins.Documents("""
                apiVersion: v1
                kind: ServiceAccount
                metadata:
                  name: calico-cni-plugin
                  namespace: kube-system
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRole
                metadata:
                  name: calico-cni-plugin
                rules:
                - apiGroups: [""]
                  resources: [pods, nodes, namespaces]
                  verbs: [get]
                - apiGroups: [""]
                  resources: [pods/status]
                  verbs: [patch]
                - apiGroups: [crd.projectcalico.org]
                  resources: [blockaffinities, ipamblocks, ipamhandles, clusterinformations, ippools, ipreservations, ipamconfigs]
                  verbs: [get, list, create, update, delete]
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRoleBinding
                metadata:
                  name: calico-cni-plugin
                roleRef:
                  apiGroup: rbac.authorization.k8s.io
                  kind: ClusterRole
                  name: calico-cni-plugin
                subjects:
                - kind: ServiceAccount
                  name: calico-cni-plugin
                  namespace: kube-system
                """, "the Calico CNI plugin's RBAC"));
        }
        if (release.Minor.Minor >= 21)
            result.AddRange(NetworkPlugins.Documents("""
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata:
                  name: calico-kube-controllers
                  namespace: kube-system
                  labels:
                    k8s-app: calico-kube-controllers
                spec:
                  maxUnavailable: 1
                  selector:
                    matchLabels:
                      k8s-app: calico-kube-controllers
                """, "the Calico PodDisruptionBudget"));
        return new NetworkPluginManifest(NetworkPluginKind.Calico, version, [cni, node, controllers], result, podSubnet);
    }
}
