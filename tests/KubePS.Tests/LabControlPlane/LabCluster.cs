namespace KubePS.Tests.LabControlPlane;

/// <summary>
/// One lab control-plane node on loopback, made by hand (openssl certificates, kubeadm-shaped manifests and
/// kubeconfigs; nothing from KubePS) under a unique temp root, and started the way a node starts it: the lab's
/// systemctl stand-in starts the lab kubelet, which runs the static pods (real etcd, the stand-in control plane).
/// Dispose stops everything that mentions the root and removes it.
/// </summary>
public sealed class LabCluster : IDisposable
{
    public string Root { get; }
    public string Pki => Path.Combine(Root, "etc/kubernetes/pki");
    public string Manifests => Path.Combine(Root, "etc/kubernetes/manifests");
    public string AdminConf => Path.Combine(Root, "etc/kubernetes/admin.conf");
    public int EtcdPort { get; } = LabTools.FreePort();
    public int EtcdPeerPort { get; } = LabTools.FreePort();
    public int EtcdMetricsPort { get; } = LabTools.FreePort();
    public int ApiPort { get; } = LabTools.FreePort();
    public int KcmPort { get; } = LabTools.FreePort();
    public int SchedulerPort { get; } = LabTools.FreePort();
    public int KubeletHealthPort { get; } = LabTools.FreePort();
    public string NodeName => "lab-cp1";
    public string Server => $"https://127.0.0.1:{ApiPort}";
    /// <summary>The control plane's version (image tags): /usr/bin/kubectl dispatches to kubectl 1.32 for it.</summary>
    public const string Braces = "{}";

    public const string Version = "v1.32.4";
    readonly Dictionary<string, string> _shimEnv;

    /// <summary>The controller-manager's --controllers (kubeadm's clusters: every default one plus bootstrapsigner and tokencleaner).</summary>
    public string Controllers { get; } = "*,bootstrapsigner,tokencleaner";

    public LabCluster() : this(null) { }

    /// <summary>A lab control plane whose controller-manager runs <paramref name="controllers"/> (null: kubeadm's set).</summary>
    internal LabCluster(string? controllers)
    {
        if (controllers is not null) Controllers = controllers;
        Root = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        _shimEnv = new() { ["LAB_ROOT"] = Root };
        try
        {
            MakePki();
            WriteKubeconfigs();
            WriteManifests();
            WriteKubeletFiles();
            var r = LabTools.Run(LabTools.SystemctlShim, ["enable", "--now", "kubelet"], _shimEnv, timeout: TimeSpan.FromSeconds(20));
            if (r.ExitCode != 0) throw new InvalidOperationException("systemctl enable --now kubelet failed: " + r);
            LabTools.WaitFor("the API server to be ready", TimeSpan.FromSeconds(60), () =>
            {
                var k = Kubectl("get", "--raw", "/readyz");
                return (k.ExitCode == 0 && k.Stdout.Trim() == "ok", k.All + "\n--- kubelet log ---\n" + Tail("var/log/kubelet.log"));
            });
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Tail(string rel, int lines = 30)
    {
        var p = Path.Combine(Root, rel);
        return File.Exists(p) ? string.Join('\n', File.ReadAllLines(p).TakeLast(lines)) : "(no " + rel + ")";
    }

    public ToolResult Openssl(string script) => LabTools.Bash(script, workDir: Pki);

    // ---------------------------------------------------------------- PKI (openssl only)

    const string LeafFn = """
        leaf() { # name subject eku [san] [ca-prefix]
          openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
          printf "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=$3\n" > "$1.ext"
          [ -n "$4" ] && printf "subjectAltName=$4\n" >> "$1.ext"
          openssl x509 -req -in "$1.csr" -CA "${5:-ca}.crt" -CAkey "${5:-ca}.key" -CAcreateserial -out "$1.crt" -days 365 -extfile "$1.ext" 2>/dev/null
          chmod 600 "$1.key"; rm -f "$1.csr" "$1.ext"
        }
        ca() { # prefix cn
          openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.crt" -days 3650 -subj "/CN=$2" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign 2>/dev/null
        }
        set -e
        """;

    void MakePki()
    {
        Directory.CreateDirectory(Path.Combine(Pki, "etcd"));
        var script = LeafFn + "\n" + $"""
            ca ca kubernetes
            ca front-proxy-ca front-proxy-ca
            leaf apiserver /CN=kube-apiserver serverAuth "DNS:{NodeName},DNS:kubernetes,DNS:kubernetes.default,DNS:localhost,IP:10.96.0.1,IP:127.0.0.1"
            leaf apiserver-kubelet-client "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" clientAuth
            leaf front-proxy-client /CN=front-proxy-client clientAuth "" front-proxy-ca
            leaf admin "/O=system:masters/CN=kubernetes-admin" clientAuth
            leaf controller-manager /CN=system:kube-controller-manager clientAuth
            leaf scheduler /CN=system:kube-scheduler clientAuth
            leaf kubelet "/O=system:nodes/CN=system:node:{NodeName}" clientAuth
            openssl genrsa -out sa.key 2048 2>/dev/null; openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null; chmod 600 sa.key
            cd etcd
            ca ca etcd-ca
            leaf server /CN={NodeName} serverAuth,clientAuth "DNS:{NodeName},DNS:localhost,IP:127.0.0.1"
            leaf peer /CN={NodeName} serverAuth,clientAuth "DNS:{NodeName},DNS:localhost,IP:127.0.0.1"
            leaf healthcheck-client /CN=kube-etcd-healthcheck-client clientAuth
            cd ..
            leaf apiserver-etcd-client /CN=kube-apiserver-etcd-client clientAuth "" etcd/ca
            mkdir -p other && cd other
            ca ca kubernetes
            leaf admin "/O=system:masters/CN=kubernetes-admin" clientAuth
            """;
        var r = LabTools.Bash(script, workDir: Pki);
        if (r.ExitCode != 0) throw new InvalidOperationException("openssl PKI failed: " + r);
    }

    // ---------------------------------------------------------------- kubeconfigs

    string B64File(string rel) => Convert.ToBase64String(File.ReadAllBytes(Path.Combine(Pki, rel)));

    /// <summary>A kubeconfig shaped like kubeadm's, embedding the CA and a client cert/key (or a token).</summary>
    public string Kubeconfig(string user, string? certPrefix = null, string? token = null, string caRel = "ca.crt")
    {
        var cred = token is not null
            ? $"    token: {token}\n"
            : $"    client-certificate-data: {B64File(certPrefix + ".crt")}\n    client-key-data: {B64File(certPrefix + ".key")}\n";
        return $"""
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: {B64File(caRel)}
                server: {Server}
              name: kubernetes
            contexts:
            - context:
                cluster: kubernetes
                user: {user}
              name: {user}@kubernetes
            current-context: {user}@kubernetes
            kind: Config
            preferences: {Braces}
            users:
            - name: {user}
              user:
            {cred}
            """;
    }

    public string WriteFile(string rel, string content)
    {
        var p = Path.Combine(Root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, content);
        return p;
    }

    void WriteKubeconfigs()
    {
        WriteFile("etc/kubernetes/admin.conf", Kubeconfig("kubernetes-admin", "admin"));
        WriteFile("etc/kubernetes/controller-manager.conf", Kubeconfig("system:kube-controller-manager", "controller-manager"));
        WriteFile("etc/kubernetes/scheduler.conf", Kubeconfig("system:kube-scheduler", "scheduler"));
        WriteFile("etc/kubernetes/kubelet.conf", Kubeconfig($"system:node:{NodeName}", "kubelet"));
    }

    // ---------------------------------------------------------------- static pod manifests (kubeadm's flags, §3.3-3.6)

    static string Command(string bin, IEnumerable<string> flags) =>
        "    - " + bin + "\n" + string.Concat(flags.Select(f => $"    - {f}\n"));

    static string Pod(string name, string image, string command, string probes = "", string volumes = "") => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          creationTimestamp: null
          labels:
            component: {name}
            tier: control-plane
          name: {name}
          namespace: kube-system
        spec:
          containers:
          - command:
        {command}    image: {image}
            imagePullPolicy: IfNotPresent
        {probes}    name: {name}
          hostNetwork: true
          priority: 2000001000
          priorityClassName: system-node-critical
        {volumes}status: {Braces}

        """;

    public string EtcdManifest() => Pod("etcd", "registry.k8s.io/etcd:3.5.15-0", Command("etcd",
    [
        $"--advertise-client-urls=https://127.0.0.1:{EtcdPort}", $"--cert-file={Pki}/etcd/server.crt", "--client-cert-auth=true",
        $"--data-dir={Root}/var/lib/etcd", "--experimental-initial-corrupt-check=true", "--experimental-watch-progress-notify-interval=5s",
        $"--initial-advertise-peer-urls=https://127.0.0.1:{EtcdPeerPort}", $"--initial-cluster={NodeName}=https://127.0.0.1:{EtcdPeerPort}",
        $"--key-file={Pki}/etcd/server.key", $"--listen-client-urls=https://127.0.0.1:{EtcdPort}",
        $"--listen-metrics-urls=http://127.0.0.1:{EtcdMetricsPort}", $"--listen-peer-urls=https://127.0.0.1:{EtcdPeerPort}", $"--name={NodeName}",
        $"--peer-cert-file={Pki}/etcd/peer.crt", "--peer-client-cert-auth=true", $"--peer-key-file={Pki}/etcd/peer.key",
        $"--peer-trusted-ca-file={Pki}/etcd/ca.crt", "--snapshot-count=10000", $"--trusted-ca-file={Pki}/etcd/ca.crt",
    ]), probes: $"""
            livenessProbe:
              failureThreshold: 8
              httpGet:
                host: 127.0.0.1
                path: /health?exclude=NOSPACE&serializable=true
                port: {EtcdMetricsPort}
                scheme: HTTP
              initialDelaySeconds: 10
              periodSeconds: 10
              timeoutSeconds: 15

        """, volumes: $"""
          volumes:
          - hostPath:
              path: {Root}/var/lib/etcd
              type: DirectoryOrCreate
            name: etcd-data

        """);

    public string ApiServerManifest(string image = "registry.k8s.io/kube-apiserver:" + Version) => Pod("kube-apiserver", image, Command("kube-apiserver",
    [
        "--advertise-address=127.0.0.1", "--allow-privileged=true", "--authorization-mode=Node,RBAC", $"--client-ca-file={Pki}/ca.crt",
        "--enable-admission-plugins=NodeRestriction", "--enable-bootstrap-token-auth=true", $"--etcd-cafile={Pki}/etcd/ca.crt",
        $"--etcd-certfile={Pki}/apiserver-etcd-client.crt", $"--etcd-keyfile={Pki}/apiserver-etcd-client.key",
        $"--etcd-servers=https://127.0.0.1:{EtcdPort}", $"--kubelet-client-certificate={Pki}/apiserver-kubelet-client.crt",
        $"--kubelet-client-key={Pki}/apiserver-kubelet-client.key", "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        $"--proxy-client-cert-file={Pki}/front-proxy-client.crt", $"--proxy-client-key-file={Pki}/front-proxy-client.key",
        "--requestheader-allowed-names=front-proxy-client", $"--requestheader-client-ca-file={Pki}/front-proxy-ca.crt",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-", "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-username-headers=X-Remote-User", $"--secure-port={ApiPort}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local", $"--service-account-key-file={Pki}/sa.pub",
        $"--service-account-signing-key-file={Pki}/sa.key", "--service-cluster-ip-range=10.96.0.0/12",
        $"--tls-cert-file={Pki}/apiserver.crt", $"--tls-private-key-file={Pki}/apiserver.key",
        $"--lab-fault-file={Root}/lab/apiserver-fault.json",
    ]), probes: $"""
            readinessProbe:
              failureThreshold: 3
              httpGet:
                host: 127.0.0.1
                path: /readyz
                port: {ApiPort}
                scheme: HTTPS
              periodSeconds: 1
              timeoutSeconds: 15

        """);

    public string ControllerManagerManifest() => Pod("kube-controller-manager", "registry.k8s.io/kube-controller-manager:" + Version, Command("kube-controller-manager",
    [
        $"--authentication-kubeconfig={Root}/etc/kubernetes/controller-manager.conf", $"--authorization-kubeconfig={Root}/etc/kubernetes/controller-manager.conf",
        "--bind-address=127.0.0.1", $"--client-ca-file={Pki}/ca.crt", "--cluster-name=kubernetes", $"--cluster-signing-cert-file={Pki}/ca.crt",
        $"--cluster-signing-key-file={Pki}/ca.key", $"--controllers={Controllers}", $"--kubeconfig={Root}/etc/kubernetes/controller-manager.conf",
        "--leader-elect=true", "--node-monitor-grace-period=6s", "--node-monitor-period=1s", $"--requestheader-client-ca-file={Pki}/front-proxy-ca.crt",
        $"--root-ca-file={Pki}/ca.crt", $"--secure-port={KcmPort}", $"--service-account-private-key-file={Pki}/sa.key", "--use-service-account-credentials=true",
    ]), probes: $"""
            livenessProbe:
              failureThreshold: 8
              httpGet:
                host: 127.0.0.1
                path: /healthz
                port: {KcmPort}
                scheme: HTTPS
              initialDelaySeconds: 10
              periodSeconds: 10
              timeoutSeconds: 15

        """);

    public string SchedulerManifest(string image = "registry.k8s.io/kube-scheduler:" + Version) => Pod("kube-scheduler", image, Command("kube-scheduler",
    [
        $"--authentication-kubeconfig={Root}/etc/kubernetes/scheduler.conf", $"--authorization-kubeconfig={Root}/etc/kubernetes/scheduler.conf",
        "--bind-address=127.0.0.1", $"--kubeconfig={Root}/etc/kubernetes/scheduler.conf", "--leader-elect=true", $"--secure-port={SchedulerPort}",
    ]));

    void WriteManifests()
    {
        WriteFile("etc/kubernetes/manifests/etcd.yaml", EtcdManifest());
        WriteFile("etc/kubernetes/manifests/kube-apiserver.yaml", ApiServerManifest());
        WriteFile("etc/kubernetes/manifests/kube-controller-manager.yaml", ControllerManagerManifest());
        WriteFile("etc/kubernetes/manifests/kube-scheduler.yaml", SchedulerManifest());
    }

    public static string KubeletConfig(string? staticPodPath, string? clientCa, int healthPort) => $"""
        apiVersion: kubelet.config.k8s.io/v1beta1
        authentication:
          anonymous:
            enabled: false
          webhook:
            enabled: true
        {(clientCa is null ? "" : $"  x509:\n    clientCAFile: {clientCa}\n")}authorization:
          mode: Webhook
        cgroupDriver: systemd
        clusterDNS:
        - 10.96.0.10
        clusterDomain: cluster.local
        healthzBindAddress: 127.0.0.1
        healthzPort: {healthPort}
        kind: KubeletConfiguration
        nodeLeaseDurationSeconds: 8
        nodeStatusUpdateFrequency: 2s
        rotateCertificates: true
        {(staticPodPath is null ? "" : $"staticPodPath: {staticPodPath}\n")}
        """;

    void WriteKubeletFiles()
    {
        WriteFile("var/lib/kubelet/config.yaml", KubeletConfig(Manifests, $"{Pki}/ca.crt", KubeletHealthPort));
        WriteFile("var/lib/kubelet/kubeadm-flags.env",
            $"KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --hostname-override={NodeName} --node-ip=127.0.0.1 --pod-infra-container-image=registry.k8s.io/pause:3.9\"\n");
        WriteFile("etc/lab-systemd/env",
            $"LAB_KUBELET=\"{LabTools.LabExe} kubelet\"\nLAB_KUBELET_FLAGS=\"--lab-backoff-base=1s --lab-kubelet-version={Version}\"\nLAB_RESTART_SEC=1\n");
    }

    // ---------------------------------------------------------------- tools

    public Dictionary<string, string> KubectlEnv(string? kubeconfig = null) => new()
    {
        ["KUBECONFIG"] = kubeconfig ?? AdminConf, ["HOME"] = Path.Combine(Root, "home"),
    };

    public ToolResult Kubectl(params string[] args) => KubectlAs(null, null, args);

    public ToolResult KubectlAs(string? kubeconfig, string? stdin, params string[] args) =>
        LabTools.Run("kubectl", args, KubectlEnv(kubeconfig), stdin, TimeSpan.FromSeconds(60));

    public string KubectlOk(params string[] args)
    {
        var r = Kubectl(args);
        if (r.ExitCode != 0) throw new Xunit.Sdk.XunitException($"kubectl {string.Join(' ', args)} failed: {r}");
        return r.Stdout;
    }

    public string Apply(string yaml)
    {
        var r = KubectlAs(null, yaml, "apply", "-f", "-");
        if (r.ExitCode != 0) throw new Xunit.Sdk.XunitException($"kubectl apply failed: {r}\n{yaml}");
        return r.Stdout;
    }

    public ToolResult Etcdctl(params string[] args) => LabTools.Run("etcdctl",
        ["--endpoints", $"https://127.0.0.1:{EtcdPort}", "--cacert", $"{Pki}/etcd/ca.crt", "--cert", $"{Pki}/etcd/healthcheck-client.crt",
         "--key", $"{Pki}/etcd/healthcheck-client.key", .. args], new Dictionary<string, string> { ["ETCDCTL_API"] = "3" }, timeout: TimeSpan.FromSeconds(30));

    public ToolResult Systemctl(params string[] args) => LabTools.Run(LabTools.SystemctlShim, args, _shimEnv, timeout: TimeSpan.FromSeconds(30));

    public ToolResult KubeletLab(string method, string path) =>
        LabTools.Run("curl", ["-sS", "-X", method, $"http://127.0.0.1:{KubeletHealthPort}{path}"], timeout: TimeSpan.FromSeconds(10));

    public void Dispose()
    {
        try { LabTools.Run(LabTools.SystemctlShim, ["stop", "kubelet"], _shimEnv, timeout: TimeSpan.FromSeconds(20)); } catch (Exception) { }
        for (int i = 0; i < 5; i++)
        {
            var left = LabTools.ProcessesMentioning(Root);
            if (left.Count == 0) break;
            LabTools.KillAll(left);
            Thread.Sleep(200);
        }
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
