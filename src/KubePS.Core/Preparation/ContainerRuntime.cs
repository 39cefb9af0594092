using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Preparation;

/// <summary>The container runtime to install.</summary>
public enum ContainerRuntimeKind { Containerd, Docker }

/// <summary>Options of <see cref="ContainerRuntime"/>.</summary>
public sealed record ContainerRuntimeOptions
{
    public ContainerRuntimeKind Runtime { get; init; } = ContainerRuntimeKind.Containerd;

    /// <summary>
    /// The runtime package version to install, as a prefix of the repository's version string (containerd 1.7.12, docker
    /// 5:24.0.7); null for the version the repositories offer (or the one installed).
    /// </summary>
    public string? Version { get; init; }

    /// <summary>The cluster's Kubernetes version: decides the pause image and whether Docker needs cri-dockerd (1.24+).</summary>
    public KubeVersion KubernetesVersion { get; init; } = VersionCatalog.NewestRelease;

    /// <summary>The cluster's imageRepository (a mirror such as registry.aliyuncs.com/google_containers), for the pause image.</summary>
    public string? ImageRepository { get; init; }

    /// <summary>The sandbox (pause) image, overriding the one derived from KubernetesVersion and ImageRepository.</summary>
    public string? SandboxImage { get; init; }

    /// <summary>Registry mirrors: registry host (docker.io, registry.k8s.io, or _default for all) → mirror URLs, tried in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RegistryMirrors { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>containerd config version to render, 2 (containerd 1.x) or 3 (2.x); null to decide from the containerd version.</summary>
    public int? ContainerdConfigVersion { get; init; }

    /// <summary>The systemd cgroup driver (kubeadm's default since 1.22). False only for nodes without systemd.</summary>
    public bool SystemdCgroup { get; init; } = true;

    /// <summary>cri-dockerd release to install with Docker for Kubernetes 1.24+.</summary>
    public string CriDockerdVersion { get; init; } = "0.3.20";

    /// <summary>Where cri-dockerd releases are downloaded from: &lt;base&gt;/v&lt;version&gt;/cri-dockerd-&lt;version&gt;.&lt;arch&gt;.tgz.</summary>
    public string CriDockerdBaseUrl { get; init; } = "https://github.com/Mirantis/cri-dockerd/releases/download";

    /// <summary>Only these steps (ids from <see cref="PreparationSteps"/>); null for all.</summary>
    public IReadOnlyList<string>? Steps { get; init; }
}

/// <summary>
/// Renders the container runtime: containerd (the distro's package on apt systems, Docker's containerd.io on dnf/yum)
/// with /etc/containerd/config.toml (SystemdCgroup = true, the cluster's pause image as sandbox image, registry mirrors
/// through config_path and certs.d/&lt;registry&gt;/hosts.toml), or Docker with cri-dockerd for 1.24+ clusters.
/// <para>
/// config.toml format: containerd 1.x reads config version 2 (plugin <c>io.containerd.grpc.v1.cri</c>, <c>sandbox_image</c>);
/// containerd 2.x introduced version 3 (plugins <c>io.containerd.cri.v1.images</c> with <c>pinned_images.sandbox</c> and
/// <c>io.containerd.cri.v1.runtime</c>) and still reads version 2, converting it. KubePS renders version 3 only when it
/// knows the containerd is 2.x (the requested Version, or the installed one from the facts) and version 2 otherwise.
/// </para>
/// </summary>
public static class ContainerRuntime
{
    public const string ContainerdConfig = "/etc/containerd/config.toml";
    public const string CertsDir = "/etc/containerd/certs.d";
    public const string CrictlConfig = "/etc/crictl.yaml";
    public const string DockerDaemonJson = "/etc/docker/daemon.json";
    public const string CriDockerdService = "/etc/systemd/system/cri-docker.service";
    public const string CriDockerdSocket = "/etc/systemd/system/cri-docker.socket";
    public const string CriDockerdEndpoint = "unix:///var/run/cri-dockerd.sock";
    public const string ContainerdEndpoint = "unix:///var/run/containerd/containerd.sock";

    /// <summary>The sandbox image a set of options gives: the explicit one, else the cluster's pause image on its repository.</summary>
    public static string SandboxImageFor(ContainerRuntimeOptions o) =>
        string.IsNullOrWhiteSpace(o.SandboxImage) ? KubeImages.Pause(o.KubernetesVersion, o.ImageRepository) : o.SandboxImage.Trim();

    /// <summary>The containerd config version for these options on this node (see the class remarks).</summary>
    public static int ConfigVersionFor(ContainerRuntimeOptions o, NodeFacts? facts)
    {
        if (o.ContainerdConfigVersion is int v) return v;
        int? major = Major(o.Version) ?? Major(facts?.ContainerdVersion);
        return major >= 2 ? 3 : 2;
    }

    public static NodePlan Render(NodeFacts facts, ContainerRuntimeOptions? options = null)
    {
        options ??= new ContainerRuntimeOptions();
        Validate(options);
        if (facts.PackageManager is not (PackageManagerKind.Apt or PackageManagerKind.Dnf or PackageManagerKind.Yum))
            throw new KubeException("Preparation.UnsupportedPackageManager",
                $"{facts.HostName}: installing a container runtime needs apt, dnf or yum; the node has {facts.PackageManager}.",
                KubeErrorCategory.NotImplemented, facts.HostName, "Install the runtime yourself; Install-KubeContainerRuntime -Step runtime/config still writes its configuration.");
        bool Want(string id) => options.Steps is null || options.Steps.Contains(id);
        var steps = new List<PlanStep>();
        bool rpm = facts.PackageManager != PackageManagerKind.Apt;
        string sandbox = SandboxImageFor(options);

        if (rpm && Want(PreparationSteps.RuntimeRepository)) steps.Add(DockerRepository(facts));
        if (options.Runtime == ContainerRuntimeKind.Containerd)
        {
            if (Want(PreparationSteps.RuntimePackage)) steps.Add(ContainerdPackage(rpm, options.Version));
            if (Want(PreparationSteps.RuntimeConfig)) steps.Add(ContainerdConfigStep(options, facts, sandbox));
            if (Want(PreparationSteps.RuntimeService)) steps.Add(new PlanStep(PreparationSteps.RuntimeService, "enable and (re)start containerd", [], $"""
                daemon_reload
                svc_enable containerd.service
                if file_changed {ContainerdConfig}; then svc_restart containerd.service; else svc_start containerd.service; fi
                """));
        }
        else
        {
            var release = VersionCatalog.Get(options.KubernetesVersion);
            bool criDockerd = !release.DefaultCriSocket.Contains("dockershim", StringComparison.Ordinal);
            if (Want(PreparationSteps.RuntimePackage)) steps.Add(DockerPackage(rpm, options.Version));
            if (Want(PreparationSteps.RuntimeConfig)) steps.Add(DockerConfigStep(options));
            if (criDockerd && Want(PreparationSteps.RuntimeCriDockerd)) steps.Add(CriDockerd(facts, options, sandbox));
            if (Want(PreparationSteps.RuntimeService))
            {
                string script = $"""
                    daemon_reload
                    svc_enable docker.service
                    if file_changed {DockerDaemonJson}; then svc_restart docker.service; else svc_start docker.service; fi

                    """;
                if (criDockerd)
                    script += $"""
                        svc_enable cri-docker.socket
                        svc_enable cri-docker.service
                        if file_changed {CriDockerdService} || file_changed {CriDockerdSocket} || [ -e "$KUBEPS_TMP/cri-dockerd-updated" ]; then
                          svc_restart cri-docker.socket; svc_restart cri-docker.service
                        else
                          svc_start cri-docker.socket; svc_start cri-docker.service
                        fi

                        """;
                steps.Add(new PlanStep(PreparationSteps.RuntimeService, criDockerd ? "enable and (re)start docker and cri-dockerd" : "enable and (re)start docker", [], script));
            }
        }
        return new NodePlan(facts.HostName, "container-runtime", steps, TimeSpan.FromMinutes(20), NodePrerequisites.PackageManagerPrologue(facts.PackageManager));
    }

    /// <summary>config.toml for containerd with the systemd cgroup driver, a sandbox image and certs.d mirrors.</summary>
    public static string ContainerdConfigToml(int version, string sandboxImage, bool systemdCgroup = true)
    {
        string sandbox = TomlString(sandboxImage), certs = TomlString(CertsDir), cgroup = systemdCgroup ? "true" : "false";
        return (version switch
        {
            2 => $"""
                # containerd configuration written by KubePS (config version 2, containerd 1.x).
                version = 2

                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = {sandbox}

                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"

                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                  SystemdCgroup = {cgroup}

                [plugins."io.containerd.grpc.v1.cri".registry]
                  config_path = {certs}

                """,
            3 => $"""
                # containerd configuration written by KubePS (config version 3, containerd 2.x).
                version = 3

                [plugins."io.containerd.cri.v1.images".pinned_images]
                  sandbox = {sandbox}

                [plugins."io.containerd.cri.v1.images".registry]
                  config_path = {certs}

                [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"

                [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
                  SystemdCgroup = {cgroup}

                """,
            _ => throw new KubeException("Preparation.InvalidContainerdConfigVersion", $"containerd config version {version} is not one KubePS renders; valid are 2 (containerd 1.x) and 3 (containerd 2.x).",
                KubeErrorCategory.InvalidArgument, version, "Use 2 or 3, or leave it out to decide from the containerd version."),
        }).Replace("\r\n", "\n");
    }

    /// <summary>certs.d/&lt;registry&gt;/hosts.toml: the upstream server and the mirrors to try first.</summary>
    public static string HostsToml(string registry, IReadOnlyList<string> mirrors)
    {
        var sb = new StringBuilder("# Registry mirrors for ").Append(registry).Append(" (written by KubePS)\n");
        if (registry != "_default")
            sb.Append("server = ").Append(TomlString(registry == "docker.io" ? "https://registry-1.docker.io" : "https://" + registry)).Append('\n');
        foreach (var m in mirrors)
            sb.Append("\n[host.").Append(TomlString(m.TrimEnd('/'))).Append("]\n  capabilities = [\"pull\", \"resolve\"]\n");
        return sb.ToString();
    }

    /// <summary>Checks the options without a node (for failing early, before any node is touched).</summary>
    public static void Validate(ContainerRuntimeOptions o)
    {
        foreach (var (registry, mirrors) in o.RegistryMirrors)
        {
            if (string.IsNullOrWhiteSpace(registry) || registry.Contains('/') || registry.Contains("..") || registry.Any(char.IsWhiteSpace))
                throw new KubeException("Preparation.InvalidRegistry", $"'{registry}' is not a registry host (such as docker.io, registry.k8s.io or _default).",
                    KubeErrorCategory.InvalidArgument, registry, "Give the registry's host name (and port), without a scheme or path.");
            if (mirrors.Count == 0)
                throw new KubeException("Preparation.InvalidMirror", $"registry {registry} has no mirror URL.", KubeErrorCategory.InvalidArgument, registry,
                    $"Give at least one https:// mirror URL for it, e.g. -RegistryMirror @{{ '{registry}' = 'https://mirror.example.com' }}.");
            foreach (var m in mirrors)
                if (!Uri.TryCreate(m, UriKind.Absolute, out var u) || (u.Scheme != "https" && u.Scheme != "http") || m.Any(char.IsWhiteSpace))
                    throw new KubeException("Preparation.InvalidMirror", $"mirror '{m}' for {registry} is not an http(s) URL.",
                        KubeErrorCategory.InvalidArgument, m, "Give a URL such as https://mirror.example.com.");
        }
        if (o.Version is { } v && (v.Length == 0 || v.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '*' or '?')))
            throw new KubeException("Preparation.InvalidVersion", $"'{v}' is not a package version such as 1.7.12.", KubeErrorCategory.InvalidArgument, v, "Give a version (or its beginning) as the repository lists it.");
        if (!System.Text.RegularExpressions.Regex.IsMatch(o.CriDockerdVersion, @"^\d+\.\d+\.\d+$"))
            throw new KubeException("Preparation.InvalidVersion", $"'{o.CriDockerdVersion}' is not a cri-dockerd release such as 0.3.20.", KubeErrorCategory.InvalidArgument, o.CriDockerdVersion, "Give x.y.z.");
        if (!Uri.TryCreate(o.CriDockerdBaseUrl, UriKind.Absolute, out _))
            throw new KubeException("Preparation.InvalidUrl", $"'{o.CriDockerdBaseUrl}' is not a URL.", KubeErrorCategory.InvalidArgument, o.CriDockerdBaseUrl, "Give an https:// URL.");
        if (SandboxImageFor(o) is var s && (s.Any(char.IsWhiteSpace) || !s.Contains(':')))
            throw new KubeException("Preparation.InvalidImage", $"'{s}' is not an image reference with a tag.", KubeErrorCategory.InvalidArgument, s, "Give an image such as registry.k8s.io/pause:3.9.");
        if (o.ContainerdConfigVersion is int cv && cv is not (2 or 3))
            ContainerdConfigToml(cv, "x:y");
    }

    static PlanStep DockerRepository(NodeFacts facts)
    {
        string distro = facts.OsId == "fedora" ? "fedora" : "centos";
        string content = $"""
            # Docker CE repository (containerd.io, docker-ce), written by KubePS
            [docker-ce-stable]
            name=Docker CE Stable - $basearch
            baseurl=https://download.docker.com/linux/{distro}/$releasever/$basearch/stable
            enabled=1
            gpgcheck=1
            gpgkey=https://download.docker.com/linux/{distro}/gpg

            """;
        return new PlanStep(PreparationSteps.RuntimeRepository, "add Docker's package repository (containerd.io and docker-ce are not in the distribution)",
            [NodeFile.Text("/etc/yum.repos.d/docker-ce.repo", content.Replace("\r\n", "\n"))], "");
    }

    static string InstallByPrefix(string package, bool rpm, string? version)
    {
        // Install the package (a version beginning with the given prefix, resolved from the repository), unless it is installed already.
        var sb = new StringBuilder($"p={Bash.Quote(package)}\nwant={Bash.Quote(version ?? "")}\n");
        sb.Append(rpm ? """
            cur=$(rpm -q --qf '%{VERSION}-%{RELEASE}' "$p" 2>/dev/null || true)
            case "$cur" in *"not installed"*) cur= ;; esac
            if [ -z "$want" ]; then
              [ -n "$cur" ] || { pkg_install "$p"; changed "installed $p"; }
            else
              case "$cur" in "$want"*) ;; *)
                v=$($KUBEPS_PM list --showduplicates "$p" 2>/dev/null | awk -v n="$p" 'index($1, n ".") == 1 {print $2}' | grep -F -- "$want" | awk -v w="$want" 'index($0, w) == 1 || index($0, ":" w) > 0' | tail -n 1)
                [ -n "$v" ] || fail "no $p version beginning with $want in the configured repositories"
                pkg_install "$p-${v#*:}"; changed "installed $p $v" ;;
              esac
            fi
            """ : """
            st=$(dpkg-query -W -f='${Status}|${Version}' "$p" 2>/dev/null || true)
            cur=; case "$st" in *" ok installed|"*) cur=${st#*|} ;; esac
            if [ -z "$want" ]; then
              [ -n "$cur" ] || { pkg_install "$p"; changed "installed $p"; }
            else
              case "$cur" in "$want"*|*":$want"*) ;; *)
                pkg_refresh
                v=$(apt-cache madison "$p" 2>/dev/null | awk -F'|' '{gsub(/[[:space:]]/, "", $2); print $2}' | awk -v w="$want" 'index($0, w) == 1 || index($0, ":" w) > 0' | head -n 1)
                [ -n "$v" ] || fail "no $p version beginning with $want in the configured repositories"
                pkg_install "$p=$v"; changed "installed $p $v" ;;
              esac
            fi
            """);
        return sb.ToString();
    }

    static PlanStep ContainerdPackage(bool rpm, string? version)
    {
        string package = rpm ? "containerd.io" : "containerd";
        // A containerd already on the node (from any package) is kept when no version is asked for.
        string script = version is null ? "if have containerd; then exit 0; fi\n" + InstallByPrefix(package, rpm, null) : InstallByPrefix(package, rpm, version);
        return new PlanStep(PreparationSteps.RuntimePackage, $"install containerd ({package}{(version is null ? "" : " " + version)})", [], script);
    }

    static PlanStep DockerPackage(bool rpm, string? version)
    {
        if (rpm)
            return new PlanStep(PreparationSteps.RuntimePackage, $"install Docker (docker-ce{(version is null ? "" : " " + version)}, containerd.io)", [],
                InstallByPrefix("docker-ce", true, version) + "\n" + InstallByPrefix("containerd.io", true, null));
        return new PlanStep(PreparationSteps.RuntimePackage, $"install Docker (docker.io{(version is null ? "" : " " + version)})", [],
            (version is null ? "if have dockerd; then exit 0; fi\n" : "") + InstallByPrefix("docker.io", false, version));
    }

    static PlanStep ContainerdConfigStep(ContainerRuntimeOptions o, NodeFacts facts, string sandbox)
    {
        int version = ConfigVersionFor(o, facts);
        var files = new List<NodeFile> { NodeFile.Text(ContainerdConfig, ContainerdConfigToml(version, sandbox, o.SystemdCgroup)) };
        foreach (var (registry, mirrors) in o.RegistryMirrors.OrderBy(m => m.Key, StringComparer.Ordinal))
            files.Add(NodeFile.Text($"{CertsDir}/{registry}/hosts.toml", HostsToml(registry, mirrors)));
        files.Add(NodeFile.Text(CrictlConfig, $"runtime-endpoint: {ContainerdEndpoint}\nimage-endpoint: {ContainerdEndpoint}\ntimeout: 10\n"));
        string mirrorText = o.RegistryMirrors.Count == 0 ? "" : $", mirrors for {string.Join(", ", o.RegistryMirrors.Keys.Order(StringComparer.Ordinal))}";
        return new PlanStep(PreparationSteps.RuntimeConfig,
            $"write {ContainerdConfig} (config version {version}, SystemdCgroup = {(o.SystemdCgroup ? "true" : "false")}, sandbox image {sandbox}{mirrorText}) and {CrictlConfig}",
            files, "");
    }

    static PlanStep DockerConfigStep(ContainerRuntimeOptions o)
    {
        var json = new JsonObject
        {
            ["exec-opts"] = new JsonArray(o.SystemdCgroup ? "native.cgroupdriver=systemd" : "native.cgroupdriver=cgroupfs"),
            ["log-driver"] = "json-file",
            ["log-opts"] = new JsonObject { ["max-size"] = "100m" },
            ["storage-driver"] = "overlay2",
        };
        // Docker's own mirror setting applies to Docker Hub only.
        if (o.RegistryMirrors.TryGetValue("docker.io", out var hub))
            json["registry-mirrors"] = new JsonArray(hub.Select(m => (JsonNode)JsonValue.Create(m.TrimEnd('/'))!).ToArray());
        string text = json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        return new PlanStep(PreparationSteps.RuntimeConfig, $"write {DockerDaemonJson} (cgroup driver {(o.SystemdCgroup ? "systemd" : "cgroupfs")}, overlay2)",
            [NodeFile.Text(DockerDaemonJson, text)], "");
    }

    static PlanStep CriDockerd(NodeFacts facts, ContainerRuntimeOptions o, string sandbox)
    {
        string arch = facts.Architecture;
        string url = $"{o.CriDockerdBaseUrl.TrimEnd('/')}/v{o.CriDockerdVersion}/cri-dockerd-{o.CriDockerdVersion}.{arch}.tgz";
        string service = $"""
            # cri-dockerd: the CRI for Docker Engine (Kubernetes 1.24+), written by KubePS
            [Unit]
            Description=CRI interface for Docker Engine (cri-dockerd)
            Documentation=https://github.com/Mirantis/cri-dockerd
            After=network-online.target firewalld.service docker.service
            Wants=network-online.target
            Requires=cri-docker.socket

            [Service]
            Type=notify
            ExecStart=/usr/local/bin/cri-dockerd --container-runtime-endpoint fd:// --network-plugin=cni --pod-infra-container-image={sandbox}
            ExecReload=/bin/kill -s HUP $MAINPID
            TimeoutSec=0
            RestartSec=2
            Restart=always
            StartLimitBurst=3
            StartLimitInterval=60s
            LimitNOFILE=infinity
            LimitNPROC=infinity
            LimitCORE=infinity
            TasksMax=infinity
            Delegate=yes
            KillMode=process

            [Install]
            WantedBy=multi-user.target

            """;
        string socket = """
            # Socket of cri-dockerd (unix:///var/run/cri-dockerd.sock), written by KubePS
            [Unit]
            Description=CRI socket of cri-dockerd
            PartOf=cri-docker.service

            [Socket]
            ListenStream=%t/cri-dockerd.sock
            SocketMode=0660
            SocketUser=root
            SocketGroup=docker

            [Install]
            WantedBy=sockets.target

            """;
        string script = $$"""
            want={{Bash.Quote(o.CriDockerdVersion)}}
            url={{Bash.Quote(url)}}
            cur=$(/usr/local/bin/cri-dockerd --version 2>&1 | awk '{print $2}' | head -n 1 || true)
            if [ "$cur" != "$want" ]; then
              fetch "$url" "$KUBEPS_TMP/cri-dockerd.tgz"
              tar -xzf "$KUBEPS_TMP/cri-dockerd.tgz" -C "$KUBEPS_TMP"
              install -m 0755 "$KUBEPS_TMP/cri-dockerd/cri-dockerd" /usr/local/bin/cri-dockerd
              touch "$KUBEPS_TMP/cri-dockerd-updated"
              changed "installed cri-dockerd $want from $url"
            fi
            """;
        return new PlanStep(PreparationSteps.RuntimeCriDockerd,
            $"install cri-dockerd {o.CriDockerdVersion} (CRI socket {CriDockerdEndpoint}, pod infra image {sandbox})",
            [NodeFile.Text(CriDockerdService, service.Replace("\r\n", "\n")), NodeFile.Text(CriDockerdSocket, socket.Replace("\r\n", "\n"))], script);
    }

    static int? Major(string? version)
    {
        if (string.IsNullOrWhiteSpace(version)) return null;
        var s = version.Trim();
        int colon = s.IndexOf(':');
        if (colon >= 0) s = s[(colon + 1)..];
        s = s.TrimStart('v');
        int dot = s.IndexOf('.');
        return int.TryParse(dot < 0 ? s : s[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : null;
    }

    static string TomlString(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        return sb.Append('"').ToString();
    }
}
