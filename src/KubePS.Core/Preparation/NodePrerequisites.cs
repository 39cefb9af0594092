using System.Text;
using System.Text.RegularExpressions;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Preparation;

/// <summary>The role a node is prepared for (it decides which firewall ports open).</summary>
public enum KubeNodeRole { ControlPlane, Worker }

/// <summary>What to do with SELinux: make it permissive (kubeadm's guides), or leave it enforcing.</summary>
public enum SELinuxMode { Permissive, Enforcing }

/// <summary>What to do with an active firewall (firewalld or ufw): stop and disable it, open the role's ports, or leave it.</summary>
public enum FirewallMode { Disable, OpenPorts, Leave }

/// <summary>Options of <see cref="NodePrerequisites"/>.</summary>
public sealed record NodePrerequisiteOptions
{
    public KubeNodeRole Role { get; init; } = KubeNodeRole.ControlPlane;
    /// <summary>Also load the IPVS modules (kube-proxy in IPVS mode).</summary>
    public bool Ipvs { get; init; }
    /// <summary>Also enable IPv6 forwarding (IPv6 or dual-stack clusters).</summary>
    public bool IPv6Forwarding { get; init; }
    public SELinuxMode SELinux { get; init; } = SELinuxMode.Permissive;
    public FirewallMode Firewall { get; init; } = FirewallMode.Disable;
    /// <summary>The API server port to open (control plane, -Firewall OpenPorts).</summary>
    public int BindPort { get; init; } = 6443;
    /// <summary>Open the etcd ports too (control plane with local etcd).</summary>
    public bool LocalEtcd { get; init; } = true;
    /// <summary>Install the tools kubeadm checks for (conntrack, ebtables, ethtool, socat, ipset, ipvsadm, iptables, iproute).</summary>
    public bool InstallPackages { get; init; } = true;
    /// <summary>Make sure a time sync service (chrony or systemd-timesyncd) is enabled and running.</summary>
    public bool TimeSync { get; init; } = true;
    /// <summary>A time zone to set (Europe/Berlin, Etc/UTC), or null to leave it.</summary>
    public string? TimeZone { get; init; }
    /// <summary>Add an /etc/hosts line for the node's name when it does not resolve.</summary>
    public bool HostsEntry { get; init; } = true;
    /// <summary>Only these steps (ids from <see cref="PreparationSteps"/>); null for all.</summary>
    public IReadOnlyList<string>? Steps { get; init; }
}

/// <summary>
/// Renders the node preparation kubeadm's guides make people do by hand: swap off (now and in /etc/fstab), the
/// overlay and br_netfilter modules (and IPVS), the bridge/forwarding sysctls, SELinux permissive, the firewall, the
/// tools kubeadm checks for, time sync, and a resolvable host name. Every step is idempotent.
/// </summary>
public static partial class NodePrerequisites
{
    public const string ModulesFile = "/etc/modules-load.d/k8s.conf";
    public const string SysctlFile = "/etc/sysctl.d/99-kubernetes-cri.conf";

    /// <summary>The kernel modules loaded at boot and now.</summary>
    public static IReadOnlyList<string> ModulesFor(bool ipvs) =>
        ipvs ? ["overlay", "br_netfilter", "ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh", "nf_conntrack"] : ["overlay", "br_netfilter"];

    /// <summary>The sysctls set (name, value).</summary>
    public static IReadOnlyList<(string Name, string Value)> SysctlsFor(bool ipv6)
    {
        var list = new List<(string, string)> { ("net.bridge.bridge-nf-call-iptables", "1"), ("net.bridge.bridge-nf-call-ip6tables", "1"), ("net.ipv4.ip_forward", "1") };
        if (ipv6) { list.Add(("net.ipv6.conf.all.forwarding", "1")); list.Add(("net.ipv6.conf.default.forwarding", "1")); }
        return list;
    }

    /// <summary>
    /// The ports a role needs (kubernetes.io "Ports and Protocols"), in firewalld's port/protocol form:
    /// control plane: API server, etcd (local), kubelet, kube-scheduler, kube-controller-manager;
    /// worker: kubelet, kube-proxy health, NodePorts (TCP and UDP).
    /// </summary>
    public static IReadOnlyList<string> PortsFor(KubeNodeRole role, int bindPort, bool localEtcd)
    {
        var release = VersionCatalog.Releases[^1];
        if (role == KubeNodeRole.ControlPlane)
        {
            var ports = new List<string> { $"{bindPort}/tcp" };
            if (localEtcd) ports.Add("2379-2380/tcp");
            ports.AddRange(["10250/tcp", $"{release.SchedulerSecurePort}/tcp", $"{release.ControllerManagerSecurePort}/tcp"]);
            return ports;
        }
        return ["10250/tcp", "10256/tcp", "30000-32767/tcp", "30000-32767/udp"];
    }

    // command → (deb package, rpm file that provides it; dnf and yum resolve a path to its package)
    static readonly (string Command, string Deb, string Rpm)[] ToolPackages =
    [
        ("conntrack", "conntrack", "/usr/sbin/conntrack"),
        ("ebtables", "ebtables", "/usr/sbin/ebtables"),
        ("ethtool", "ethtool", "/usr/sbin/ethtool"),
        ("socat", "socat", "/usr/bin/socat"),
        ("ipset", "ipset", "/usr/sbin/ipset"),
        ("ipvsadm", "ipvsadm", "/usr/sbin/ipvsadm"),
        ("iptables", "iptables", "/usr/sbin/iptables"),
        ("ip", "iproute2", "/usr/sbin/ip"),
        ("tc", "iproute2", "/usr/sbin/tc"),
    ];

    [GeneratedRegex(@"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex TimeZonePattern();

    /// <summary>Renders the prerequisites plan for a node from its facts. Bad options fail here, before anything is written.</summary>
    public static NodePlan Render(NodeFacts facts, NodePrerequisiteOptions? options = null)
    {
        options ??= new NodePrerequisiteOptions();
        Validate(options);
        bool Want(string id) => options.Steps is null || options.Steps.Contains(id);
        var steps = new List<PlanStep>();

        if (Want(PreparationSteps.Swap)) steps.Add(Swap());
        if (Want(PreparationSteps.KernelModules)) steps.Add(Modules(options.Ipvs));
        if (Want(PreparationSteps.Sysctl)) steps.Add(Sysctl(options.IPv6Forwarding));
        if (Want(PreparationSteps.SELinux) && options.SELinux == SELinuxMode.Permissive
            && (facts.SELinux is SELinuxState.Enforcing or SELinuxState.Permissive || facts.SELinuxConfig is not null))
            steps.Add(SELinux());
        if (Want(PreparationSteps.Firewall) && options.Firewall != FirewallMode.Leave && (facts.FirewalldInstalled || facts.UfwActive))
            steps.Add(Firewall(options));
        if (Want(PreparationSteps.Packages) && options.InstallPackages) steps.Add(Packages(facts));
        if (Want(PreparationSteps.TimeSync) && (options.TimeSync || options.TimeZone is not null)) steps.Add(TimeSync(facts, options));
        if (Want(PreparationSteps.HostName) && options.HostsEntry) steps.Add(HostsEntry(facts));

        return new NodePlan(facts.HostName, "prerequisites", steps, TimeSpan.FromMinutes(15), PackageManagerPrologue(facts.PackageManager));
    }

    internal static string PackageManagerPrologue(PackageManagerKind pm) => pm switch
    {
        PackageManagerKind.Apt => "KUBEPS_PM=apt",
        PackageManagerKind.Dnf => "KUBEPS_PM=dnf",
        PackageManagerKind.Yum => "KUBEPS_PM=yum",
        _ => "KUBEPS_PM=none",
    };

    /// <summary>Checks the options without a node (for failing early, before any node is touched).</summary>
    public static void Validate(NodePrerequisiteOptions o)
    {
        if (o.BindPort is < 1 or > 65535)
            throw new KubeException("Preparation.InvalidPort", $"bind port {o.BindPort} is not a TCP port; valid ports are 1 to 65535.",
                KubeErrorCategory.InvalidArgument, o.BindPort, "Use 6443 or the API server port of your cluster.");
        if (o.TimeZone is { } tz && !TimeZonePattern().IsMatch(tz))
            throw new KubeException("Preparation.InvalidTimeZone", $"'{tz}' is not a time zone name such as Europe/Berlin or Etc/UTC.",
                KubeErrorCategory.InvalidArgument, tz, "Give an IANA time zone name (timedatectl list-timezones).");
        if (o.Steps is { } steps)
            foreach (var s in steps.Where(s => !PreparationSteps.Prerequisites.Contains(s)))
                throw new KubeException("Preparation.UnknownStep", $"'{s}' is not a prerequisites step; the steps are {string.Join(", ", PreparationSteps.Prerequisites)}.",
                    KubeErrorCategory.InvalidArgument, s, "Pick steps from the list.");
    }

    static PlanStep Swap() => new(PreparationSteps.Swap, "turn swap off and comment swap out of /etc/fstab", [], """
        if [ -r /proc/swaps ] && [ "$(tail -n +2 /proc/swaps | wc -l)" -gt 0 ]; then
          if [ -d /run/systemd/system ] && have systemctl && have systemd-escape; then
            # zram swap (systemd-zram-generator) comes back at boot unless its unit is masked
            for dev in $(awk 'NR > 1 && $1 ~ /zram/ {print $1}' /proc/swaps); do
              u=$(systemd-escape -p --suffix=swap "$dev"); systemctl mask "$u" >&2 && changed "masked $u"
            done
          fi
          swapoff -a >&2
          changed "swapoff -a"
        fi
        if [ -f /etc/fstab ] && awk '$0 !~ /^[[:space:]]*#/ && $3 == "swap" {found = 1} END {exit !found}' /etc/fstab; then
          [ -e /etc/fstab.kubeps.bak ] || cp -p /etc/fstab /etc/fstab.kubeps.bak
          sed -i -E '/^[[:space:]]*#/!{/^[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap([[:space:]]|$)/s/^/# kubeps: swap off: /}' /etc/fstab
          changed "commented out the swap lines of /etc/fstab (backup /etc/fstab.kubeps.bak)"
        fi
        """);

    static PlanStep Modules(bool ipvs)
    {
        var modules = ModulesFor(ipvs);
        var file = NodeFile.Text(ModulesFile, "# Kernel modules for Kubernetes, loaded at boot (written by KubePS)\n" + string.Concat(modules.Select(m => m + "\n")));
        var sb = new StringBuilder("""
            kconfig() {
              if [ -r /proc/config.gz ] && have zcat; then zcat /proc/config.gz 2>/dev/null
              elif [ -r "/boot/config-$(uname -r)" ]; then cat "/boot/config-$(uname -r)"; fi
            }
            mod_present() {
              [ -r /proc/modules ] && grep -q "^$1 " /proc/modules && return 0
              [ -d "/sys/module/$1" ] && return 0
              [ -r "/lib/modules/$(uname -r)/modules.builtin" ] && grep -q "/$1.ko" "/lib/modules/$(uname -r)/modules.builtin" && return 0
              [ "$1" = br_netfilter ] && [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] && return 0
              kconfig | grep -qx "CONFIG_$2=y"
            }

            """);
        foreach (var m in modules)
        {
            string sym = NodeProbe.Modules[m];
            sb.Append($"if ! mod_present {m} {sym}; then modprobe {m} >&2; changed \"modprobe {m}\"; fi\n");
            sb.Append($"mod_present {m} {sym} || fail \"kernel module {m} is not available after modprobe\"\n");
        }
        return new PlanStep(PreparationSteps.KernelModules, $"load kernel modules {string.Join(", ", modules)} now and at boot ({ModulesFile})", [file], sb.ToString());
    }

    static PlanStep Sysctl(bool ipv6)
    {
        var sysctls = SysctlsFor(ipv6);
        var content = new StringBuilder("# Kubernetes networking sysctls (written by KubePS)\n");
        foreach (var (n, v) in sysctls) content.Append(n).Append(" = ").Append(v).Append('\n');
        var sb = new StringBuilder("need=0\nfile_changed " + SysctlFile + " && need=1\n");
        foreach (var (n, v) in sysctls)
            sb.Append($"[ \"$(cat /proc/sys/{n.Replace('.', '/')} 2>/dev/null)\" = {v} ] || need=1\n");
        sb.Append("if [ \"$need\" = 1 ]; then sysctl --system >&2; changed \"sysctl --system\"; fi\n");
        foreach (var (n, v) in sysctls)
            sb.Append($"[ \"$(cat /proc/sys/{n.Replace('.', '/')} 2>/dev/null)\" = {v} ] || fail \"{n} is not {v} after sysctl --system (is br_netfilter loaded?)\"\n");
        return new PlanStep(PreparationSteps.Sysctl, $"set {string.Join(", ", sysctls.Select(s => s.Name + "=" + s.Value))} now and at boot ({SysctlFile})",
            [NodeFile.Text(SysctlFile, content.ToString())], sb.ToString());
    }

    static PlanStep SELinux() => new(PreparationSteps.SELinux, "set SELinux to permissive now (setenforce 0) and at boot (/etc/selinux/config)", [], """
        if have getenforce && [ "$(getenforce 2>/dev/null)" = Enforcing ]; then setenforce 0; changed "setenforce 0"; fi
        if [ -f /etc/selinux/config ] && grep -q '^SELINUX=enforcing' /etc/selinux/config; then
          sed -i 's/^SELINUX=enforcing/SELINUX=permissive/' /etc/selinux/config
          changed "SELINUX=permissive in /etc/selinux/config"
        fi
        """);

    static PlanStep Firewall(NodePrerequisiteOptions o)
    {
        if (o.Firewall == FirewallMode.Disable)
            return new PlanStep(PreparationSteps.Firewall, "stop and disable firewalld (and ufw)", [], """
                if have systemctl && systemctl is-active -q firewalld 2>/dev/null; then systemctl stop firewalld >&2; changed "stopped firewalld"; fi
                if have systemctl && systemctl is-enabled -q firewalld 2>/dev/null; then systemctl disable firewalld >&2; changed "disabled firewalld"; fi
                if have ufw && ufw status 2>/dev/null | grep -q 'Status: active'; then ufw disable >&2; changed "disabled ufw"; fi
                """);
        var ports = PortsFor(o.Role, o.BindPort, o.LocalEtcd);
        var sb = new StringBuilder($"ports={Bash.Quote(string.Join(' ', ports))}\n");
        sb.Append("""
            if have firewall-cmd && firewall-cmd --state >/dev/null 2>&1; then
              reload=0
              for p in $ports; do
                if ! firewall-cmd --permanent --query-port="$p" >/dev/null 2>&1; then
                  firewall-cmd --permanent --add-port="$p" >&2; changed "opened $p in firewalld"; reload=1
                fi
              done
              if [ "$reload" = 1 ]; then firewall-cmd --reload >&2; fi
            fi
            if have ufw && ufw status 2>/dev/null | grep -q 'Status: active'; then
              for p in $ports; do
                u=$(printf '%s' "$p" | tr - :)
                if ufw allow "$u" 2>&1 | grep -q 'Rule added'; then changed "opened $p in ufw"; fi
              done
            fi
            """);
        return new PlanStep(PreparationSteps.Firewall, $"open {string.Join(", ", ports)} in the firewall ({o.Role})", [], sb.ToString());
    }

    static PlanStep Packages(NodeFacts facts)
    {
        bool rpm = facts.PackageManager is PackageManagerKind.Dnf or PackageManagerKind.Yum;
        if (facts.PackageManager is PackageManagerKind.None or PackageManagerKind.Zypper)
            throw new KubeException("Preparation.UnsupportedPackageManager",
                $"{facts.HostName}: installing the tools kubeadm checks needs apt, dnf or yum; the node has {facts.PackageManager}.",
                KubeErrorCategory.NotImplemented, facts.HostName, "Install conntrack, ebtables, ethtool, socat, ipset and ipvsadm yourself and use -SkipPackages.");
        var pairs = ToolPackages.Select(t => $"{t.Command}:{(rpm ? t.Rpm : t.Deb)}");
        var sb = new StringBuilder($"pairs={Bash.Quote(string.Join(' ', pairs))}\n");
        sb.Append("""
            missing=
            for pair in $pairs; do
              cmd=${pair%%:*}; pkg=${pair#*:}
              have "$cmd" && continue
              case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
            done
            if [ -n "$missing" ]; then
              pkg_install $missing
              changed "installed$missing"
            fi
            """);
        return new PlanStep(PreparationSteps.Packages, "install the tools kubeadm checks for (conntrack, ebtables, ethtool, socat, ipset, ipvsadm, iptables, iproute) where missing", [], sb.ToString());
    }

    static PlanStep TimeSync(NodeFacts facts, NodePrerequisiteOptions o)
    {
        var sb = new StringBuilder();
        if (o.TimeSync)
        {
            string chronyUnit = facts.PackageManager == PackageManagerKind.Apt ? "chrony" : "chronyd";
            sb.Append($"chrony_unit={chronyUnit}\n");
            sb.Append("""
                svc=
                for u in chronyd chrony systemd-timesyncd; do if unit_exists "$u.service"; then svc=$u; break; fi; done
                if [ -z "$svc" ]; then pkg_install chrony; changed "installed chrony"; svc=$chrony_unit; daemon_reload; fi
                svc_enable "$svc.service"
                svc_start "$svc.service"

                """);
        }
        if (o.TimeZone is { } tz)
        {
            sb.Append($"tz={Bash.Quote(tz)}\n");
            sb.Append("""
                [ -e "/usr/share/zoneinfo/$tz" ] || fail "unknown time zone $tz (no /usr/share/zoneinfo/$tz)"
                cur=
                if [ -d /run/systemd/system ] && have timedatectl; then cur=$(timedatectl show -p Timezone --value 2>/dev/null); fi
                [ -n "$cur" ] || cur=$(readlink /etc/localtime 2>/dev/null | sed -n 's#.*/zoneinfo/##p')
                if [ "$cur" != "$tz" ]; then
                  if [ -d /run/systemd/system ] && have timedatectl; then timedatectl set-timezone "$tz" >&2
                  else ln -sf "/usr/share/zoneinfo/$tz" /etc/localtime; [ -f /etc/timezone ] && printf '%s\n' "$tz" > /etc/timezone; fi
                  changed "time zone $tz"
                fi
                """);
        }
        string what = o.TimeSync ? "enable time sync (chrony or systemd-timesyncd)" : "";
        if (o.TimeZone is not null) what += (what.Length > 0 ? " and " : "") + $"set the time zone to {o.TimeZone}";
        return new PlanStep(PreparationSteps.TimeSync, what, [], sb.ToString());
    }

    static PlanStep HostsEntry(NodeFacts facts)
    {
        string name = facts.NodeName;
        string? address = facts.DefaultAddress?.ToString();
        var sb = new StringBuilder($"n={Bash.Quote(name)}\n");
        sb.Append(address is null ? "a=\n" : $"a={Bash.Quote(address)}\n");
        sb.Append("""
            resolves() {
              if have getent; then getent hosts "$1" >/dev/null 2>&1; return; fi
              awk -v n="$1" '$0 !~ /^[[:space:]]*#/ { for (i = 2; i <= NF; i++) if ($i == n) found = 1 } END { exit !found }' /etc/hosts
            }
            if [ -n "$n" ] && ! resolves "$n"; then
              [ -n "$a" ] || fail "the node name $n does not resolve and the node has no address to put in /etc/hosts"
              printf '%s %s\n' "$a" "$n" >> /etc/hosts
              changed "added '$a $n' to /etc/hosts"
            fi
            """);
        return new PlanStep(PreparationSteps.HostName, $"make the node name {name} resolve (an /etc/hosts line with {address ?? "its address"} if it does not)", [], sb.ToString());
    }
}
