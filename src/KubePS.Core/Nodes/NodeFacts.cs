using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using KubePS.Core.Versioning;

namespace KubePS.Core.Nodes;

/// <summary>SELinux on a node: not there at all, disabled, permissive or enforcing.</summary>
public enum SELinuxState { Absent, Disabled, Permissive, Enforcing }

/// <summary>The node's package manager.</summary>
public enum PackageManagerKind { None, Apt, Dnf, Yum, Zypper }

/// <summary>The node's init system: systemd, or anything else (services are then judged by their processes).</summary>
public enum InitSystemKind { Systemd, Other }

/// <summary>What is at a path the probe checked.</summary>
public enum NodePathState { Absent, File, EmptyDirectory, Directory }

/// <summary>Whether a kernel module is available: loaded, built into the kernel, or neither.</summary>
public enum KernelModuleState { Absent, Loaded, Builtin }

/// <summary>A systemd unit (or, without systemd, the process that runs it) as the probe saw it.</summary>
public sealed record NodeServiceState(string Name, bool UnitFilePresent, string Enabled, string Active)
{
    /// <summary>systemctl is-enabled answered one of the states it reports with exit code 0.</summary>
    public bool IsEnabled => Enabled is "enabled" or "enabled-runtime" or "static" or "alias" or "indirect" or "generated" or "transient";
    public bool IsActive => Active == "active";
    /// <summary>The unit is known: a unit file exists or systemd knows it.</summary>
    public bool Exists => UnitFilePresent || (Enabled is not ("not-found" or "unknown" or ""));
    public override string ToString() => $"{Name}: {Enabled}/{Active}";
}

/// <summary>A global address of a node interface.</summary>
public sealed record NodeAddress(IPAddress Address, int PrefixLength, string Interface)
{
    public override string ToString() => $"{Address}/{PrefixLength} ({Interface})";
}

/// <summary>Proxy settings of the node's login environment (credentials masked by the probe).</summary>
public sealed record NodeProxySettings(string? HttpsProxy, string? HttpProxy, string? NoProxy)
{
    public bool Any => HttpsProxy is not null || HttpProxy is not null;
}

/// <summary>
/// What KubePS knows about a node, gathered by one run of <see cref="NodeProbe"/> and parsed by <see cref="Parse"/>:
/// OS, kernel, CPUs, memory, cgroups, swap, SELinux, firewall, package manager, container runtimes, Kubernetes
/// binaries, services, host name, addresses, listening ports, kubeadm's files, sysctls, modules, kernel config, proxy.
/// Immutable; preflight checks and the preparation renderers read it.
/// </summary>
public sealed partial class NodeFacts
{
    readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _raw;
    readonly HashSet<string> _probedPaths;
    readonly HashSet<string> _probedSockets;
    readonly HashSet<string> _probedNames;
    readonly NodeProbeOptions _options;

    NodeFacts(string hostName, Dictionary<string, List<string>> raw, NodeProbeOptions options)
    {
        HostName = hostName;
        _options = options;
        _raw = raw.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value.AsReadOnly(), StringComparer.Ordinal);
        _probedPaths = new HashSet<string>(NodeProbe.DefaultPaths.Concat(options.Paths.Select(p => p.Length > 1 ? p.TrimEnd('/') : p)), StringComparer.Ordinal);
        _probedSockets = new HashSet<string>(NodeProbe.DefaultCriSockets.Concat(options.CriSockets.Select(NodeProbe.SocketPath)), StringComparer.Ordinal);
        _probedNames = new HashSet<string>(options.HostNames, StringComparer.Ordinal);

        Euid = Int("user.euid");
        OsId = One("os.id") ?? "";
        OsVersion = One("os.version_id") ?? "";
        OsPrettyName = One("os.pretty_name") ?? "";
        OsIdLike = (One("os.id_like") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        KernelRelease = One("kernel.release") ?? "";
        Machine = One("kernel.machine") ?? "";
        CpuCount = Int("cpu.count") ?? 0;
        long kb = Long("mem.total_kb") ?? 0;
        MemoryMiB = kb / 1024;
        CgroupVersion = Int("cgroup.version") ?? 0;
        var controllers = (One("cgroup.controllers") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (CgroupVersion == 2)
        {
            // The kernel enables these implicitly on cgroup v2; they never appear in cgroup.controllers.
            controllers.Insert(0, "devices");
            if (One("cgroup.freezer") == "yes") controllers.Insert(1, "freezer");
        }
        CgroupControllers = controllers.Distinct(StringComparer.Ordinal).ToList();
        SwapReadable = One("swap.readable") == "yes";
        SwapDevices = All("swap.entry").Select(e => e.Split(' ')[0]).ToList();
        FstabSwapLines = All("fstab.swap");
        SELinux = (One("selinux.mode") ?? "absent") switch
        {
            "enforcing" => SELinuxState.Enforcing,
            "permissive" => SELinuxState.Permissive,
            "disabled" => SELinuxState.Disabled,
            "absent" => SELinuxState.Absent,
            var other => throw Invalid("selinux.mode", other),
        };
        SELinuxConfig = One("selinux.config");
        InitSystem = One("init.system") == "systemd" ? InitSystemKind.Systemd : InitSystemKind.Other;
        Services = NodeProbe.Services.Select(s => s.Unit).ToDictionary(u => u,
            u => new NodeServiceState(u, One($"svc.{u}.unit") == "present", One($"svc.{u}.enabled") ?? "unknown", One($"svc.{u}.active") ?? "unknown"),
            StringComparer.Ordinal);
        UfwActive = One("ufw.status") == "active";
        PackageManager = (One("pkg.manager") ?? "none") switch
        {
            "apt" => PackageManagerKind.Apt,
            "dnf" => PackageManagerKind.Dnf,
            "yum" => PackageManagerKind.Yum,
            "zypper" => PackageManagerKind.Zypper,
            "none" => PackageManagerKind.None,
            var other => throw Invalid("pkg.manager", other),
        };
        Tools = _raw.Where(kv => kv.Key.StartsWith("tool.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["tool.".Length..], kv => kv.Value[0], StringComparer.Ordinal);
        ContainerdVersion = NonEmpty(One("runtime.containerd.version"));
        DockerVersion = NonEmpty(One("runtime.docker.version"));
        CrioVersion = NonEmpty(One("runtime.crio.version"));
        CriDockerdVersion = NonEmpty(One("runtime.cri-dockerd.version"));
        DockerReady = One("docker.ready") == "yes";
        CriSockets = All("cri.socket");
        CriReady = All("cri.ready");
        CriNotReady = All("cri.unready");
        CriUnknown = All("cri.unknown");
        ContainerdConfigPresent = One("containerd.config.present") == "yes";
        ContainerdConfigVersion = Int("containerd.config.version");
        ContainerdSystemdCgroup = One("containerd.config.systemd_cgroup") is { } sc ? sc == "true" : null;
        ContainerdSandboxImage = NonEmpty(One("containerd.config.sandbox_image"));
        KubeletVersionText = NonEmpty(One("kube.kubelet.version"));
        KubeadmVersionText = NonEmpty(One("kube.kubeadm.version"));
        KubectlVersionText = NonEmpty(One("kube.kubectl.version"));
        NodeName = One("host.name") ?? "";
        ResolvedHostNames = All("host.resolves").Select(l => l.Split(' ', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
        UnresolvedHostNames = All("host.unresolved");
        DefaultInterface = NonEmpty(One("net.default_iface"));
        DefaultIPv4 = Ip("net.default_ipv4");
        DefaultIPv6 = Ip("net.default_ipv6");
        Addresses = All("net.address").Select(ParseAddress).ToList();
        ListeningPorts = new SortedSet<int>(All("net.listen").Select(v => IntValue("net.listen", v)));
        Paths = All("fs.absent").Select(p => (p, NodePathState.Absent))
            .Concat(All("fs.file").Select(p => (p, NodePathState.File)))
            .Concat(All("fs.dir_empty").Select(p => (p, NodePathState.EmptyDirectory)))
            .Concat(All("fs.dir_nonempty").Select(p => (p, NodePathState.Directory)))
            .GroupBy(t => t.p, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Item2, StringComparer.Ordinal);
        Sysctls = _raw.Where(kv => kv.Key.StartsWith("sysctl.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["sysctl.".Length..], kv => kv.Value[0].Trim(), StringComparer.Ordinal);
        KernelModules = NodeProbe.Modules.Keys.ToDictionary(m => m, m => (One($"module.{m}") ?? "absent") switch
        {
            "loaded" => KernelModuleState.Loaded,
            "builtin" => KernelModuleState.Builtin,
            "absent" => KernelModuleState.Absent,
            var other => throw Invalid($"module.{m}", other),
        }, StringComparer.Ordinal);
        KernelConfigSource = One("kconfig.source") is { } src && src != "none" ? src : null;
        KernelConfig = _raw.Where(kv => kv.Key.StartsWith("kconfig.", StringComparison.Ordinal) && kv.Key != "kconfig.source")
            .ToDictionary(kv => kv.Key["kconfig.".Length..], kv => kv.Value[0], StringComparer.Ordinal);
        Proxy = new NodeProxySettings(
            NonEmpty(One("proxy.HTTPS_PROXY") ?? One("proxy.https_proxy")),
            NonEmpty(One("proxy.HTTP_PROXY") ?? One("proxy.http_proxy")),
            NonEmpty(One("proxy.NO_PROXY") ?? One("proxy.no_proxy")));
        TimeZone = NonEmpty(One("time.zone"));
        NtpSynchronized = One("time.ntp_synchronized") is { } ntp ? ntp == "yes" : null;
    }

    /// <summary>The session's host name (how KubePS reaches the node).</summary>
    public string HostName { get; }
    /// <summary>The node's own hostname (hostname(1)).</summary>
    public string NodeName { get; }
    /// <summary>Effective user id the probe ran as (0 = root).</summary>
    public int? Euid { get; }
    /// <summary>ID from /etc/os-release (debian, ubuntu, rhel, rocky, ...).</summary>
    public string OsId { get; }
    /// <summary>VERSION_ID from /etc/os-release.</summary>
    public string OsVersion { get; }
    public string OsPrettyName { get; }
    public IReadOnlyList<string> OsIdLike { get; }
    public string KernelRelease { get; }
    /// <summary>uname -m (x86_64, aarch64, ...).</summary>
    public string Machine { get; }
    /// <summary>The Kubernetes/Go name of the architecture (amd64, arm64, ppc64le, s390x, arm), or the raw machine name.</summary>
    public string Architecture => Machine switch
    {
        "x86_64" or "amd64" => "amd64",
        "aarch64" or "arm64" => "arm64",
        "ppc64le" => "ppc64le",
        "s390x" => "s390x",
        "armv7l" or "armv6l" or "arm" => "arm",
        var m => m,
    };
    /// <summary>CPUs available to processes (nproc), what kubeadm's NumCPU check counts.</summary>
    public int CpuCount { get; }
    /// <summary>MemTotal in MiB, what kubeadm's Mem check compares with 1700.</summary>
    public long MemoryMiB { get; }
    /// <summary>1 or 2 (0 when unknown).</summary>
    public int CgroupVersion { get; }
    /// <summary>Enabled cgroup controllers (on v2 including the implicit devices and, where supported, freezer).</summary>
    public IReadOnlyList<string> CgroupControllers { get; }
    /// <summary>/proc/swaps could be read.</summary>
    public bool SwapReadable { get; }
    /// <summary>Active swap devices or files (/proc/swaps entries).</summary>
    public IReadOnlyList<string> SwapDevices { get; }
    /// <summary>Uncommented swap lines of /etc/fstab, which turn swap on again at boot.</summary>
    public IReadOnlyList<string> FstabSwapLines { get; }
    public SELinuxState SELinux { get; }
    /// <summary>The SELINUX= value of /etc/selinux/config, if that file exists.</summary>
    public string? SELinuxConfig { get; }
    public InitSystemKind InitSystem { get; }
    /// <summary>Services by unit name: kubelet, firewalld, containerd, docker, cri-docker, crio, chronyd, chrony, systemd-timesyncd.</summary>
    public IReadOnlyDictionary<string, NodeServiceState> Services { get; }
    public NodeServiceState Kubelet => Services["kubelet"];
    public bool FirewalldActive => Services["firewalld"].IsActive;
    public bool FirewalldInstalled => Services["firewalld"].Exists || HasTool("firewall-cmd");
    public bool UfwActive { get; }
    public PackageManagerKind PackageManager { get; }
    /// <summary>Executables found in PATH, by name, with their path.</summary>
    public IReadOnlyDictionary<string, string> Tools { get; }
    public bool HasTool(string name) => Tools.ContainsKey(name);
    public string? ContainerdVersion { get; }
    public string? DockerVersion { get; }
    public string? CrioVersion { get; }
    public string? CriDockerdVersion { get; }
    /// <summary>docker info succeeded (the Docker daemon answers).</summary>
    public bool DockerReady { get; }
    /// <summary>Sockets present, as unix:// endpoints (CRI sockets and Docker's).</summary>
    public IReadOnlyList<string> CriSockets { get; }
    /// <summary>CRI endpoints that answered (crictl info, containerd's CRI plugin ok, or a gRPC Version call).</summary>
    public IReadOnlyList<string> CriReady { get; }
    public IReadOnlyList<string> CriNotReady { get; }
    /// <summary>CRI endpoints present that could not be queried (no crictl, ctr or curl on the node).</summary>
    public IReadOnlyList<string> CriUnknown { get; }
    public bool ContainerdConfigPresent { get; }
    public int? ContainerdConfigVersion { get; }
    /// <summary>SystemdCgroup = true in /etc/containerd/config.toml; null without that file.</summary>
    public bool? ContainerdSystemdCgroup { get; }
    /// <summary>sandbox_image (config v2) or pinned sandbox image (v3) in /etc/containerd/config.toml.</summary>
    public string? ContainerdSandboxImage { get; }
    /// <summary>kubelet --version as printed (v1.30.4), or null when kubelet is not installed.</summary>
    public string? KubeletVersionText { get; }
    public string? KubeadmVersionText { get; }
    public string? KubectlVersionText { get; }
    public KubeVersion? KubeletVersion => LenientVersion(KubeletVersionText);
    public KubeVersion? KubeadmVersion => LenientVersion(KubeadmVersionText);
    public KubeVersion? KubectlVersion => LenientVersion(KubectlVersionText);
    /// <summary>Names that resolved on the node, with the first address.</summary>
    public IReadOnlyDictionary<string, string> ResolvedHostNames { get; }
    public IReadOnlyList<string> UnresolvedHostNames { get; }
    /// <summary>The node's own hostname resolves on the node.</summary>
    public bool HostNameResolves => ResolvedHostNames.ContainsKey(NodeName);
    public string? DefaultInterface { get; }
    public IPAddress? DefaultIPv4 { get; }
    public IPAddress? DefaultIPv6 { get; }
    public IReadOnlyList<NodeAddress> Addresses { get; }
    /// <summary>
    /// The address kubeadm would advertise: the default-route interface's global IPv4 address, else its IPv6 one,
    /// else the first global address of any interface.
    /// </summary>
    public IPAddress? DefaultAddress => DefaultIPv4 ?? DefaultIPv6 ?? Addresses.FirstOrDefault()?.Address;
    /// <summary>TCP ports something listens on (any address, IPv4 or IPv6).</summary>
    public IReadOnlySet<int> ListeningPorts { get; }
    /// <summary>State of each path the probe checked.</summary>
    public IReadOnlyDictionary<string, NodePathState> Paths { get; }
    /// <summary>net.* sysctls kubeadm checks (dotted names), as read from /proc/sys; missing keys are absent.</summary>
    public IReadOnlyDictionary<string, string> Sysctls { get; }
    public IReadOnlyDictionary<string, KernelModuleState> KernelModules { get; }
    /// <summary>Where the kernel config was read from, or null when none was found.</summary>
    public string? KernelConfigSource { get; }
    /// <summary>Kernel config symbols (without CONFIG_) that are set, with y or m.</summary>
    public IReadOnlyDictionary<string, string> KernelConfig { get; }
    public NodeProxySettings Proxy { get; }
    public string? TimeZone { get; }
    public bool? NtpSynchronized { get; }

    /// <summary>Every key and its values as printed by the probe, for troubleshooting.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Raw => _raw;

    /// <summary>The state of a checked path; throws for a path the probe was not asked about.</summary>
    public NodePathState PathState(string path)
    {
        string p = path.Length > 1 ? path.TrimEnd('/') : path;
        if (Paths.TryGetValue(p, out var s)) return s;
        if (_probedPaths.Contains(p)) return NodePathState.Absent;
        throw new KubeException("Node.PathNotProbed", $"{HostName}: the facts do not cover '{path}'. Gather the facts again with that path in NodeProbeOptions.Paths.",
            KubeErrorCategory.InvalidOperation, path);
    }

    /// <summary>
    /// The same facts under another session name, e.g. a real node's facts as the planning basis of a dry-run session
    /// (<see cref="NodeSessionOptions.DryRunFacts"/>). Everything the probe found, including the node's own hostname, stays as it was.
    /// </summary>
    public NodeFacts WithHostName(string hostName)
    {
        NodeSessionOptions.ValidateHostName(hostName);
        if (hostName == HostName) return this;
        return new NodeFacts(hostName, _raw.ToDictionary(kv => kv.Key, kv => kv.Value.ToList(), StringComparer.Ordinal), _options);
    }

    /// <summary>True when these facts were gathered with at least the paths, sockets and names <paramref name="options"/> asks for.</summary>
    public bool Covers(NodeProbeOptions options) =>
        options.Paths.All(p => _probedPaths.Contains(p.Length > 1 ? p.TrimEnd('/') : p))
        && options.CriSockets.All(s => _probedSockets.Contains(NodeProbe.SocketPath(s)))
        && options.HostNames.All(n => _probedNames.Contains(n) || n == NodeName);

    public override string ToString() =>
        $"{HostName}: {(OsPrettyName.Length > 0 ? OsPrettyName : OsId)}, kernel {KernelRelease}, {CpuCount} CPU, {MemoryMiB} MiB, cgroup v{CgroupVersion}";

    /// <summary>
    /// Parses the probe's output. Lines before the probe's header (a login banner) are skipped; after it every line must be
    /// <c>key=value</c> and the output must end with the probe's trailer, else <c>Node.ProbeOutputInvalid</c>.
    /// </summary>
    /// <param name="hostName">the session's host name, for messages and <see cref="HostName"/></param>
    /// <param name="output">the probe's standard output</param>
    /// <param name="options">the options the probe was rendered with (what paths, sockets and names it covered)</param>
    public static NodeFacts Parse(string hostName, string output, NodeProbeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var lines = output.Replace("\r\n", "\n").Split('\n');
        int start = Array.IndexOf(lines, "kubeps.probe=1");
        if (start < 0)
            throw new KubeException("Node.ProbeOutputInvalid",
                $"{hostName}: the node probe's output has no 'kubeps.probe=1' header. It begins: '{Excerpt(output)}'.",
                KubeErrorCategory.InvalidData, hostName, "Check that the node runs bash and that nothing else writes to standard output of a non-interactive shell.");
        var raw = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        bool ended = false;
        for (int i = start + 1; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0) continue;
            if (line == "kubeps.probe.end=1") { ended = true; break; }
            var m = KeyValue().Match(line);
            if (!m.Success)
                throw new KubeException("Node.ProbeOutputInvalid",
                    $"{hostName}: line {i + 1} of the node probe's output is not key=value: '{Excerpt(line)}'.",
                    KubeErrorCategory.InvalidData, hostName, "Report this line: a tool on the node printed something the probe did not expect.");
            string key = m.Groups[1].Value;
            if (!raw.TryGetValue(key, out var list)) raw[key] = list = [];
            list.Add(m.Groups[2].Value);
        }
        if (!ended)
            throw new KubeException("Node.ProbeOutputInvalid",
                $"{hostName}: the node probe's output ends early (no 'kubeps.probe.end=1' trailer); the probe did not finish.",
                KubeErrorCategory.InvalidData, hostName, "Run the probe again; if it keeps failing, check the node's load and its shell.");
        try
        {
            return new NodeFacts(hostName, raw, options ?? NodeProbeOptions.Default);
        }
        catch (KubeException e) when (e.ErrorId == "Node.ProbeOutputInvalid")
        {
            throw new KubeException(e.ErrorId, $"{hostName}: {e.Message}", e.Category, hostName, e.RecommendedAction);
        }
    }

    [GeneratedRegex(@"^([A-Za-z0-9_.-]+)=(.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyValue();

    [GeneratedRegex(@"^v?(\d{1,4})\.(\d{1,4})\.(\d{1,6})", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPrefix();

    /// <summary>The x.y.z prefix of a version as a tool prints it (v1.32.4-dispatcher → v1.32.4).</summary>
    public static KubeVersion? LenientVersion(string? text)
    {
        if (text is null) return null;
        var m = VersionPrefix().Match(text.Trim());
        return m.Success ? KubeVersion.Create(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)) : null;
    }

    string? One(string key) => _raw.TryGetValue(key, out var v) && v.Count > 0 ? v[0] : null;
    IReadOnlyList<string> All(string key) => _raw.TryGetValue(key, out var v) ? v : [];
    static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    int? Int(string key) => One(key) is { Length: > 0 } v ? IntValue(key, v) : null;

    long? Long(string key)
    {
        if (One(key) is not { Length: > 0 } v) return null;
        return long.TryParse(v.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(key, v);
    }

    static int IntValue(string key, string v) =>
        int.TryParse(v.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(key, v);

    IPAddress? Ip(string key)
    {
        if (NonEmpty(One(key)) is not { } v) return null;
        return IPAddress.TryParse(v, out var ip) ? ip : throw Invalid(key, v);
    }

    static NodeAddress ParseAddress(string value)
    {
        var parts = value.Split(' ', 2);
        var cidr = parts[0].Split('/');
        if (cidr.Length != 2 || !IPAddress.TryParse(cidr[0], out var ip) || !int.TryParse(cidr[1], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix))
            throw Invalid("net.address", value);
        return new NodeAddress(ip, prefix, parts.Length > 1 ? parts[1] : "");
    }

    static KubeException Invalid(string key, string value) =>
        new("Node.ProbeOutputInvalid", $"the node probe printed an unexpected value for {key}: '{Excerpt(value)}'.",
            KubeErrorCategory.InvalidData, key, "Report this value: a tool on the node printed something the probe did not expect.");

    static string Excerpt(string s)
    {
        s = Preparation.Bash.OneLine(s.Trim());
        return s.Length <= 120 ? s : s[..120] + "...";
    }
}
