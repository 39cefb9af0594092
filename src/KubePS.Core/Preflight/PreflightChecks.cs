using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using KubePS.Core.Nodes;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;

namespace KubePS.Core.Preflight;

/// <summary>
/// kubeadm's preflight checks as data (kubeadm-facts.md §7; kubernetes/kubernetes cmd/kubeadm/app/preflight), in the
/// order kubeadm runs them. Each row is evaluated from the node's facts alone, so one probe serves every check.
/// Version ranges are per row (Since/Until, with the PR that changed them); the kubelet floor comes from the catalog
/// (ReleaseInfo.KubeadmKubeletFloor). Not here: ImagePull (mutating; Save-KubeImage pulls) and ExternalEtcdVersion
/// (needs a TLS call to the external etcd endpoints, not a node fact).
/// </summary>
public static partial class PreflightChecks
{
    const PreflightAppliesTo Init = PreflightAppliesTo.Init;
    const PreflightAppliesTo ControlPlane = PreflightAppliesTo.ControlPlane;
    const PreflightAppliesTo Join = PreflightAppliesTo.Join;
    const PreflightAppliesTo Worker = PreflightAppliesTo.WorkerJoin;
    const PreflightAppliesTo All = PreflightAppliesTo.All;
    const PreflightSeverity E = PreflightSeverity.Error;
    const PreflightSeverity W = PreflightSeverity.Warning;

    public const string IsPrivilegedUser = "IsPrivilegedUser";
    const string Manifests = "/etc/kubernetes/manifests";

    /// <summary>The table, in kubeadm's order (init's checks, then the checks common to init and join, then etcd's).</summary>
    public static IReadOnlyList<PreflightCheck> Table { get; } = Build();

    /// <summary>Every check name that can occur for this request (for telling unknown ignore names apart), plus the static ones of every version.</summary>
    public static IReadOnlySet<string> KnownNames(PreflightContext context)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var row in Table)
        {
            if (!row.NamePattern.Contains('<')) names.Add(row.NamePattern);
            names.Add(row.NameFor(context));
        }
        return names;
    }

    static IReadOnlyList<PreflightCheck> Build() =>
    [
        new(IsPrivilegedUser, _ => IsPrivilegedUser, All, E, "running as root",
            c => c.Facts.Euid == 0 ? PreflightOutcome.Pass : PreflightOutcome.Error($"user is not running as root (effective uid {c.Facts.Euid?.ToString() ?? "unknown"})"),
            "Connect as root, or as a user that may run sudo -n."),

        // kubeadm init (and the control-plane part of join --control-plane)
        new("NumCPU", _ => "NumCPU", ControlPlane, E, "at least 2 CPUs",
            c => c.Facts.CpuCount < 2 ? PreflightOutcome.Error($"the number of available CPUs {c.Facts.CpuCount} is less than the required 2") : PreflightOutcome.Pass,
            "Give the node at least 2 CPUs."),
        new("Mem", _ => "Mem", ControlPlane, E, "at least 1700 MB of RAM",
            c => c.Facts.MemoryMiB < 1700 ? PreflightOutcome.Error($"the system RAM ({c.Facts.MemoryMiB} MB) is less than the minimum 1700 MB") : PreflightOutcome.Pass,
            "Give the node at least 1700 MB of RAM."),
        new("KubernetesVersion", _ => "KubernetesVersion", ControlPlane, W, "the target version is not newer than kubeadm", KubernetesVersion,
            "Install kubeadm of the target minor (Install-KubePackage -Version)."),
        new("Firewalld", _ => "Firewalld", ControlPlane, W, "firewalld is not active", Firewalld,
            "Open the control-plane ports in firewalld, or stop it (Install-KubeNodePrerequisite -Firewall OpenPorts or Disable).", PreparationSteps.Firewall),
        new("Port-<bindPort>", c => $"Port-{c.Request.BindPort}", ControlPlane, E, "the API server port is free",
            c => PortFree(c, c.Request.BindPort), PortRemedy),
        new("Port-<scheduler>", c => $"Port-{c.Release.SchedulerSecurePort}", ControlPlane, E, "the kube-scheduler port is free",
            c => PortFree(c, c.Release.SchedulerSecurePort), PortRemedy),
        new("Port-<controller-manager>", c => $"Port-{c.Release.ControllerManagerSecurePort}", ControlPlane, E, "the kube-controller-manager port is free",
            c => PortFree(c, c.Release.ControllerManagerSecurePort), PortRemedy),
        ManifestAvailable("kube-apiserver"),
        ManifestAvailable("kube-controller-manager"),
        ManifestAvailable("kube-scheduler"),
        ManifestAvailable("etcd"),
        new("HTTPProxy", _ => "HTTPProxy", All, W, "the API server address is reached without a proxy", HttpProxy,
            "Add the address to NO_PROXY (no_proxy) on the node.",
            when: c => c.Mode == PreflightAppliesTo.Init ? c.AdvertiseAddress is not null : c.DiscoveryHost is not null),
        new("HTTPProxyCIDR", _ => "HTTPProxyCIDR", ControlPlane, W, "the service and pod subnets are reached without a proxy", HttpProxyCidr,
            "Add the service and pod subnets to NO_PROXY (no_proxy) on the node."),

        // kubeadm join only
        new("FileAvailable--etc-kubernetes-kubelet.conf", _ => "FileAvailable--etc-kubernetes-kubelet.conf", Join, E, "/etc/kubernetes/kubelet.conf does not exist",
            c => FileAvailable(c, "/etc/kubernetes/kubelet.conf"), ResetRemedy),
        new("FileAvailable--etc-kubernetes-bootstrap-kubelet.conf", _ => "FileAvailable--etc-kubernetes-bootstrap-kubelet.conf", Join, E, "/etc/kubernetes/bootstrap-kubelet.conf does not exist",
            c => FileAvailable(c, "/etc/kubernetes/bootstrap-kubelet.conf"), ResetRemedy),
        new("DirAvailable--etc-kubernetes-manifests", _ => "DirAvailable--etc-kubernetes-manifests", Worker, E, "/etc/kubernetes/manifests is absent or empty",
            c => DirAvailable(c, Manifests), ResetRemedy, until: "1.23", source: "kubernetes/kubernetes#104942 (1.23: worker join no longer checks the manifests directory)"),
        new("FileAvailable-<caCertPath>", c => "FileAvailable-" + c.Request.CACertPath.Replace('/', '-'), Worker, E, "the cluster CA file does not exist yet",
            c => FileAvailable(c, c.Request.CACertPath), ResetRemedy),

        // common to init and join (kubeadm's addCommonChecks)
        new("CRI", _ => "CRI", All, E, "the container runtime answers on its CRI socket", Cri,
            "Install and start a container runtime (Install-KubeContainerRuntime), or set the CRI socket of the one you run."),
        new("Service-Docker", _ => "Service-Docker", All, E, "the Docker service is enabled and active", ServiceDocker,
            "Enable and start Docker: systemctl enable --now docker.", until: "1.24", when: c => UsesDockershim(c),
            source: "dockershim, removed in 1.24"),
        new("FileExisting-crictl", _ => "FileExisting-crictl", All, E, "crictl is in PATH", c => InPath(c, "crictl", mandatory: true),
            "Install cri-tools (crictl).", until: "1.31", when: c => !UsesDockershim(c), source: "kubernetes/kubernetes#124685 (1.31: a warning)"),
        new("FileExisting-crictl", _ => "FileExisting-crictl", All, W, "crictl is in PATH", c => InPath(c, "crictl", mandatory: false),
            "Install cri-tools (crictl).", since: "1.31", until: "1.32", source: "kubernetes/kubernetes#126596 (1.32: no longer checked)"),
        new("FileContent--proc-sys-net-bridge-bridge-nf-call-iptables", _ => "FileContent--proc-sys-net-bridge-bridge-nf-call-iptables", All, E,
            "/proc/sys/net/bridge/bridge-nf-call-iptables is 1", c => FileContent(c, "net.bridge.bridge-nf-call-iptables"),
            SysctlRemedy, PreparationSteps.Sysctl, until: "1.30", source: "kubernetes/kubernetes#123464 (removed in 1.30)"),
        new("FileContent--proc-sys-net-bridge-bridge-nf-call-ip6tables", _ => "FileContent--proc-sys-net-bridge-bridge-nf-call-ip6tables", All, E,
            "/proc/sys/net/bridge/bridge-nf-call-ip6tables is 1", c => FileContent(c, "net.bridge.bridge-nf-call-ip6tables"),
            SysctlRemedy, PreparationSteps.Sysctl, until: "1.30", when: c => c.IPv6, source: "kubernetes/kubernetes#123464 (removed in 1.30)"),
        new("FileContent--proc-sys-net-ipv4-ip_forward", _ => "FileContent--proc-sys-net-ipv4-ip_forward", All, E,
            "/proc/sys/net/ipv4/ip_forward is 1", c => FileContent(c, "net.ipv4.ip_forward"),
            SysctlRemedy, PreparationSteps.Sysctl, when: c => !c.AtLeast("1.30") || c.IPv4, source: "1.30+: only when an IPv4 address or CIDR is in use"),
        new("FileContent--proc-sys-net-ipv6-conf-default-forwarding", _ => "FileContent--proc-sys-net-ipv6-conf-default-forwarding", All, E,
            "/proc/sys/net/ipv6/conf/default/forwarding is 1", c => FileContent(c, "net.ipv6.conf.default.forwarding"),
            SysctlRemedy, PreparationSteps.Sysctl, when: c => c.IPv6),
        new("Swap", _ => "Swap", All, E, "swap is off", Swap,
            SwapRemedy, PreparationSteps.Swap, until: "1.23", source: "kubernetes/kubernetes#104854 (1.23: a warning)"),
        new("Swap", _ => "Swap", All, W, "swap is off", Swap,
            SwapRemedy, PreparationSteps.Swap, since: "1.23", source: "kubernetes/kubernetes#104854"),
        Tool("conntrack", true, until: "1.32", source: "kubernetes/kubernetes#126952 (kube-proxy 1.32 no longer needs conntrack)"),
        Tool("ip", true),
        Tool("iptables", true),
        Tool("mount", true),
        Tool("nsenter", true),
        Tool("ebtables", false),
        Tool("ethtool", false),
        Tool("socat", false),
        Tool("tc", false),
        Tool("touch", false),
        new("SystemVerification", _ => "SystemVerification", All, E, "kernel version, kernel config and cgroup controllers", SystemVerification,
            "Use a supported kernel with the required options and cgroup controllers."),
        new("Hostname", _ => "Hostname", All, W, "the node name is valid and resolves", Hostname,
            "Make the node name resolve (DNS or /etc/hosts; Install-KubeNodePrerequisite adds a hosts entry).", PreparationSteps.HostName),
        new("KubeletVersion", _ => "KubeletVersion", All, E, "the kubelet version fits the target version", KubeletVersion,
            "Install kubelet of the target version (Install-KubePackage -Version)."),
        new("Service-Kubelet", _ => "Service-Kubelet", All, W, "the kubelet service is enabled", ServiceKubelet,
            "Enable the kubelet service: systemctl enable kubelet.service.", PreparationSteps.PackagesKubeletService),
        new("Port-10250", _ => "Port-10250", All, E, "the kubelet port is free", c => PortFree(c, 10250), PortRemedy),

        // etcd (kubeadm init and join --control-plane)
        new("Port-2379", _ => "Port-2379", ControlPlane, E, "the etcd client port is free", c => PortFree(c, 2379), PortRemedy,
            when: c => !c.Request.ExternalEtcd),
        new("Port-2380", _ => "Port-2380", ControlPlane, E, "the etcd peer port is free", c => PortFree(c, 2380), PortRemedy,
            when: c => !c.Request.ExternalEtcd),
        new("DirAvailable-<etcdDataDir>", c => "DirAvailable-" + c.Request.EtcdDataDir.TrimEnd('/').Replace('/', '-'), ControlPlane, E,
            "the etcd data directory is absent or empty", c => DirAvailable(c, c.Request.EtcdDataDir), ResetRemedy,
            when: c => !c.Request.ExternalEtcd),
        new("ExternalEtcdClientCertificates", _ => "ExternalEtcdClientCertificates", ControlPlane, E, "the external etcd CA, certificate and key exist",
            c => PreflightOutcome.Error(c.Request.ExternalEtcdFiles.Where(f => c.Facts.PathState(f) == NodePathState.Absent).Select(f => $"{f} doesn't exist").ToArray()) is { Errors.Count: > 0 } o ? o : PreflightOutcome.Pass,
            "Copy the external etcd CA, client certificate and key to the node.",
            when: c => c.Request.ExternalEtcd && c.Request.ExternalEtcdFiles.Count > 0 && !(c.Mode == PreflightAppliesTo.ControlPlaneJoin && c.Request.DownloadCertificates)),
    ];

    const string PortRemedy = "Stop whatever listens on the port (ss -ltnp), or reset an old control plane on this node (kubeadm reset).";
    const string ResetRemedy = "Reset the node first (kubeadm reset) or use a clean node.";
    const string SysctlRemedy = "Load br_netfilter and set the sysctl to 1 (Install-KubeNodePrerequisite writes /etc/sysctl.d/99-kubernetes-cri.conf).";
    const string SwapRemedy = "Turn swap off and comment it out of /etc/fstab (Install-KubeNodePrerequisite), or configure the kubelet for swap (failSwapOn: false, cgroup v2).";

    static PreflightCheck ManifestAvailable(string component)
    {
        string path = $"{Manifests}/{component}.yaml";
        string name = "FileAvailable-" + path.Replace('/', '-');
        return new(name, _ => name, ControlPlane, E, $"{path} does not exist", c => FileAvailable(c, path), ResetRemedy);
    }

    static PreflightCheck Tool(string tool, bool mandatory, string? until = null, string? source = null) =>
        new($"FileExisting-{tool}", _ => $"FileExisting-{tool}", All, mandatory ? E : W, $"{tool} is in PATH", c => InPath(c, tool, mandatory),
            $"Install {tool} (Install-KubeNodePrerequisite installs the tools kubeadm checks).", PreparationSteps.Packages, until: until, source: source);

    static PreflightOutcome PortFree(PreflightContext c, int port) =>
        c.Facts.ListeningPorts.Contains(port) ? PreflightOutcome.Error($"Port {port} is in use") : PreflightOutcome.Pass;

    static PreflightOutcome FileAvailable(PreflightContext c, string path) =>
        c.Facts.PathState(path) == NodePathState.Absent ? PreflightOutcome.Pass : PreflightOutcome.Error($"{path} already exists");

    static PreflightOutcome DirAvailable(PreflightContext c, string path) => c.Facts.PathState(path) switch
    {
        NodePathState.Absent or NodePathState.EmptyDirectory => PreflightOutcome.Pass,
        NodePathState.File => PreflightOutcome.Error($"{path} is not a directory"),
        _ => PreflightOutcome.Error($"{path} is not empty"),
    };

    static PreflightOutcome FileContent(PreflightContext c, string sysctl)
    {
        string path = "/proc/sys/" + sysctl.Replace('.', '/');
        if (!c.Facts.Sysctls.TryGetValue(sysctl, out var value)) return PreflightOutcome.Error($"{path} does not exist");
        // kubeadm compares the file's first byte with '1'.
        return value.StartsWith('1') ? PreflightOutcome.Pass : PreflightOutcome.Error($"{path} contents are not set to 1 (found '{value}')");
    }

    static PreflightOutcome InPath(PreflightContext c, string tool, bool mandatory)
    {
        if (c.Facts.HasTool(tool)) return PreflightOutcome.Pass;
        string message = $"{tool} not found in system path";
        return mandatory ? PreflightOutcome.Error(message) : PreflightOutcome.Warning(message);
    }

    static PreflightOutcome KubernetesVersion(PreflightContext c)
    {
        // KubePS does kubeadm's work itself; an installed kubeadm older than the target is still worth a warning.
        if (c.Facts.KubeadmVersion is not { } kubeadm) return PreflightOutcome.Pass;
        if (c.Version.MinorVersion > kubeadm.MinorVersion)
            return PreflightOutcome.Warning($"the target Kubernetes version {c.Version} is newer than the kubeadm installed on the node ({kubeadm}); upgrade kubeadm");
        return PreflightOutcome.Pass;
    }

    static PreflightOutcome Firewalld(PreflightContext c)
    {
        if (!c.Facts.FirewalldActive) return PreflightOutcome.Pass;
        return PreflightOutcome.Warning($"firewalld is active; ports {c.Request.BindPort} and 10250 must be open for the cluster to work");
    }

    static PreflightOutcome ServiceKubelet(PreflightContext c)
    {
        if (c.Facts.InitSystem != InitSystemKind.Systemd)
            return PreflightOutcome.Warning("no supported init system detected (systemd), skipping the check of the kubelet service");
        var k = c.Facts.Kubelet;
        if (!k.Exists) return PreflightOutcome.Warning("kubelet service does not exist");
        if (!k.IsEnabled) return PreflightOutcome.Warning("kubelet service is not enabled, please run 'systemctl enable kubelet.service'");
        return PreflightOutcome.Pass;
    }

    static PreflightOutcome ServiceDocker(PreflightContext c)
    {
        if (c.Facts.InitSystem != InitSystemKind.Systemd)
            return PreflightOutcome.Warning("no supported init system detected (systemd), skipping the check of the docker service");
        var d = c.Facts.Services["docker"];
        if (!d.Exists) return PreflightOutcome.Warning("docker service does not exist");
        var warnings = d.IsEnabled ? [] : new[] { "docker service is not enabled, please run 'systemctl enable docker.service'" };
        var errors = d.IsActive ? [] : new[] { "docker service is not active, please run 'systemctl start docker.service'" };
        return new PreflightOutcome(warnings, errors);
    }

    static PreflightOutcome Swap(PreflightContext c)
    {
        // kubeadm looks at /proc/swaps only; swap lines in /etc/fstab alone pass (they show in the node facts).
        if (c.Facts.SwapDevices.Count == 0) return PreflightOutcome.Pass;
        string where = string.Join(", ", c.Facts.SwapDevices);
        string fstab = c.Facts.FstabSwapLines.Count > 0 ? $"; /etc/fstab turns it on again at boot ({c.Facts.FstabSwapLines.Count} line(s))" : "";
        string message = c.AtLeast("1.23")
            ? $"swap is on ({where}){fstab}. The kubelet refuses to start with swap unless it is configured for it (failSwapOn: false, cgroup v2 only); turn swap off or configure the kubelet"
            : $"running with swap on is not supported ({where}){fstab}. Please disable swap";
        return c.AtLeast("1.23") ? PreflightOutcome.Warning(message) : PreflightOutcome.Error(message);
    }

    static PreflightOutcome KubeletVersion(PreflightContext c)
    {
        if (c.Facts.KubeletVersion is not { } kubelet)
            return PreflightOutcome.Error(c.Facts.KubeletVersionText is { } raw
                ? $"couldn't parse the kubelet version '{raw}'"
                : "couldn't get kubelet version: kubelet is not installed (not found in PATH)");
        int floorMinor = Math.Max(0, c.Version.Minor - c.Release.KubeadmKubeletFloor);
        var minimum = Versioning.KubeVersion.Create(c.Version.Major, floorMinor, 0);
        if (kubelet < minimum)
            return PreflightOutcome.Error($"kubelet {kubelet} is older than the oldest kubelet kubeadm {c.Version.Major}.{c.Version.Minor} supports ({minimum}); upgrade the kubelet");
        if (c.Mode == PreflightAppliesTo.Init && (kubelet.Major > c.Version.Major || kubelet.Minor > c.Version.Minor))
            return PreflightOutcome.Error($"kubelet {kubelet} is newer than the control plane ({c.Version}); a kubelet may not be newer than its API server");
        return PreflightOutcome.Pass;
    }

    [GeneratedRegex(@"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedNamePart();

    static PreflightOutcome Hostname(PreflightContext c)
    {
        var warnings = new List<string>();
        string name = c.NodeName;
        if (name.Length > 63 || !QualifiedNamePart().IsMatch(name))
            warnings.Add($"invalid node name format \"{name}\": a qualified name must be at most 63 characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric");
        bool resolves = c.Facts.ResolvedHostNames.ContainsKey(name)
            || (string.Equals(name, c.Facts.NodeName, StringComparison.OrdinalIgnoreCase) && c.Facts.HostNameResolves);
        if (!resolves)
            warnings.Add($"hostname \"{name}\" could not be reached (it resolves neither in DNS nor in /etc/hosts on the node)");
        return new PreflightOutcome(warnings, []);
    }

    /// <summary>kubeadm's CRI socket for this node: the configured one, or the one detected as kubeadm detects it.</summary>
    public static (string? Endpoint, string? Problem) CriEndpoint(PreflightContext c)
    {
        if (c.Request.CriSocket is { } configured) return ("unix://" + NodeProbe.SocketPath(configured), null);
        var present = c.Facts.CriSockets;
        if (UsesDockershimDefault(c.Release))
        {
            // Before 1.24 a Docker socket meant dockershim, which kubeadm preferred when it found one.
            if (present.Contains("unix:///var/run/docker.sock")) return ("unix:///var/run/dockershim.sock", null);
            var found = present.Where(IsCriSocket).ToList();
            return found.Count switch
            {
                1 => (found[0], null),
                0 => (Normalise(c.Release.DefaultCriSocket), null),
                _ => (null, MultipleSockets(found)),
            };
        }
        var cri = present.Where(IsCriSocket).ToList();
        return cri.Count switch
        {
            1 => (cri[0], null),
            0 => (Normalise(c.Release.DefaultCriSocket), null),
            _ => (null, MultipleSockets(cri)),
        };
    }

    static bool IsCriSocket(string endpoint) => endpoint is "unix:///var/run/containerd/containerd.sock" or "unix:///var/run/crio/crio.sock" or "unix:///var/run/cri-dockerd.sock";
    static string Normalise(string socket) => socket.StartsWith("unix://", StringComparison.Ordinal) ? socket : "unix://" + socket;
    static string MultipleSockets(IEnumerable<string> found) =>
        $"found multiple CRI endpoints on the host ({string.Join(", ", found)}); set the CRI socket (criSocket) to the one to use";
    static bool UsesDockershimDefault(ReleaseInfo release) => release.DefaultCriSocket.Contains("dockershim", StringComparison.Ordinal);
    static bool UsesDockershim(PreflightContext c) => CriEndpoint(c).Endpoint?.EndsWith("/dockershim.sock", StringComparison.Ordinal) == true;

    static PreflightOutcome Cri(PreflightContext c)
    {
        var (endpoint, problem) = CriEndpoint(c);
        if (problem is not null) return PreflightOutcome.Error(problem);
        if (endpoint!.EndsWith("/dockershim.sock", StringComparison.Ordinal))
            return c.Facts.DockerReady ? PreflightOutcome.Pass : PreflightOutcome.Error("container runtime is not running: the Docker daemon does not answer (docker info failed)");
        if (c.Facts.CriReady.Contains(endpoint)) return PreflightOutcome.Pass;
        if (c.Facts.CriUnknown.Contains(endpoint))
            return PreflightOutcome.Warning($"{endpoint} exists but could not be queried (no crictl, ctr or curl on the node)");
        if (!c.Facts.CriSockets.Contains(endpoint))
            return PreflightOutcome.Error($"container runtime is not running: {endpoint} does not exist");
        return PreflightOutcome.Error($"container runtime is not running: {endpoint} does not answer CRI requests");
    }

    static PreflightOutcome HttpProxy(PreflightContext c)
    {
        string host = c.Mode == PreflightAppliesTo.Init ? c.AdvertiseAddress!.ToString() : c.DiscoveryHost!;
        var proxy = ProxyFor(c.Facts.Proxy, host, IPAddress.TryParse(host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? 1234 : 443);
        return proxy is null ? PreflightOutcome.Pass
            : PreflightOutcome.Warning($"connections to https://{host} would go through the proxy {proxy}; add {host} to NO_PROXY if that is not intended");
    }

    static PreflightOutcome HttpProxyCidr(PreflightContext c)
    {
        var warnings = new List<string>();
        foreach (var cidr in c.Cidrs())
        {
            var first = FirstAddress(cidr);
            if (ProxyFor(c.Facts.Proxy, first.ToString(), 1234) is { } proxy)
                warnings.Add($"connections to {cidr} (first address {first}) would go through the proxy {proxy}; list the pod and service ranges in NO_PROXY");
        }
        return new PreflightOutcome(warnings, []);
    }

    static IPAddress FirstAddress(IPNetwork cidr)
    {
        var bytes = cidr.BaseAddress.GetAddressBytes();
        for (int i = bytes.Length - 1; i >= 0; i--)
            if (++bytes[i] != 0) break;
        return new IPAddress(bytes);
    }

    /// <summary>
    /// The proxy an https request to <paramref name="host"/> would use, with Go's ProxyFromEnvironment rules plus CIDRs in
    /// NO_PROXY (what kubeadm's transport defaults do): HTTPS_PROXY, unless the host is loopback or NO_PROXY matches.
    /// </summary>
    public static string? ProxyFor(NodeProxySettings proxy, string host, int port)
    {
        if (proxy.HttpsProxy is not { } p) return null;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return null;
        IPAddress.TryParse(host, out var ip);
        if (ip is not null && IPAddress.IsLoopback(ip)) return null;
        foreach (var raw in (proxy.NoProxy ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string entry = raw.ToLowerInvariant();
            if (entry == "*") return null;
            if (IPNetwork.TryParse(entry, out var net)) { if (ip is not null && net.Contains(ip)) return null; continue; }
            if (IPAddress.TryParse(entry, out var eip)) { if (ip is not null && eip.Equals(ip)) return null; continue; }
            string e = entry; int? ePort = null;
            int colon = e.LastIndexOf(':');
            if (colon > 0 && int.TryParse(e[(colon + 1)..], out var pp)) { ePort = pp; e = e[..colon]; }
            if (ePort is not null && ePort != port) continue;
            if (e.StartsWith('[') && e.EndsWith(']') && IPAddress.TryParse(e[1..^1], out var bip)) { if (ip is not null && bip.Equals(ip)) return null; continue; }
            if (ip is not null) continue;
            string h = host.ToLowerInvariant();
            if (e.StartsWith("*.")) e = e[1..];
            if (e.StartsWith('.') ? h.EndsWith(e, StringComparison.Ordinal) : h == e || h.EndsWith("." + e, StringComparison.Ordinal)) return null;
        }
        return p;
    }

    // SystemVerification: k8s.io/system-validators' DefaultSysSpec (kernel, kernel config, cgroups).
    static readonly string[] RequiredKernelConfig =
        ["NAMESPACES", "NET_NS", "PID_NS", "IPC_NS", "UTS_NS", "CPUSETS", "MEMCG", "INET", "EXT4_FS", "PROC_FS", "NETFILTER_XT_TARGET_REDIRECT", "NETFILTER_XT_MATCH_COMMENT", "FAIR_GROUP_SCHED"];
    static readonly string[] RequiredKernelConfigV1 = ["CGROUPS", "CGROUP_CPUACCT", "CGROUP_DEVICE", "CGROUP_FREEZER", "CGROUP_PIDS", "CGROUP_SCHED"];
    static readonly string[] RequiredKernelConfigV2 = ["CGROUPS", "CGROUP_BPF", "CGROUP_PIDS", "CGROUP_SCHED"];
    static readonly Dictionary<string, string> KernelConfigAliases = new() { ["NETFILTER_XT_TARGET_REDIRECT"] = "IP_NF_TARGET_REDIRECT" };
    static readonly string[] CgroupsV1 = ["cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"];
    static readonly string[] CgroupsV1Optional = ["hugetlb", "blkio"];
    static readonly string[] CgroupsV2 = ["cpu", "cpuset", "devices", "freezer", "memory", "pids"];
    static readonly string[] CgroupsV2Optional = ["hugetlb", "io"];

    [GeneratedRegex(@"^3\.[1-9][0-9].*$|^([4-9]|[1-9][0-9]+)\.([0-9]+)\.([0-9]+).*$", RegexOptions.CultureInvariant)]
    private static partial Regex KernelUpTo131();

    [GeneratedRegex(@"^5\.4.*$|^5\.10.*$|^5\.15.*$|^([6-9]|[1-9][0-9]+)\.([0-9]+)\.([0-9]+).*$", RegexOptions.CultureInvariant)]
    private static partial Regex KernelFrom132();

    static PreflightOutcome SystemVerification(PreflightContext c)
    {
        var f = c.Facts;
        var warnings = new List<string>();
        var errors = new List<string>();

        // Kernel release. Validators shipped with ~1.26-1.31 accept 3.10+; newer ones want the 5.4/5.10/5.15 LTS or 6.x
        // (the release that switched is unverified; 1.32 is assumed).
        bool newKernelRule = c.AtLeast("1.32");
        if (!(newKernelRule ? KernelFrom132() : KernelUpTo131()).IsMatch(f.KernelRelease))
            errors.Add(newKernelRule
                ? $"kernel release {f.KernelRelease} is unsupported. Supported LTS versions from the 5.x series are 5.4, 5.10 and 5.15; any 6.x version is also supported"
                : $"kernel release {f.KernelRelease} is unsupported. Recommended LTS version from the 4.x series is 4.19; any 5.x or 6.x versions are also supported");

        // Kernel config
        if (f.KernelConfigSource is null)
            warnings.Add($"failed to parse kernel config: no /proc/config.gz or /boot/config-{f.KernelRelease} on the node");
        else
        {
            var required = RequiredKernelConfig.Concat(f.CgroupVersion == 2 ? RequiredKernelConfigV2 : RequiredKernelConfigV1);
            var missing = required.Where(s => !Set(f, s) && !(KernelConfigAliases.TryGetValue(s, out var alias) && Set(f, alias))).ToList();
            if (missing.Count > 0)
                errors.Add($"kernel config missing required options: {string.Join(", ", missing.Select(m => "CONFIG_" + m))}");
        }

        // cgroups
        if (f.CgroupVersion is not (1 or 2))
            errors.Add("could not determine the cgroup version of the node (/sys/fs/cgroup)");
        else
        {
            bool v2 = f.CgroupVersion == 2;
            var missing = (v2 ? CgroupsV2 : CgroupsV1).Where(g => !f.CgroupControllers.Contains(g)).ToList();
            if (missing.Count > 0) errors.Add($"missing required cgroups: {string.Join(" ", missing)}");
            var missingOptional = (v2 ? CgroupsV2Optional : CgroupsV1Optional).Where(g => !f.CgroupControllers.Contains(g)).ToList();
            if (missingOptional.Count > 0) warnings.Add($"missing optional cgroups: {string.Join(" ", missingOptional)}");
            if (!v2)
            {
                // kubelet 1.35 refuses cgroup v1 (kubernetes/kubernetes#134744); validators since ~1.31 warn (boundary unverified).
                if (c.AtLeast("1.35")) errors.Add("cgroups v1 is not supported by the kubelet from 1.35 (unless failCgroupV1: false); migrate the node to cgroups v2");
                else if (c.AtLeast("1.31")) warnings.Add("cgroups v1 support is in maintenance mode, please migrate to cgroups v2");
            }
        }
        return new PreflightOutcome(warnings, errors);
    }

    static bool Set(NodeFacts f, string symbol) => f.KernelConfig.TryGetValue(symbol, out var v) && v is "y" or "m";
}
