using System.Text.Json.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Network;

/// <summary>
/// flannel in the shape of its kube-flannel.yml, written for KubePS: namespace kube-flannel (privileged pod security),
/// ServiceAccount, ClusterRole and binding (read pods and nodes, patch node status), the kube-flannel-cfg ConfigMap
/// (the CNI conflist: flannel delegating to the bridge plugin with hairpin mode and a default gateway, plus portmap;
/// net-conf.json: the pod network with the vxlan backend) and the kube-flannel-ds DaemonSet on Linux nodes (host
/// network, tolerates every NoSchedule taint; init containers copy the flannel CNI binary to /opt/cni/bin and the
/// conflist to /etc/cni/net.d; flanneld --ip-masq --kube-subnet-mgr takes each node's podCIDR from the Node, so the
/// controller-manager must allocate node CIDRs from the same pod network, which kubeadm does when podSubnet is set).
/// </summary>
public static class FlannelManifest
{
    public const string DefaultRepository = "docker.io/flannel";

    public static NetworkPluginManifest Render(ReleaseInfo release, string podSubnet, string? imageRepository)
    {
        var v = release.NetworkPlugins;
        string flannel = NetworkPlugins.Image(imageRepository, DefaultRepository, "flannel", v.Flannel);
        string cniPlugin = NetworkPlugins.Image(imageRepository, DefaultRepository, "flannel-cni-plugin", v.FlannelCniPlugin);
        var netConf = new JsonObject
        {
            ["Network"] = podSubnet,
            ["Backend"] = new JsonObject { ["Type"] = "vxlan" },
        }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        const string cniConf = """
            {
              "name": "cbr0",
              "cniVersion": "0.3.1",
              "plugins": [
                {
                  "type": "flannel",
                  "delegate": {
                    "hairpinMode": true,
                    "isDefaultGateway": true
                  }
                },
                {
                  "type": "portmap",
                  "capabilities": {
                    "portMappings": true
                  }
                }
              ]
            }
            """;
        string yaml = $$"""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: kube-flannel
              labels:
                k8s-app: flannel
                pod-security.kubernetes.io/enforce: privileged
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: flannel
              namespace: kube-flannel
              labels:
                k8s-app: flannel
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: flannel
              labels:
                k8s-app: flannel
            rules:
            - apiGroups: [""]
              resources: [pods]
              verbs: [get]
            - apiGroups: [""]
              resources: [nodes]
              verbs: [get, list, watch]
            - apiGroups: [""]
              resources: [nodes/status]
              verbs: [patch]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: flannel
              labels:
                k8s-app: flannel
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: ClusterRole
              name: flannel
            subjects:
            - kind: ServiceAccount
              name: flannel
              namespace: kube-flannel
            ---
            apiVersion: apps/v1
            kind: DaemonSet
            metadata:
              name: kube-flannel-ds
              namespace: kube-flannel
              labels:
                app: flannel
                k8s-app: flannel
                tier: node
            spec:
              selector:
                matchLabels:
                  app: flannel
                  k8s-app: flannel
              template:
                metadata:
                  labels:
                    app: flannel
                    k8s-app: flannel
                    tier: node
                spec:
                  affinity:
                    nodeAffinity:
                      requiredDuringSchedulingIgnoredDuringExecution:
                        nodeSelectorTerms:
                        - matchExpressions:
                          - key: kubernetes.io/os
                            operator: In
                            values: [linux]
                  hostNetwork: true
                  priorityClassName: system-node-critical
                  serviceAccountName: flannel
                  tolerations:
                  - operator: Exists
                    effect: NoSchedule
                  initContainers:
                  - name: install-cni-plugin
                    image: "{{cniPlugin}}"
                    command: [cp]
                    args: [-f, /flannel, /opt/cni/bin/flannel]
                    volumeMounts:
                    - name: cni-plugin
                      mountPath: /opt/cni/bin
                  - name: install-cni
                    image: "{{flannel}}"
                    command: [cp]
                    args: [-f, /etc/kube-flannel/cni-conf.json, /etc/cni/net.d/10-flannel.conflist]
                    volumeMounts:
                    - name: cni
                      mountPath: /etc/cni/net.d
                    - name: flannel-cfg
                      mountPath: /etc/kube-flannel/
                  containers:
                  - name: kube-flannel
                    image: "{{flannel}}"
                    command: [/opt/bin/flanneld]
                    args: [--ip-masq, --kube-subnet-mgr]
                    resources:
                      requests:
                        cpu: 100m
                        memory: 50Mi
                    securityContext:
                      privileged: false
                      capabilities:
                        add: [NET_ADMIN, NET_RAW]
                    env:
                    - name: POD_NAME
                      valueFrom:
                        fieldRef:
                          fieldPath: metadata.name
                    - name: POD_NAMESPACE
                      valueFrom:
                        fieldRef:
                          fieldPath: metadata.namespace
                    - name: EVENT_QUEUE_DEPTH
                      value: "5000"
                    volumeMounts:
                    - name: run
                      mountPath: /run/flannel
                    - name: flannel-cfg
                      mountPath: /etc/kube-flannel/
                    - name: xtables-lock
                      mountPath: /run/xtables.lock
                  volumes:
                  - name: run
                    hostPath:
                      path: /run/flannel
                  - name: cni-plugin
                    hostPath:
                      path: /opt/cni/bin
                  - name: cni
                    hostPath:
                      path: /etc/cni/net.d
                  - name: flannel-cfg
                    configMap:
                      name: kube-flannel-cfg
                  - name: xtables-lock
                    hostPath:
                      path: /run/xtables.lock
                      type: FileOrCreate
            """;
        var objects = NetworkPlugins.Documents(yaml, "the flannel manifest");
        // The ConfigMap carries JSON documents as strings: built here, not in the YAML text.
        var configMap = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "kube-flannel-cfg", ["namespace"] = "kube-flannel", ["labels"] = new JsonObject { ["app"] = "flannel", ["k8s-app"] = "flannel", ["tier"] = "node" } },
            ["data"] = new JsonObject { ["cni-conf.json"] = cniConf + "\n", ["net-conf.json"] = netConf + "\n" },
        };
        objects.Insert(objects.FindIndex(o => (string?)o["kind"] == "DaemonSet"), configMap);
        return new NetworkPluginManifest(NetworkPluginKind.Flannel, v.Flannel, [cniPlugin, flannel], objects, podSubnet);
    }
}
