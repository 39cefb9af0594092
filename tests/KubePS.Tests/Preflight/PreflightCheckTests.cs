using KubePS.Core;
using KubePS.Core.Preflight;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Tests.Preflight.Support;
using Xunit;

namespace KubePS.Tests.Preflight;

/// <summary>
/// Preflight as pure functions: probe output text → NodeFacts → results, judged against kubeadm's check names,
/// severities and version boundaries (shared/kubeadm-facts.md §7 and kubernetes/kubernetes cmd/kubeadm/app/preflight).
/// </summary>
public sealed class PreflightCheckTests
{
    static KubePreflightRequest Init(string version = "1.30.4") => new() { Role = PreflightRole.ControlPlane, KubernetesVersion = KubeVersion.Parse(version) };
    static KubePreflightRequest Worker(string version = "1.30.4") => new() { Role = PreflightRole.Worker, KubernetesVersion = KubeVersion.Parse(version), ApiServerEndpoint = "10.0.0.10:6443" };
    static KubePreflightRequest CpJoin(string version = "1.30.4") => new() { Role = PreflightRole.ControlPlaneJoin, KubernetesVersion = KubeVersion.Parse(version), ApiServerEndpoint = "10.0.0.10:6443" };

    static KubePreflightReport Run(ProbeOutput node, KubePreflightRequest request, CapturingSink? sink = null) =>
        PreflightRunner.Evaluate(node.Facts(options: request.ProbeOptions), request, sink);

    static KubePreflightResult Result(KubePreflightReport r, string check) => Assert.Single(r.Results, x => x.Check == check);

    [Fact]
    public void Init_on_1_30_runs_exactly_kubeadms_checks()
    {
        var names = Run(ProbeOutput.Healthy(), Init()).Results.Select(r => r.Check).ToHashSet();
        string[] kubeadm =
        [
            "IsPrivilegedUser", "NumCPU", "Mem", "KubernetesVersion", "Firewalld", "Port-6443", "Port-10259", "Port-10257",
            "FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml", "FileAvailable--etc-kubernetes-manifests-kube-controller-manager.yaml",
            "FileAvailable--etc-kubernetes-manifests-kube-scheduler.yaml", "FileAvailable--etc-kubernetes-manifests-etcd.yaml",
            "HTTPProxy", "HTTPProxyCIDR", "CRI", "FileExisting-crictl", "FileContent--proc-sys-net-ipv4-ip_forward", "Swap",
            "FileExisting-conntrack", "FileExisting-ip", "FileExisting-iptables", "FileExisting-mount", "FileExisting-nsenter",
            "FileExisting-ebtables", "FileExisting-ethtool", "FileExisting-socat", "FileExisting-tc", "FileExisting-touch",
            "SystemVerification", "Hostname", "KubeletVersion", "Service-Kubelet", "Port-10250", "Port-2379", "Port-2380", "DirAvailable--var-lib-etcd",
        ];
        Assert.Equal(kubeadm.ToHashSet(), names);
    }

    [Fact]
    public void A_healthy_node_passes_every_check()
    {
        var report = Run(ProbeOutput.Healthy(), Init());
        Assert.True(report.Passed);
        Assert.All(report.Results, r => Assert.True(r.Passed, $"{r.Check}: {r.Message}"));
    }

    [Fact]
    public void Worker_join_runs_no_control_plane_checks_and_checks_the_join_files()
    {
        var names = Run(ProbeOutput.Healthy(), Worker()).Results.Select(r => r.Check).ToHashSet();
        Assert.DoesNotContain("NumCPU", names);
        Assert.DoesNotContain("Mem", names);
        Assert.DoesNotContain("Port-6443", names);
        Assert.DoesNotContain("Port-2379", names);
        Assert.DoesNotContain("DirAvailable--var-lib-etcd", names);
        Assert.Contains("FileAvailable--etc-kubernetes-kubelet.conf", names);
        Assert.Contains("FileAvailable--etc-kubernetes-bootstrap-kubelet.conf", names);
        Assert.Contains("FileAvailable--etc-kubernetes-pki-ca.crt", names);
        Assert.Contains("Port-10250", names);
        Assert.Contains("HTTPProxy", names);
    }

    [Fact]
    public void Control_plane_join_adds_init_checks_but_not_the_CA_file_check()
    {
        var names = Run(ProbeOutput.Healthy(), CpJoin()).Results.Select(r => r.Check).ToHashSet();
        Assert.Contains("NumCPU", names);
        Assert.Contains("Port-6443", names);
        Assert.Contains("DirAvailable--var-lib-etcd", names);
        Assert.Contains("FileAvailable--etc-kubernetes-kubelet.conf", names);
        Assert.DoesNotContain("FileAvailable--etc-kubernetes-pki-ca.crt", names);
    }

    [Fact]
    public void Worker_join_checks_the_manifests_directory_only_before_1_23()
    {
        Assert.Contains(Run(ProbeOutput.Healthy(), Worker("1.22.17")).Results, r => r.Check == "DirAvailable--etc-kubernetes-manifests");
        Assert.DoesNotContain(Run(ProbeOutput.Healthy(), Worker("1.23.17")).Results, r => r.Check == "DirAvailable--etc-kubernetes-manifests");
    }

    [Fact]
    public void A_listener_on_6443_fails_Port_6443_as_an_error()
    {
        var r = Result(Run(ProbeOutput.Healthy().Add("net.listen", "6443"), Init()), "Port-6443");
        Assert.False(r.Passed);
        Assert.Equal(PreflightSeverity.Error, r.Severity);
        Assert.Contains("6443 is in use", r.Message);
    }

    [Fact]
    public void The_port_check_follows_the_bind_port()
    {
        var report = Run(ProbeOutput.Healthy().Add("net.listen", "6443"), Init() with { BindPort = 7443 });
        Assert.DoesNotContain(report.Results, r => r.Check == "Port-6443");
        Assert.True(Result(report, "Port-7443").Passed);
        Assert.False(Result(Run(ProbeOutput.Healthy().Add("net.listen", "7443"), Init() with { BindPort = 7443 }), "Port-7443").Passed);
    }

    [Fact]
    public void External_etcd_drops_the_etcd_port_and_data_dir_checks_and_checks_its_files()
    {
        var request = Init() with { ExternalEtcd = true, ExternalEtcdFiles = ["/etc/etcd/ca.crt", "/etc/etcd/client.crt", "/etc/etcd/client.key"] };
        var node = ProbeOutput.Healthy().Add("net.listen", "2379").Path("file", "/etc/etcd/ca.crt").Path("file", "/etc/etcd/client.crt").Add("fs.absent", "/etc/etcd/client.key");
        var report = Run(node, request);
        Assert.DoesNotContain(report.Results, r => r.Check is "Port-2379" or "Port-2380" or "DirAvailable--var-lib-etcd");
        var files = Result(report, "ExternalEtcdClientCertificates");
        Assert.False(files.Passed);
        Assert.Contains("/etc/etcd/client.key doesn't exist", files.Message);
        Assert.DoesNotContain("client.crt", files.Message);
    }

    [Fact]
    public void The_etcd_data_dir_check_is_named_for_the_configured_dir()
    {
        var request = Init() with { EtcdDataDir = "/data/etcd" };
        var r = Result(Run(ProbeOutput.Healthy().Path("dir_nonempty", "/data/etcd"), request), "DirAvailable--data-etcd");
        Assert.False(r.Passed);
        Assert.Contains("/data/etcd is not empty", r.Message);
        Assert.True(Result(Run(ProbeOutput.Healthy().Path("dir_empty", "/data/etcd"), request), "DirAvailable--data-etcd").Passed);
    }

    [Fact]
    public void An_existing_manifest_fails_its_FileAvailable_check()
    {
        var r = Result(Run(ProbeOutput.Healthy().Path("file", "/etc/kubernetes/manifests/kube-apiserver.yaml"), Init()),
            "FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml");
        Assert.Equal(PreflightSeverity.Error, r.Severity);
        Assert.Contains("already exists", r.Message);
    }

    [Theory]
    [InlineData("1.22.17", PreflightSeverity.Error)]
    [InlineData("1.23.0", PreflightSeverity.Warning)]
    [InlineData("1.30.4", PreflightSeverity.Warning)]
    public void Swap_is_an_error_before_1_23_and_a_warning_since(string version, PreflightSeverity expected)
    {
        var node = ProbeOutput.Healthy().Add("swap.entry", "/swap.img file 2097148").Add("fstab.swap", "/swap.img none swap sw 0 0");
        var r = Result(Run(node, Init(version) with { CriSocket = "unix:///var/run/containerd/containerd.sock" }), "Swap");
        Assert.False(r.Passed);
        Assert.Equal(expected, r.Severity);
        Assert.Contains("/swap.img", r.Message);
        Assert.Equal(PreparationSteps.Swap, r.FixStep);
    }

    [Fact]
    public void Swap_only_in_fstab_passes_as_kubeadm_reads_proc_swaps_only()
    {
        Assert.True(Result(Run(ProbeOutput.Healthy().Add("fstab.swap", "/swap.img none swap sw 0 0"), Init()), "Swap").Passed);
    }

    [Theory]
    [InlineData("1.29.15", true)]
    [InlineData("1.30.0", false)]
    public void The_bridge_nf_call_iptables_check_was_removed_in_1_30(string version, bool present)
    {
        var report = Run(ProbeOutput.Healthy().Set("sysctl.net.bridge.bridge-nf-call-iptables", "0"), Init(version));
        var check = report.Results.SingleOrDefault(r => r.Check == "FileContent--proc-sys-net-bridge-bridge-nf-call-iptables");
        Assert.Equal(present, check is not null);
        if (check is not null)
        {
            Assert.False(check.Passed);
            Assert.Equal(PreflightSeverity.Error, check.Severity);
        }
    }

    [Fact]
    public void A_missing_bridge_sysctl_file_says_it_does_not_exist()
    {
        var r = Result(Run(ProbeOutput.Healthy().Remove("sysctl.net.bridge.bridge-nf-call-iptables"), Init("1.29.15")),
            "FileContent--proc-sys-net-bridge-bridge-nf-call-iptables");
        Assert.Contains("/proc/sys/net/bridge/bridge-nf-call-iptables does not exist", r.Message);
    }

    [Fact]
    public void Ip_forward_0_fails_as_an_error()
    {
        var r = Result(Run(ProbeOutput.Healthy().Set("sysctl.net.ipv4.ip_forward", "0"), Init()), "FileContent--proc-sys-net-ipv4-ip_forward");
        Assert.Equal(PreflightSeverity.Error, r.Severity);
        Assert.Equal(PreparationSteps.Sysctl, r.FixStep);
    }

    [Fact]
    public void IPv6_forwarding_is_checked_only_with_an_IPv6_address_or_CIDR()
    {
        Assert.DoesNotContain(Run(ProbeOutput.Healthy(), Init()).Results, r => r.Check == "FileContent--proc-sys-net-ipv6-conf-default-forwarding");
        var v6 = Run(ProbeOutput.Healthy(), Init() with { AdvertiseAddress = "fd00::11", ServiceSubnet = "fd00:10::/108" });
        Assert.False(Result(v6, "FileContent--proc-sys-net-ipv6-conf-default-forwarding").Passed);
        Assert.DoesNotContain(v6.Results, r => r.Check == "FileContent--proc-sys-net-ipv4-ip_forward");
        var dual = Run(ProbeOutput.Healthy(), Init() with { ServiceSubnet = "10.96.0.0/12,fd00:10::/108" });
        Assert.Contains(dual.Results, r => r.Check == "FileContent--proc-sys-net-ipv6-conf-default-forwarding");
        Assert.Contains(dual.Results, r => r.Check == "FileContent--proc-sys-net-ipv4-ip_forward");
    }

    [Theory]
    [InlineData("1.31.14", true)]
    [InlineData("1.32.0", false)]
    public void Conntrack_is_not_checked_from_1_32(string version, bool present) =>
        Assert.Equal(present, Run(ProbeOutput.Healthy(), Init(version)).Results.Any(r => r.Check == "FileExisting-conntrack"));

    [Theory]
    [InlineData("1.30.4", PreflightSeverity.Error)]
    [InlineData("1.31.0", PreflightSeverity.Warning)]
    public void Missing_crictl_is_an_error_until_1_31_then_a_warning(string version, PreflightSeverity expected)
    {
        var r = Result(Run(ProbeOutput.Healthy().Remove("tool.crictl"), Init(version)), "FileExisting-crictl");
        Assert.Equal(expected, r.Severity);
        Assert.Contains("crictl not found in system path", r.Message);
    }

    [Fact]
    public void Crictl_is_not_checked_from_1_32() =>
        Assert.DoesNotContain(Run(ProbeOutput.Healthy().Remove("tool.crictl"), Init("1.32.0")).Results, r => r.Check == "FileExisting-crictl");

    [Fact]
    public void Missing_optional_tools_are_warnings_and_missing_mandatory_ones_errors()
    {
        var report = Run(ProbeOutput.Healthy().Remove("tool.socat").Remove("tool.iptables"), Init());
        Assert.Equal(PreflightSeverity.Warning, Result(report, "FileExisting-socat").Severity);
        Assert.Equal(PreflightSeverity.Error, Result(report, "FileExisting-iptables").Severity);
        Assert.Equal(PreparationSteps.Packages, Result(report, "FileExisting-socat").FixStep);
    }

    [Theory]
    [InlineData("1.28.15", "v1.27.16", true)]
    [InlineData("1.28.15", "v1.26.15", false)]
    [InlineData("1.29.15", "v1.26.0", true)]
    [InlineData("1.29.15", "v1.25.16", false)]
    public void The_kubelet_floor_comes_from_the_catalog(string target, string kubelet, bool passes)
    {
        // kubeadm's MinimumKubeletVersion: one minor back up to 1.28, three from 1.29 (kubernetes/kubernetes#120825).
        var r = Result(Run(ProbeOutput.Healthy().Set("kube.kubelet.version", kubelet), Init(target)), "KubeletVersion");
        Assert.Equal(passes, r.Passed);
    }

    [Fact]
    public void A_kubelet_newer_than_the_control_plane_fails_init_but_not_a_join()
    {
        var node = ProbeOutput.Healthy().Set("kube.kubelet.version", "v1.31.0");
        Assert.False(Result(Run(node, Init("1.30.4")), "KubeletVersion").Passed);
        Assert.True(Result(Run(node, Worker("1.30.4")), "KubeletVersion").Passed);
    }

    [Fact]
    public void A_missing_kubelet_fails_KubeletVersion_and_warns_Service_Kubelet()
    {
        var node = ProbeOutput.Healthy().Remove("kube.kubelet.version").Remove("tool.kubelet")
            .Set("svc.kubelet.unit", "absent").Set("svc.kubelet.enabled", "not-found").Set("svc.kubelet.active", "inactive");
        var report = Run(node, Init());
        Assert.Equal(PreflightSeverity.Error, Result(report, "KubeletVersion").Severity);
        var svc = Result(report, "Service-Kubelet");
        Assert.Equal(PreflightSeverity.Warning, svc.Severity);
        Assert.Contains("kubelet service does not exist", svc.Message);
    }

    [Fact]
    public void A_disabled_kubelet_service_is_a_warning_with_an_automatic_fix()
    {
        var r = Result(Run(ProbeOutput.Healthy().Set("svc.kubelet.enabled", "disabled"), Init()), "Service-Kubelet");
        Assert.Equal(PreflightSeverity.Warning, r.Severity);
        Assert.Equal(PreparationSteps.PackagesKubeletService, r.FixStep);
    }

    [Fact]
    public void Too_few_CPUs_and_too_little_memory_fail_init()
    {
        var report = Run(ProbeOutput.Healthy().Set("cpu.count", "1").Set("mem.total_kb", "1024000"), Init());
        Assert.Contains("1 is less than the required 2", Result(report, "NumCPU").Message);
        Assert.Contains("(1000 MB) is less than the minimum 1700 MB", Result(report, "Mem").Message);
        Assert.True(Run(ProbeOutput.Healthy().Set("cpu.count", "1"), Worker()).Passed);
    }

    [Fact]
    public void Not_running_as_root_fails_first_and_alone()
    {
        var report = Run(ProbeOutput.Healthy().Set("user.euid", "1000").Add("net.listen", "6443"), Init());
        var r = Assert.Single(report.Results);
        Assert.Equal("IsPrivilegedUser", r.Check);
        Assert.False(report.Passed);
    }

    [Fact]
    public void Ignoring_a_check_by_name_in_any_case_turns_its_error_into_an_ignored_warning()
    {
        var report = Run(ProbeOutput.Healthy().Add("net.listen", "6443"), Init() with { IgnorePreflightErrors = ["port-6443"] });
        var r = Result(report, "Port-6443");
        Assert.False(r.Passed);
        Assert.True(r.Ignored);
        Assert.Equal(PreflightSeverity.Warning, r.Severity);
        Assert.True(report.Passed);
    }

    [Fact]
    public void Ignoring_all_downgrades_every_error()
    {
        var node = ProbeOutput.Healthy().Add("net.listen", "6443").Set("cpu.count", "1").Add("swap.entry", "/dev/sda2 partition 1000");
        var report = Run(node, Init("1.22.17") with { IgnorePreflightErrors = ["ALL"] });
        Assert.True(report.Passed);
        Assert.All(report.Results.Where(r => !r.Passed), r => { Assert.True(r.Ignored); Assert.Equal(PreflightSeverity.Warning, r.Severity); });
    }

    [Fact]
    public void All_together_with_other_names_is_rejected()
    {
        var e = Assert.Throws<KubeException>(() => PreflightIgnoreList.Parse(["all", "Swap"]));
        Assert.Equal("Preflight.InvalidIgnoreList", e.ErrorId);
        Assert.Contains("swap", e.Message);
        var e2 = Assert.Throws<KubeException>(() => Run(ProbeOutput.Healthy(), Init() with { IgnorePreflightErrors = ["all,NumCPU"] }));
        Assert.Equal("Preflight.InvalidIgnoreList", e2.ErrorId);
    }

    [Fact]
    public void An_ignore_name_that_matches_no_check_is_accepted_with_a_warning()
    {
        var sink = new CapturingSink();
        var report = Run(ProbeOutput.Healthy(), Init() with { IgnorePreflightErrors = ["Swap", "NoSuchCheck"] }, sink);
        Assert.True(report.Passed);
        var w = Assert.Single(sink.Warnings);
        Assert.Contains("nosuchcheck", w);
    }

    [Fact]
    public void Ignore_names_are_stored_lower_cased_and_comma_lists_split()
    {
        var list = PreflightIgnoreList.Parse(["Swap, NumCPU", " ", "swap"]);
        Assert.Equal(["numcpu", "swap"], list.Names.Order());
        Assert.True(list.Ignores("SWAP"));
        Assert.False(list.Ignores("Mem"));
    }

    [Fact]
    public void A_proxy_without_a_no_proxy_exception_warns_and_a_CIDR_exception_clears_it()
    {
        var proxied = ProbeOutput.Healthy().Add("proxy.HTTPS_PROXY", "http://***@proxy:3128");
        var report = Run(proxied, Init());
        Assert.Equal(PreflightSeverity.Warning, Result(report, "HTTPProxy").Severity);
        Assert.Contains("10.96.0.0/12", Result(report, "HTTPProxyCIDR").Message);

        var excepted = ProbeOutput.Healthy().Add("proxy.HTTPS_PROXY", "http://proxy:3128").Add("proxy.NO_PROXY", "10.0.0.0/8, .svc");
        var ok = Run(excepted, Init());
        Assert.True(Result(ok, "HTTPProxy").Passed);
        Assert.True(Result(ok, "HTTPProxyCIDR").Passed);
    }

    [Fact]
    public void Several_CRI_sockets_without_a_configured_one_fail_CRI()
    {
        var node = ProbeOutput.Healthy().Add("cri.socket", "unix:///var/run/crio/crio.sock").Add("cri.ready", "unix:///var/run/crio/crio.sock");
        var r = Result(Run(node, Init()), "CRI");
        Assert.Contains("multiple CRI endpoints", r.Message);
        Assert.True(Result(Run(node, Init() with { CriSocket = "unix:///var/run/crio/crio.sock" }), "CRI").Passed);
    }

    [Fact]
    public void A_runtime_that_does_not_answer_fails_CRI()
    {
        var node = ProbeOutput.Healthy().Remove("cri.ready").Add("cri.unready", "unix:///var/run/containerd/containerd.sock");
        Assert.Contains("does not answer", Result(Run(node, Init()), "CRI").Message);
        var none = ProbeOutput.Healthy().Remove("cri.ready").Remove("cri.socket");
        Assert.Contains("unix:///var/run/containerd/containerd.sock does not exist", Result(Run(none, Init()), "CRI").Message);
    }

    [Fact]
    public void Before_1_24_a_docker_node_uses_dockershim_and_checks_the_docker_service()
    {
        var node = ProbeOutput.Healthy().Add("cri.socket", "unix:///var/run/docker.sock").Add("docker.ready", "yes")
            .Set("svc.docker.unit", "present").Set("svc.docker.enabled", "enabled").Set("svc.docker.active", "active").Remove("tool.crictl");
        var report = Run(node, Init("1.23.17"));
        Assert.True(Result(report, "CRI").Passed);
        Assert.True(Result(report, "Service-Docker").Passed);
        Assert.DoesNotContain(report.Results, r => r.Check == "FileExisting-crictl");
        Assert.DoesNotContain(Run(node, Init("1.24.17")).Results, r => r.Check == "Service-Docker");
    }

    [Fact]
    public void SystemVerification_reports_a_missing_kernel_option_as_an_error()
    {
        var r = Result(Run(ProbeOutput.Healthy().Remove("kconfig.NAMESPACES"), Init()), "SystemVerification");
        Assert.Equal(PreflightSeverity.Error, r.Severity);
        Assert.Contains("CONFIG_NAMESPACES", r.Message);
    }

    [Fact]
    public void SystemVerification_without_a_kernel_config_only_warns()
    {
        var node = ProbeOutput.Healthy().Set("kconfig.source", "none");
        foreach (var s in Core.Nodes.NodeProbe.KernelConfigSymbols) node.Remove($"kconfig.{s}");
        var r = Result(Run(node, Init()), "SystemVerification");
        Assert.Equal(PreflightSeverity.Warning, r.Severity);
        Assert.Contains("kernel config", r.Message);
    }

    [Fact]
    public void SystemVerification_fails_a_missing_cgroup_controller()
    {
        var r = Result(Run(ProbeOutput.Healthy().Set("cgroup.controllers", "cpu io memory pids"), Init()), "SystemVerification");
        Assert.Contains("missing required cgroups: cpuset", r.Message);
        Assert.Equal(PreflightSeverity.Error, r.Severity);
    }

    [Fact]
    public void Cgroup_v1_is_fine_for_1_30_and_an_error_for_1_35()
    {
        var v1 = ProbeOutput.Healthy().Set("cgroup.fs", "tmpfs").Set("cgroup.version", "1").Remove("cgroup.freezer")
            .Set("cgroup.controllers", "cpuset cpu cpuacct blkio memory devices freezer net_cls perf_event net_prio hugetlb pids");
        Assert.True(Result(Run(v1, Init("1.30.4")), "SystemVerification").Passed);
        Assert.Equal(PreflightSeverity.Error, Result(Run(v1.Set("kube.kubelet.version", "v1.35.0"), Init("1.35.0")), "SystemVerification").Severity);
    }

    [Fact]
    public void An_unresolvable_hostname_is_a_warning_fixed_by_the_hosts_step()
    {
        var r = Result(Run(ProbeOutput.Healthy().Remove("host.resolves").Add("host.unresolved", "cp1"), Init()), "Hostname");
        Assert.Equal(PreflightSeverity.Warning, r.Severity);
        Assert.Contains("could not be reached", r.Message);
        Assert.Equal(PreparationSteps.HostName, r.FixStep);
    }

    [Fact]
    public void An_active_firewalld_is_a_warning_naming_the_bind_port()
    {
        var r = Result(Run(ProbeOutput.Healthy().Set("svc.firewalld.unit", "present").Set("svc.firewalld.enabled", "enabled").Set("svc.firewalld.active", "active"),
            Init() with { BindPort = 8443 }), "Firewalld");
        Assert.Equal(PreflightSeverity.Warning, r.Severity);
        Assert.Contains("8443", r.Message);
    }

    [Fact]
    public void Bad_requests_fail_before_any_check_with_the_offending_value()
    {
        var e = Assert.Throws<KubeException>(() => (Init() with { BindPort = 70000 }).Validate());
        Assert.Equal("Preflight.InvalidPort", e.ErrorId);
        Assert.Contains("70000", e.Message);
        var s = Assert.Throws<KubeException>(() => (Init() with { ServiceSubnet = "10.96.0.0/33" }).Validate());
        Assert.Equal("Preflight.InvalidSubnet", s.ErrorId);
        var v = Assert.Throws<KubeException>(() => (Init() with { KubernetesVersion = KubeVersion.Parse("1.99") }).Validate());
        Assert.Equal("Version.Unsupported", v.ErrorId);
        var many = Assert.Throws<KubeAggregateException>(() => (Init() with { BindPort = 0, AdvertiseAddress = "not-an-ip" }).Validate());
        Assert.Equal(2, many.Errors.Count);
    }
}
