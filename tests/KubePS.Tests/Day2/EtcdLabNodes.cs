using System.Text;
using KubePS.Tests.Lab;
using KubePS.Tests.LabControlPlane;

namespace KubePS.Tests.Day2;

/// <summary>
/// TEST-ONLY: turns lab nodes into what kubeadm leaves on a stacked-etcd control-plane node, made by hand with openssl
/// (nothing from KubePS): an etcd CA and per-node etcd certificates, a kubeadm-shaped etcd static pod manifest, a
/// kubelet.conf, config.yaml and kubeadm-flags.env, and the lab kubelet started by the lab's systemctl stand-in, which
/// runs the real etcd from the manifest. The second node joins the first's etcd cluster (member add, then
/// initial-cluster-state=existing). Extra node state a reset must clean: a tmpfs under /var/lib/kubelet, CNI config
/// and the links cni0 and flannel.1.
/// </summary>
public sealed class EtcdLabNodes : IDisposable
{
    readonly NodeLab _lab;
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));

    public EtcdLabNodes(NodeLab lab)
    {
        _lab = lab;
        Directory.CreateDirectory(Dir);
        var r = LabTools.Bash("""
            set -e
            openssl req -x509 -new -newkey rsa:2048 -nodes -keyout etcd-ca.key -out etcd-ca.crt -days 3650 -subj /CN=etcd-ca \
              -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign 2>/dev/null
            openssl req -x509 -new -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj /CN=kubernetes \
              -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign 2>/dev/null
            openssl req -new -newkey rsa:2048 -nodes -keyout hc.key -out hc.csr -subj /CN=kube-etcd-healthcheck-client 2>/dev/null
            printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > hc.ext
            openssl x509 -req -in hc.csr -CA etcd-ca.crt -CAkey etcd-ca.key -CAcreateserial -days 365 -extfile hc.ext -out hc.crt 2>/dev/null
            """, workDir: Dir);
        if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
    }

    public string EtcdCa => Path.Combine(Dir, "etcd-ca.crt");
    public string ClientCert => Path.Combine(Dir, "hc.crt");
    public string ClientKey => Path.Combine(Dir, "hc.key");

    void NodeCerts(LabNode n)
    {
        var r = LabTools.Bash($"""
            set -e
            for c in server peer; do
              openssl req -new -newkey rsa:2048 -nodes -keyout {n.Name}-$c.key -out {n.Name}-$c.csr -subj /CN={n.Name} 2>/dev/null
              printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:{n.Name},DNS:localhost,IP:{n.Address},IP:127.0.0.1\n' > {n.Name}.ext
              openssl x509 -req -in {n.Name}-$c.csr -CA etcd-ca.crt -CAkey etcd-ca.key -CAcreateserial -days 365 -extfile {n.Name}.ext -out {n.Name}-$c.crt 2>/dev/null
            done
            openssl req -new -newkey rsa:2048 -nodes -keyout {n.Name}-kubelet.key -out {n.Name}-kubelet.csr -subj "/O=system:nodes/CN=system:node:{n.Name}" 2>/dev/null
            printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > kl.ext
            openssl x509 -req -in {n.Name}-kubelet.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -extfile kl.ext -out {n.Name}-kubelet.crt 2>/dev/null
            """, workDir: Dir);
        if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
    }

    string B64(string file) => Convert.ToBase64String(File.ReadAllBytes(Path.Combine(Dir, file)));

    static string Put(string path, string base64, string mode) =>
        $"mkdir -p \"$(dirname {path})\"; echo '{base64}' | base64 -d > {path}; chmod {mode} {path}\n";

    static string PutText(string path, string text, string mode = "644") => Put(path, Convert.ToBase64String(Encoding.UTF8.GetBytes(text)), mode);

    public static string EtcdManifest(LabNode n, string initialCluster, bool existing) => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          annotations:
            kubeadm.kubernetes.io/etcd.advertise-client-urls: https://{n.Address}:2379
          labels:
            component: etcd
            tier: control-plane
          name: etcd
          namespace: kube-system
        spec:
          containers:
          - command:
            - etcd
            - --advertise-client-urls=https://{n.Address}:2379
            - --cert-file=/etc/kubernetes/pki/etcd/server.crt
            - --client-cert-auth=true
            - --data-dir=/var/lib/etcd
            - --initial-advertise-peer-urls=https://{n.Address}:2380
            - --initial-cluster={initialCluster}
        {(existing ? "    - --initial-cluster-state=existing\n" : "")}    - --key-file=/etc/kubernetes/pki/etcd/server.key
            - --listen-client-urls=https://127.0.0.1:2379,https://{n.Address}:2379
            - --listen-metrics-urls=http://127.0.0.1:2381
            - --listen-peer-urls=https://{n.Address}:2380
            - --name={n.Name}
            - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt
            - --peer-client-cert-auth=true
            - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key
            - --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
            - --snapshot-count=10000
            - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
            image: registry.k8s.io/etcd:3.5.15-0
            name: etcd
          hostNetwork: true
        status: {LabCluster.Braces}

        """;

    /// <summary>Sets up <paramref name="n"/> as a control-plane node running etcd (joining <paramref name="first"/>'s cluster when given) and waits until its etcd is healthy.</summary>
    public async Task StartAsync(LabNode n, LabNode? first = null)
    {
        NodeCerts(n);
        if (first is not null)
        {
            var add = Etcdctl(first, "member", "add", n.Name, $"--peer-urls=https://{n.Address}:2380");
            if (add.ExitCode != 0) throw new InvalidOperationException("member add: " + add);
        }
        string cluster = first is null ? $"{n.Name}=https://{n.Address}:2380" : $"{first.Name}=https://{first.Address}:2380,{n.Name}=https://{n.Address}:2380";
        var kubeletConf = $"""
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: {B64("ca.crt")}
                server: https://127.0.0.1:6443
              name: kubernetes
            contexts:
            - context:
                cluster: kubernetes
                user: system:node:{n.Name}
              name: system:node:{n.Name}@kubernetes
            current-context: system:node:{n.Name}@kubernetes
            kind: Config
            users:
            - name: system:node:{n.Name}
              user:
                client-certificate-data: {B64(n.Name + "-kubelet.crt")}
                client-key-data: {B64(n.Name + "-kubelet.key")}
            """;
        var script = new StringBuilder("set -e\n");
        script.Append(Put("/etc/kubernetes/pki/etcd/ca.crt", B64("etcd-ca.crt"), "644"));
        script.Append(Put("/etc/kubernetes/pki/etcd/ca.key", B64("etcd-ca.key"), "600"));
        script.Append(Put("/etc/kubernetes/pki/etcd/healthcheck-client.crt", B64("hc.crt"), "644"));
        script.Append(Put("/etc/kubernetes/pki/etcd/healthcheck-client.key", B64("hc.key"), "600"));
        foreach (var c in new[] { "server", "peer" })
        {
            script.Append(Put($"/etc/kubernetes/pki/etcd/{c}.crt", B64($"{n.Name}-{c}.crt"), "644"));
            script.Append(Put($"/etc/kubernetes/pki/etcd/{c}.key", B64($"{n.Name}-{c}.key"), "600"));
        }
        script.Append(Put("/etc/kubernetes/pki/ca.crt", B64("ca.crt"), "644"));
        script.Append(PutText("/etc/kubernetes/kubelet.conf", kubeletConf, "600"));
        script.Append(PutText("/etc/kubernetes/manifests/etcd.yaml", EtcdManifest(n, cluster, first is not null)));
        script.Append(PutText("/var/lib/kubelet/config.yaml", LabCluster.KubeletConfig("/etc/kubernetes/manifests", "/etc/kubernetes/pki/ca.crt", 10248)));
        script.Append(PutText("/var/lib/kubelet/kubeadm-flags.env",
            $"KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --hostname-override={n.Name} --node-ip={n.Address}\"\n"));
        script.Append(PutText("/etc/lab-systemd/env", $"LAB_KUBELET=\"{LabTools.LabExe} kubelet\"\nLAB_KUBELET_FLAGS=\"--lab-backoff-base=1s\"\nLAB_RESTART_SEC=1\n"));
        script.Append(PutText("/etc/cni/net.d/10-flannel.conflist", """{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel"}]}"""));
        script.Append($"""
            mkdir -p /usr/local/sbin /var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/cache /var/lib/cni/networks/cbr0
            echo 10.244.0.2 > /var/lib/cni/networks/cbr0/last_reserved_ip.0
            mount -t tmpfs kubeps-test-emptydir /var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/cache
            echo data > /var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/cache/file
            ip link add cni0 type bridge
            ip link add flannel.1 type vxlan id 1 dstport 8472
            ln -sf {LabTools.SystemctlShim} /usr/local/sbin/systemctl
            systemctl enable --now kubelet

            """);
        (await _lab.ExecAsync(n, script.ToString())).EnsureSuccess($"control-plane setup of {n}");
        LabTools.WaitFor($"etcd on {n}", TimeSpan.FromSeconds(60), () =>
        {
            var h = Etcdctl(n, "endpoint", "health");
            return (h.ExitCode == 0, h + "\n" + _lab.ExecAsync(n, "tail -n 20 /var/log/kubelet.log; ls /var/log/pods/*/etcd/ 2>/dev/null | head; tail -n 20 /var/log/pods/*/etcd/*.log 2>/dev/null").Result.Output);
        });
    }

    public ToolResult Etcdctl(LabNode n, params string[] args) => LabTools.Run("etcdctl",
        ["--endpoints", $"https://{n.Address}:2379", "--cacert", EtcdCa, "--cert", ClientCert, "--key", ClientKey, .. args],
        new Dictionary<string, string> { ["ETCDCTL_API"] = "3" }, timeout: TimeSpan.FromSeconds(30));

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
