using KubePS.Core.Nodes;

namespace KubePS.Tests.Preflight.Support;

/// <summary>
/// TEST-ONLY: probe output text for a node, starting from a healthy kubeadm-ready node (Ubuntu 22.04, kernel 5.15,
/// cgroup v2, containerd answering, kubelet/kubeadm 1.30.4 installed, every tool present, sysctls set, swap off),
/// edited line by line. Tests turn it into NodeFacts through the product's parser, as the real probe output would be.
/// </summary>
public sealed class ProbeOutput
{
    readonly List<(string Key, string Value)> _lines = [];

    public static ProbeOutput Healthy(string name = "cp1", string ip = "10.0.0.11")
    {
        var p = new ProbeOutput();
        p.Add("user.euid", "0").Add("os.id", "ubuntu").Add("os.version_id", "22.04").Add("os.pretty_name", "Ubuntu 22.04.4 LTS")
         .Add("kernel.release", "5.15.0-100-generic").Add("kernel.machine", "x86_64").Add("cpu.count", "4").Add("mem.total_kb", "8141200")
         .Add("cgroup.fs", "cgroup2fs").Add("cgroup.version", "2").Add("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc")
         .Add("cgroup.freezer", "yes").Add("swap.readable", "yes").Add("selinux.mode", "absent").Add("init.system", "systemd");
        foreach (var (unit, _) in NodeProbe.Services)
        {
            bool kubelet = unit == "kubelet", containerd = unit == "containerd", timesync = unit == "systemd-timesyncd";
            p.Add($"svc.{unit}.unit", kubelet || containerd || timesync ? "present" : "absent")
             .Add($"svc.{unit}.enabled", kubelet || containerd || timesync ? "enabled" : "not-found")
             .Add($"svc.{unit}.active", containerd || timesync ? "active" : kubelet ? "activating" : "inactive");
        }
        p.Add("ufw.status", "inactive").Add("pkg.manager", "apt");
        foreach (var t in new[] { "crictl", "ctr", "conntrack", "ip", "iptables", "mount", "nsenter", "ebtables", "ethtool", "socat", "tc", "touch",
                     "kubeadm", "kubelet", "kubectl", "containerd", "runc", "modprobe", "sysctl", "swapoff", "systemctl", "curl", "apt-get", "getent" })
            p.Add($"tool.{t}", $"/usr/bin/{t}");
        p.Add("runtime.containerd.version", "1.7.12")
         .Add("cri.socket", "unix:///var/run/containerd/containerd.sock").Add("cri.ready", "unix:///var/run/containerd/containerd.sock")
         .Add("containerd.config.present", "yes").Add("containerd.config.version", "2").Add("containerd.config.systemd_cgroup", "true")
         .Add("containerd.config.sandbox_image", "registry.k8s.io/pause:3.9")
         .Add("kube.kubelet.version", "v1.30.4").Add("kube.kubeadm.version", "v1.30.4").Add("kube.kubectl.version", "v1.30.4")
         .Add("host.name", name).Add("host.resolves", $"{name} {ip}")
         .Add("net.default_iface", "eth0").Add("net.default_ipv4", ip).Add("net.address", $"{ip}/24 eth0").Add("net.listen", "22");
        foreach (var path in NodeProbe.DefaultPaths) p.Add("fs.absent", path);
        p.Add("sysctl.net.bridge.bridge-nf-call-iptables", "1").Add("sysctl.net.bridge.bridge-nf-call-ip6tables", "1")
         .Add("sysctl.net.ipv4.ip_forward", "1").Add("sysctl.net.ipv6.conf.default.forwarding", "0")
         .Add("kconfig.source", "/boot/config-5.15.0-100-generic");
        foreach (var s in NodeProbe.KernelConfigSymbols.Where(s => !s.StartsWith("IP_VS") && s != "AUFS_FS" && s != "OVERLAYFS_FS"))
            p.Add($"kconfig.{s}", s is "BRIDGE_NETFILTER" or "OVERLAY_FS" ? "m" : "y");
        foreach (var m in NodeProbe.Modules.Keys) p.Add($"module.{m}", m.StartsWith("ip_vs") ? "absent" : "loaded");
        p.Add("time.zone", "Etc/UTC").Add("time.ntp_synchronized", "yes");
        return p;
    }

    public ProbeOutput Add(string key, string value) { _lines.Add((key, value)); return this; }

    /// <summary>Replaces every line of the key with one line (or removes them when value is null).</summary>
    public ProbeOutput Set(string key, string? value)
    {
        int at = _lines.FindIndex(l => l.Key == key);
        _lines.RemoveAll(l => l.Key == key);
        if (value is not null) _lines.Insert(at < 0 ? _lines.Count : at, (key, value));
        return this;
    }

    public ProbeOutput Remove(string key) => Set(key, null);

    /// <summary>Removes the line with this key and value.</summary>
    public ProbeOutput Remove(string key, string value) { _lines.RemoveAll(l => l.Key == key && l.Value == value); return this; }

    /// <summary>Marks a path as existing (file, dir_empty or dir_nonempty).</summary>
    public ProbeOutput Path(string kind, string path)
    {
        _lines.RemoveAll(l => l.Key.StartsWith("fs.") && l.Value == path);
        return Add($"fs.{kind}", path);
    }

    public string Text => "kubeps.probe=1\n" + string.Concat(_lines.Select(l => $"{l.Key}={l.Value}\n")) + "kubeps.probe.end=1\n";

    public NodeFacts Facts(string hostName = "cp1", NodeProbeOptions? options = null) => NodeFacts.Parse(hostName, Text, options);
}
