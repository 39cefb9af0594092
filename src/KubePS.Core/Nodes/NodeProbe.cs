using System.Text;
using KubePS.Core.Preparation;

namespace KubePS.Core.Nodes;

/// <summary>What the node probe looks at beyond its fixed list: paths, CRI sockets and names to resolve.</summary>
public sealed record NodeProbeOptions
{
    /// <summary>Paths whose state (absent, file, empty or non-empty directory) the probe reports, besides <see cref="NodeProbe.DefaultPaths"/>.</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];

    /// <summary>CRI sockets (unix:///path or /path) to look for and query, besides <see cref="NodeProbe.DefaultCriSockets"/>.</summary>
    public IReadOnlyList<string> CriSockets { get; init; } = [];

    /// <summary>Host names to resolve on the node, besides its own hostname (e.g. a node name that differs from it).</summary>
    public IReadOnlyList<string> HostNames { get; init; } = [];

    /// <summary>An empty option set: the fixed lists only.</summary>
    public static NodeProbeOptions Default { get; } = new();
}

/// <summary>
/// The node probe: one bash script, one round trip per node, that reads (never changes) what KubePS and kubeadm's
/// preflight need to know about a node and prints it as <c>key=value</c> lines (<see cref="NodeFacts.Parse"/>).
/// It needs only bash and tolerates every other tool being missing; it prints no secrets (proxy credentials are masked).
/// </summary>
public static class NodeProbe
{
    /// <summary>Paths the probe always reports: kubeadm's manifests, kubeconfigs, CA and data directories.</summary>
    public static readonly IReadOnlyList<string> DefaultPaths =
    [
        "/etc/kubernetes/manifests",
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        "/etc/kubernetes/manifests/kube-controller-manager.yaml",
        "/etc/kubernetes/manifests/kube-scheduler.yaml",
        "/etc/kubernetes/manifests/etcd.yaml",
        "/etc/kubernetes/admin.conf",
        "/etc/kubernetes/super-admin.conf",
        "/etc/kubernetes/kubelet.conf",
        "/etc/kubernetes/bootstrap-kubelet.conf",
        "/etc/kubernetes/controller-manager.conf",
        "/etc/kubernetes/scheduler.conf",
        "/etc/kubernetes/pki/ca.crt",
        "/var/lib/etcd",
        "/var/lib/kubelet",
    ];

    /// <summary>The CRI sockets kubeadm knows (containerd, CRI-O, cri-dockerd) plus Docker's and dockershim's.</summary>
    public static readonly IReadOnlyList<string> DefaultCriSockets =
    [
        "/var/run/containerd/containerd.sock",
        "/var/run/crio/crio.sock",
        "/var/run/cri-dockerd.sock",
        "/var/run/docker.sock",
        "/var/run/dockershim.sock",
    ];

    /// <summary>Executables whose presence in PATH the probe reports (kubeadm's FileExisting-* checks and KubePS's own needs).</summary>
    public static readonly IReadOnlyList<string> Tools =
    [
        "crictl", "ctr", "conntrack", "ip", "iptables", "mount", "nsenter", "ebtables", "ethtool", "socat", "tc", "touch",
        "ipset", "ipvsadm", "kubeadm", "kubelet", "kubectl", "containerd", "runc", "docker", "dockerd", "crio", "cri-dockerd",
        "modprobe", "sysctl", "swapoff", "systemctl", "curl", "wget", "tar", "gzip", "gpg", "sha256sum", "apt-get", "apt-cache",
        "dpkg", "dnf", "yum", "rpm", "setenforce", "getenforce", "firewall-cmd", "ufw", "chronyc", "timedatectl", "getent",
    ];

    /// <summary>Kernel modules the probe reports, with the kernel config symbol that builds each one in.</summary>
    public static readonly IReadOnlyDictionary<string, string> Modules = new Dictionary<string, string>
    {
        ["overlay"] = "OVERLAY_FS",
        ["br_netfilter"] = "BRIDGE_NETFILTER",
        ["ip_vs"] = "IP_VS",
        ["ip_vs_rr"] = "IP_VS_RR",
        ["ip_vs_wrr"] = "IP_VS_WRR",
        ["ip_vs_sh"] = "IP_VS_SH",
        ["nf_conntrack"] = "NF_CONNTRACK",
    };

    /// <summary>Kernel config symbols (without CONFIG_) the probe reports: SystemVerification's lists and the modules above.</summary>
    public static readonly IReadOnlyList<string> KernelConfigSymbols =
    [
        "NAMESPACES", "NET_NS", "PID_NS", "IPC_NS", "UTS_NS", "CGROUPS", "CGROUP_CPUACCT", "CGROUP_DEVICE", "CGROUP_FREEZER",
        "CGROUP_PIDS", "CGROUP_SCHED", "CGROUP_BPF", "CPUSETS", "MEMCG", "INET", "EXT4_FS", "PROC_FS",
        "NETFILTER_XT_TARGET_REDIRECT", "IP_NF_TARGET_REDIRECT", "NETFILTER_XT_MATCH_COMMENT", "FAIR_GROUP_SCHED",
        "OVERLAY_FS", "OVERLAYFS_FS", "AUFS_FS", "BLK_DEV_DM", "CFS_BANDWIDTH", "SECCOMP", "SECCOMP_FILTER",
        "BRIDGE_NETFILTER", "IP_VS", "IP_VS_RR", "IP_VS_WRR", "IP_VS_SH", "NF_CONNTRACK", "MODULES",
    ];

    /// <summary>Services whose unit, enablement and activity the probe reports, with the process name that runs each.</summary>
    public static readonly IReadOnlyList<(string Unit, string Process)> Services =
    [
        ("kubelet", "kubelet"), ("firewalld", "firewalld"), ("containerd", "containerd"), ("docker", "dockerd"),
        ("cri-docker", "cri-dockerd"), ("crio", "crio"), ("chronyd", "chronyd"), ("chrony", "chronyd"),
        ("systemd-timesyncd", "systemd-timesyncd"),
    ];

    /// <summary>How long the probe may run on a node.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>Renders the probe script for a set of options. The script only reads, and always exits 0.</summary>
    public static string Script(NodeProbeOptions? options = null)
    {
        options ??= NodeProbeOptions.Default;
        var paths = DefaultPaths.Concat(options.Paths.Select(CheckPath)).Distinct(StringComparer.Ordinal).ToList();
        var sockets = DefaultCriSockets.Concat(options.CriSockets.Select(SocketPath)).Distinct(StringComparer.Ordinal).ToList();
        var names = options.HostNames.Where(n => !string.IsNullOrWhiteSpace(n)).Select(CheckHostName).Distinct(StringComparer.Ordinal).ToList();

        var head = new StringBuilder();
        head.Append("KUBEPS_PATHS=(").Append(Bash.QuoteAll(paths)).Append(")\n");
        head.Append("KUBEPS_SOCKETS=(").Append(Bash.QuoteAll(sockets)).Append(")\n");
        head.Append("KUBEPS_NAMES=(").Append(Bash.QuoteAll(names)).Append(")\n");
        head.Append("KUBEPS_TOOLS=(").Append(Bash.QuoteAll(Tools)).Append(")\n");
        head.Append("KUBEPS_KCONFIG=' ").Append(string.Join(' ', KernelConfigSymbols)).Append(" '\n");
        head.Append("KUBEPS_MODULES=(").Append(Bash.QuoteAll(Modules.Select(m => m.Key + ":" + m.Value))).Append(")\n");
        head.Append("KUBEPS_SERVICES=(").Append(Bash.QuoteAll(Services.Select(s => s.Unit + ":" + s.Process))).Append(")\n");
        return Bash.Lf(ScriptTemplate.Replace("#KUBEPS_PARAMETERS#\n", head.ToString()));
    }

    /// <summary>
    /// Runs the probe over a transport and parses its output. A dry-run transport probes nothing: it answers with the
    /// facts it was given (<see cref="DryRunTransport.FactsFor"/>), or fails with Node.FactsUnavailable.
    /// </summary>
    public static async Task<NodeFacts> GatherAsync(INodeTransport transport, NodeProbeOptions? options, CancellationToken cancellationToken)
    {
        if (transport is DryRunTransport dryRun) return dryRun.FactsFor(options);
        var result = await transport.RunAsync(Script(options), Timeout, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new KubeException("Node.ProbeFailed",
                $"{transport.HostName}: the node probe exited with code {result.ExitCode}: {Tail(result.Error)}",
                KubeErrorCategory.ReadError, transport.HostName, "Check that bash is installed on the node and that the login user may run scripts as root.");
        return NodeFacts.Parse(transport.HostName, result.Output, options);
    }

    /// <summary>
    /// The facts of a session's node: gathered once and cached in <see cref="KubeNodeSession.Facts"/>. Gathered again
    /// when <paramref name="refresh"/> is set or when the cached facts do not cover what <paramref name="options"/> asks for.
    /// </summary>
    public static async Task<NodeFacts> GetFactsAsync(KubeNodeSession session, NodeProbeOptions? options, bool refresh, CancellationToken cancellationToken)
    {
        options ??= NodeProbeOptions.Default;
        if (!refresh && session.Facts is { } cached && cached.Covers(options)) return cached;
        var facts = await GatherAsync(session.Transport, options, cancellationToken).ConfigureAwait(false);
        session.Facts = facts;
        return facts;
    }

    static string CheckPath(string path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/' || path.Contains('\n') || path.Contains('\0'))
            throw new KubeException("Node.InvalidProbePath", $"'{path}' is not an absolute path the node probe can check.",
                KubeErrorCategory.InvalidArgument, path, "Give an absolute path such as /var/lib/etcd.");
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    /// <summary>The socket path of a CRI endpoint (unix:///path or /path); Node.InvalidCriSocket for anything else.</summary>
    public static string SocketPath(string socket)
    {
        string path = socket.StartsWith("unix://", StringComparison.Ordinal) ? socket["unix://".Length..] : socket;
        if (string.IsNullOrEmpty(path) || path[0] != '/' || path.Contains('\n') || path.Contains('\0'))
            throw new KubeException("Node.InvalidCriSocket", $"'{socket}' is not a CRI socket. A CRI socket is unix:///path/to/socket (or an absolute path).",
                KubeErrorCategory.InvalidArgument, socket, "Give a socket such as unix:///var/run/containerd/containerd.sock.");
        return path;
    }

    static string CheckHostName(string name)
    {
        if (name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new KubeException("Node.InvalidHostName", $"'{name}' is not a host name the node probe can resolve (it holds white space or control characters).",
                KubeErrorCategory.InvalidArgument, name, "Give a DNS name such as node1.example.com.");
        return name;
    }

    internal static string Tail(string text, int max = 400)
    {
        text = text.Trim();
        return text.Length <= max ? text : "..." + text[^max..];
    }

    // The probe. Every fact is one kv line; values are made single-line by kv. Tools that may be missing are guarded
    // with have; anything that may hang (a runtime's client talking to its daemon) runs under tmo. Forks are few (they
    // cost ~1-2 ms of CPU each on small VMs and the probe runs on every node of a fleet): files are read with bash's
    // read, /proc and /sys are parsed in bash, services are asked with one systemctl show, the kernel config is
    // filtered by one awk; a tool's own version command is the only exec per installed tool.
    const string ScriptTemplate = """
        #!/bin/bash
        # KubePS node probe: reads facts, changes nothing.
        export LC_ALL=C
        PATH="${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        #KUBEPS_PARAMETERS#
        kv() { local v=${2//$'\n'/ }; v=${v//$'\r'/ }; v=${v//$'\t'/ }; printf '%s=%s\n' "$1" "$v"; }
        have() { command -v "$1" >/dev/null 2>&1; }
        tmo() { local s=$1; shift; if have timeout; then timeout "$s" "$@"; else "$@"; fi; }
        echo 'kubeps.probe=1'
        kv user.euid "$EUID"

        # Without systemd, services are judged by their running processes: their names are read before anything below
        # starts processes of its own (a background "containerd --version" would look like a running containerd).
        if [ -d /run/systemd/system ] && have systemctl; then sd=1; else sd=0; fi
        declare -A procs=()
        if [ "$sd" = 0 ]; then for f in /proc/[0-9]*/comm; do read -r c 2>/dev/null < "$f" && procs[$c]=1; done; fi

        # The tools' own version commands (each starts a Go binary: tens of ms) run side by side from here on; their
        # output is read where it is reported, so the facts come out in the same order.
        declare -A bgfd=()
        bg() { local name=$1 fd; shift; exec {fd}< <("$@" 2>/dev/null); bgfd[$name]=$fd; }
        bgread() { local fd=${bgfd[$1]:-}; out=; [ -n "$fd" ] || return 1; IFS= read -r -d '' out <&"$fd"; exec {fd}<&-; return 0; }
        dockerready() { tmo 10 docker info >/dev/null 2>&1 && echo yes; }
        cridockerdversion() { cri-dockerd --version 2>&1; }
        have containerd && bg containerd containerd --version
        have dockerd && bg dockerd dockerd --version
        have crio && bg crio crio --version
        have cri-dockerd && bg cri-dockerd cridockerdversion
        have docker && bg docker dockerready
        have kubelet && bg kubelet tmo 10 kubelet --version
        have kubeadm && bg kubeadm tmo 10 kubeadm version -o short
        have kubectl && bg kubectl tmo 10 kubectl version --client -o json

        # Operating system, kernel, CPUs, memory
        if [ -r /etc/os-release ]; then
          while IFS='=' read -r k v; do
            v=${v#\"}; v=${v%\"}; v=${v#\'}; v=${v%\'}
            case "$k" in ID) kv os.id "$v" ;; VERSION_ID) kv os.version_id "$v" ;; PRETTY_NAME) kv os.pretty_name "$v" ;; ID_LIKE) kv os.id_like "$v" ;; esac
          done < /etc/os-release
        fi
        kr=; read -r kr 2>/dev/null < /proc/sys/kernel/osrelease || kr=$(uname -r 2>/dev/null)
        kv kernel.release "$kr"
        kv kernel.machine "$(uname -m 2>/dev/null)"
        n=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null)
        if [ -z "$n" ]; then n=0; while read -r k _; do [ "$k" = processor ] && n=$((n + 1)); done < /proc/cpuinfo; fi
        kv cpu.count "$n"
        while read -r k v _; do [ "$k" = MemTotal: ] && { kv mem.total_kb "$v"; break; }; done 2>/dev/null < /proc/meminfo

        # cgroups: v2 when /sys/fs/cgroup itself is cgroup2
        cgfs=
        while read -r _ mp fs _; do [ "$mp" = /sys/fs/cgroup ] && cgfs=$fs; done 2>/dev/null < /proc/self/mounts
        [ "$cgfs" = cgroup2 ] && cgfs=cgroup2fs
        kv cgroup.fs "$cgfs"
        if [ "$cgfs" = cgroup2fs ] || { [ -z "$cgfs" ] && [ -r /sys/fs/cgroup/cgroup.controllers ]; }; then
          kv cgroup.version 2
          c=; read -r c 2>/dev/null < /sys/fs/cgroup/cgroup.controllers
          kv cgroup.controllers "$c"
          for f in /sys/fs/cgroup/*/cgroup.freeze; do [ -e "$f" ] && { kv cgroup.freezer yes; break; }; done
        elif [ -r /proc/cgroups ]; then
          kv cgroup.version 1
          c=
          while read -r name _ _ enabled; do case "$name" in '#'*|'') continue ;; esac; [ "$enabled" != 0 ] && c="$c$name "; done < /proc/cgroups
          kv cgroup.controllers "$c"
        fi

        # Swap: active devices (what kubeadm checks) and fstab lines (what comes back at boot)
        if [ -r /proc/swaps ]; then
          kv swap.readable yes
          { read -r _; while read -r dev typ size rest; do kv swap.entry "$dev $typ $size"; done; } < /proc/swaps
        fi
        if [ -r /etc/fstab ]; then
          while IFS= read -r line; do
            case "$line" in ''|'#'*|[[:space:]]*'#'*) continue ;; esac
            read -r _ _ fstype _ <<< "$line"
            [ "$fstype" = swap ] && kv fstab.swap "$line"
          done < /etc/fstab
        fi

        # SELinux
        if [ -r /sys/fs/selinux/enforce ]; then
          e=; read -r e < /sys/fs/selinux/enforce
          case "$e" in 1) kv selinux.mode enforcing ;; *) kv selinux.mode permissive ;; esac
        elif have getenforce; then g=$(getenforce 2>/dev/null); kv selinux.mode "${g,,}"
        elif [ -e /etc/selinux/config ]; then kv selinux.mode disabled
        else kv selinux.mode absent
        fi
        if [ -r /etc/selinux/config ]; then
          while IFS= read -r line; do case "$line" in SELINUX=*) kv selinux.config "${line#SELINUX=}"; break ;; esac; done < /etc/selinux/config
        fi

        # Init system and services: one systemctl show for all units, or the running processes' names
        if [ "$sd" = 1 ]; then kv init.system systemd; else kv init.system other; fi
        declare -A svc_e=() svc_a=()
        if [ "$sd" = 1 ]; then
          # One block per unit, blocks separated by an empty line; properties in systemd's own order.
          units=(); for s in "${KUBEPS_SERVICES[@]}"; do units+=("${s%%:*}.service"); done
          id= e= a=
          while :; do
            line=; IFS= read -r line; more=$?
            case "$line" in
              Id=*) id=${line#Id=}; id=${id%.service} ;;
              UnitFileState=*) e=${line#UnitFileState=} ;;
              ActiveState=*) a=${line#ActiveState=} ;;
              '') if [ -n "$id" ]; then svc_e[$id]=$e; svc_a[$id]=$a; fi; id= e= a= ;;
            esac
            [ $more = 0 ] || { if [ -n "$id" ]; then svc_e[$id]=$e; svc_a[$id]=$a; fi; break; }
          done < <(systemctl show --no-pager -p Id -p UnitFileState -p ActiveState "${units[@]}" 2>/dev/null)
        fi
        for s in "${KUBEPS_SERVICES[@]}"; do
          unit=${s%%:*}; proc=${s#*:}; found=absent
          for d in /etc/systemd/system /run/systemd/system /lib/systemd/system /usr/lib/systemd/system /usr/local/lib/systemd/system; do
            [ -e "$d/$unit.service" ] && found=present
          done
          kv "svc.$unit.unit" "$found"
          if [ "$sd" = 1 ]; then
            e=${svc_e[$unit]:-}; [ -n "$e" ] || e=not-found
            a=${svc_a[$unit]:-}; [ -n "$a" ] || a=unknown
          else
            e=unknown
            if [ -n "${procs[${proc:0:15}]:-}" ]; then a=active; else a=inactive; fi
          fi
          kv "svc.$unit.enabled" "$e"
          kv "svc.$unit.active" "$a"
        done
        if have ufw; then
          u=$(ufw status 2>/dev/null); u=${u%%$'\n'*}
          case "$u" in *inactive*) kv ufw.status inactive ;; *active*) kv ufw.status active ;; *) kv ufw.status unknown ;; esac
        elif [ -r /etc/ufw/ufw.conf ]; then
          u=inactive; while IFS= read -r line; do [ "$line" = ENABLED=yes ] && u=active; done < /etc/ufw/ufw.conf
          kv ufw.status "$u"
        else kv ufw.status absent
        fi

        # Package manager
        pm=none
        for m in apt-get dnf yum zypper; do if have "$m"; then pm=$m; break; fi; done
        [ "$pm" = apt-get ] && pm=apt
        kv pkg.manager "$pm"

        # Tools in PATH
        for t in "${KUBEPS_TOOLS[@]}"; do hash "$t" 2>/dev/null && kv "tool.$t" "${BASH_CMDS[$t]}"; done

        # Container runtimes and CRI sockets
        if bgread containerd; then read -r -a w <<< "$out"; kv runtime.containerd.version "${w[2]:-}"; fi
        if bgread dockerd; then read -r -a w <<< "$out"; kv runtime.docker.version "${w[2]//,/}"; fi
        if bgread crio; then
          v=$out; c=
          while read -r a b x _; do
            if [ "$a $b" = "crio version" ]; then c=$x; break; elif [ "$a" = Version: ]; then c=$b; break; fi
          done <<< "$v"
          kv runtime.crio.version "$c"
        fi
        if bgread cri-dockerd; then read -r -a w <<< "${out%%$'\n'*}"; kv runtime.cri-dockerd.version "${w[1]:-}"; fi
        if bgread docker && [ "${out%$'\n'}" = yes ]; then kv docker.ready yes; fi
        grpc_ok() {
          have curl || return 2
          local h
          h=$(printf '\0\0\0\0\0' | tmo 10 curl -s -o /dev/null -D - --http2-prior-knowledge --unix-socket "$1" \
                -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @- \
                http://localhost/runtime.v1.RuntimeService/Version 2>/dev/null) || return 1
          h=${h//$'\r'/}
          [[ "${h,,}" == *$'\n'"grpc-status: 0"* || "${h,,}" == "grpc-status: 0"* ]]
        }
        for s in "${KUBEPS_SOCKETS[@]}"; do
          [ -S "$s" ] || continue
          kv cri.socket "unix://$s"
          case "$s" in */docker.sock|*/dockershim.sock) continue ;; esac
          if have crictl; then
            if tmo 10 crictl --runtime-endpoint "unix://$s" info >/dev/null 2>&1; then kv cri.ready "unix://$s"; else kv cri.unready "unix://$s"; fi
          elif have ctr && [ "${s##*/}" = containerd.sock ]; then
            st=
            while read -r typ id _ _ state _; do
              [ "$typ" = io.containerd.grpc.v1 ] && [ "$id" = cri ] && st=$state
            done < <(tmo 10 ctr --address "$s" plugins ls 2>/dev/null)
            if [ "$st" = ok ]; then kv cri.ready "unix://$s"; else kv cri.unready "unix://$s"; fi
          else
            grpc_ok "$s"; rc=$?
            case $rc in 0) kv cri.ready "unix://$s" ;; 2) kv cri.unknown "unix://$s" ;; *) kv cri.unready "unix://$s" ;; esac
          fi
        done
        if [ -r /etc/containerd/config.toml ]; then
          kv containerd.config.present yes
          cv= cg=false sb= sbs=0
          while IFS= read -r line; do
            if [ -z "$cv" ] && [[ "$line" =~ ^version[[:space:]]*=[[:space:]]*([0-9]*) ]]; then cv=${BASH_REMATCH[1]}; fi
            if [[ "$line" =~ ^[[:space:]]*SystemdCgroup[[:space:]]*=[[:space:]]*true ]]; then cg=true; fi
            if [ "$sbs" = 0 ] && [[ "$line" =~ ^[[:space:]]*(sandbox_image|sandbox)[[:space:]]*=[[:space:]]*[\"\']([^\"\']*)[\"\'] ]]; then sb=${BASH_REMATCH[2]}; sbs=1; fi
          done < /etc/containerd/config.toml
          kv containerd.config.version "$cv"
          kv containerd.config.systemd_cgroup "$cg"
          kv containerd.config.sandbox_image "$sb"
        fi

        # Kubernetes binaries
        if bgread kubelet; then read -r -a w <<< "$out"; kv kube.kubelet.version "${w[1]:-}"; fi
        if bgread kubeadm; then kv kube.kubeadm.version "${out%$'\n'}"; fi
        if bgread kubectl; then
          v=$out; c=
          [[ "$v" =~ \"gitVersion\":\ *\"([^\"]*)\" ]] && c=${BASH_REMATCH[1]}
          kv kube.kubectl.version "$c"
        fi

        # Host name and addresses
        hn=; read -r hn < /proc/sys/kernel/hostname 2>/dev/null || hn=$(hostname 2>/dev/null)
        kv host.name "$hn"
        for n in "$hn" "${KUBEPS_NAMES[@]}"; do
          [ -n "$n" ] || continue
          a=
          if have getent; then a=$(getent ahosts "$n" 2>/dev/null); a=${a%%[[:space:]]*}; fi
          if [ -n "$a" ]; then kv host.resolves "$n $a"; else kv host.unresolved "$n"; fi
        done
        if have ip; then
          # Default routes from /proc (the first one, as ip route lists them), addresses from one ip call.
          d4=
          { read -r _; while read -r ifc dst _ flags _ _ _ mask _; do
              [ "$dst" = 00000000 ] && [ "$mask" = 00000000 ] && [ $((16#$flags & 1)) = 1 ] && { d4=$ifc; break; }
            done; } 2>/dev/null < /proc/net/route
          d6=
          while read -r dst dlen _ _ _ _ _ _ flags ifc; do
            [ "$dst" = 00000000000000000000000000000000 ] && [ "$dlen" = 00 ] && [ "$ifc" != lo ] \
              && [ $((16#$flags & 1)) = 1 ] && [ $((16#$flags & 0x200)) = 0 ] && { d6=$ifc; break; }
          done 2>/dev/null < /proc/net/ipv6_route
          a4= a6=
          while read -r _ ifc fam cidr _; do
            kv net.address "$cidr $ifc"
            [ -z "$a4" ] && [ -n "$d4" ] && [ "$ifc" = "$d4" ] && [ "$fam" = inet ] && a4=${cidr%/*}
            [ -z "$a6" ] && [ -n "$d6" ] && [ "$ifc" = "$d6" ] && [ "$fam" = inet6 ] && a6=${cidr%/*}
          done < <(ip -o addr show scope global 2>/dev/null)
          if [ -n "$d4" ]; then kv net.default_iface "$d4"; kv net.default_ipv4 "$a4"; fi
          if [ -n "$d6" ]; then kv net.default_iface6 "$d6"; kv net.default_ipv6 "$a6"; fi
        fi
        for f in /proc/net/tcp /proc/net/tcp6; do
          [ -r "$f" ] || continue
          { read -r _; while read -r _ local _ state _; do [ "$state" = 0A ] && kv net.listen "$((16#${local##*:}))"; done; } < "$f"
        done

        # kubeadm's files and directories
        shopt -s nullglob dotglob
        for p in "${KUBEPS_PATHS[@]}"; do
          if [ -d "$p" ]; then
            entries=("$p"/*)
            if [ ${#entries[@]} -gt 0 ]; then kv fs.dir_nonempty "$p"; else kv fs.dir_empty "$p"; fi
          elif [ -e "$p" ]; then kv fs.file "$p"
          else kv fs.absent "$p"
          fi
        done
        shopt -u nullglob dotglob

        # sysctls kubeadm checks
        for k in net/bridge/bridge-nf-call-iptables net/bridge/bridge-nf-call-ip6tables net/ipv4/ip_forward net/ipv6/conf/default/forwarding; do
          if [ -r "/proc/sys/$k" ] && read -r v < "/proc/sys/$k"; then kv "sysctl.${k//\//.}" "$v"; fi
        done

        # Kernel config (SystemVerification) and modules: one awk keeps the symbols KubePS looks at
        kfilter() { awk -v want="$KUBEPS_KCONFIG" '/^CONFIG_[A-Z0-9_]*=/ { i = index($0, "="); s = substr($0, 8, i - 8); if (index(want, " " s " ")) print "kconfig." s "=" substr($0, i + 1) }'; }
        kc=; src=none
        if [ -r /proc/config.gz ] && have gzip; then kc=$(gzip -dc /proc/config.gz 2>/dev/null | kfilter); src=/proc/config.gz
        elif [ -r "/boot/config-$kr" ]; then kc=$(kfilter < "/boot/config-$kr"); src="/boot/config-$kr"
        fi
        kv kconfig.source "$src"
        declare -A kcfg=()
        if [ -n "$kc" ]; then
          printf '%s\n' "$kc"
          while IFS='=' read -r k v; do kcfg[${k#kconfig.}]=$v; done <<< "$kc"
        fi
        declare -A loaded=() builtin=()
        [ -r /proc/modules ] && while read -r name _; do loaded[$name]=1; done < /proc/modules
        if [ -r "/lib/modules/$kr/modules.builtin" ]; then
          while IFS= read -r line; do line=${line##*/}; builtin[${line%.ko*}]=1; done < "/lib/modules/$kr/modules.builtin"
        fi
        for m in "${KUBEPS_MODULES[@]}"; do
          name=${m%%:*}; sym=${m#*:}
          if [ -n "${loaded[$name]:-}" ]; then st=loaded
          elif [ -n "${builtin[$name]:-}" ]; then st=builtin
          elif [ "${kcfg[$sym]:-}" = y ]; then st=builtin
          elif [ -d "/sys/module/$name" ]; then st=builtin
          else st=absent
          fi
          kv "module.$name" "$st"
        done

        # Proxy settings of the login environment (credentials masked)
        mask() {
          local v=$1
          if [[ "$v" =~ ^([A-Za-z][A-Za-z0-9+.-]*://)([^/@]*@)(.*)$ ]]; then v="${BASH_REMATCH[1]}***@${BASH_REMATCH[3]}"
          elif [[ "$v" =~ ^[^/@:]*(:[^/@]*)?@(.*)$ ]]; then v="***@${BASH_REMATCH[2]}"
          fi
          printf '%s' "$v"
        }
        for v in HTTPS_PROXY https_proxy HTTP_PROXY http_proxy; do
          x=${!v:-}; [ -n "$x" ] && kv "proxy.$v" "$(mask "$x")"
        done
        for v in NO_PROXY no_proxy; do x=${!v:-}; [ -n "$x" ] && kv "proxy.$v" "$x"; done

        # Time
        tz=; ntp=
        if [ "$sd" = 1 ] && have timedatectl; then
          while IFS='=' read -r k v; do case "$k" in Timezone) tz=$v ;; NTPSynchronized) ntp=$v ;; esac; done \
            < <(timedatectl show -p Timezone -p NTPSynchronized 2>/dev/null)
        fi
        if [ -z "$tz" ] && [ -L /etc/localtime ]; then l=$(readlink /etc/localtime 2>/dev/null); [[ "$l" == */zoneinfo/* ]] && tz=${l##*/zoneinfo/}; fi
        [ -n "$tz" ] || { [ -r /etc/timezone ] && read -r tz < /etc/timezone; }
        [ -n "$tz" ] && kv time.zone "$tz"
        [ -n "$ntp" ] && kv time.ntp_synchronized "$ntp"
        echo 'kubeps.probe.end=1'
        exit 0
        """;
}
