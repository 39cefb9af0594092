using System.Text;
using KubePS.Core;
using KubePS.Core.Preparation;
using KubePS.Tests.Preflight.Support;
using Xunit;

namespace KubePS.Tests.Preparation;

/// <summary>The node-prerequisites renderer's files and scripts, judged against kubeadm's install guide and with bash -n.</summary>
public sealed class PrerequisitesRenderTests
{
    static string Content(NodePlan plan, string path) => Encoding.UTF8.GetString(plan.Files.Single(f => f.Path == path).Content);

    [Fact]
    public void Modules_file_loads_overlay_and_br_netfilter()
    {
        var plan = NodePrerequisites.Render(ProbeOutput.Healthy().Facts());
        var modules = Content(plan, "/etc/modules-load.d/k8s.conf").Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#'));
        Assert.Equal(["overlay", "br_netfilter"], modules);
        Assert.Equal("0644", plan.Files.Single(f => f.Path == "/etc/modules-load.d/k8s.conf").ModeText);
    }

    [Fact]
    public void With_IPVS_the_modules_file_adds_the_ipvs_modules_and_conntrack()
    {
        var plan = NodePrerequisites.Render(ProbeOutput.Healthy().Facts(), new NodePrerequisiteOptions { Ipvs = true });
        var modules = Content(plan, "/etc/modules-load.d/k8s.conf").Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#'));
        Assert.Equal(["overlay", "br_netfilter", "ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh", "nf_conntrack"], modules);
        Assert.Contains("modprobe ip_vs_sh", plan.Step(PreparationSteps.KernelModules).Script);
    }

    [Fact]
    public void Sysctl_file_sets_bridge_nf_call_and_ip_forward_to_1()
    {
        var plan = NodePrerequisites.Render(ProbeOutput.Healthy().Facts());
        var settings = Content(plan, "/etc/sysctl.d/99-kubernetes-cri.conf").Split('\n')
            .Where(l => l.Contains('=')).Select(l => l.Split('=')).ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        Assert.Equal(new Dictionary<string, string>
        {
            ["net.bridge.bridge-nf-call-iptables"] = "1",
            ["net.bridge.bridge-nf-call-ip6tables"] = "1",
            ["net.ipv4.ip_forward"] = "1",
        }, settings);
        Assert.Contains("sysctl --system", plan.Step(PreparationSteps.Sysctl).Script);
    }

    [Fact]
    public void The_default_plan_for_a_debian_node_without_selinux_or_firewalld()
    {
        var plan = NodePrerequisites.Render(ProbeOutput.Healthy().Facts());
        Assert.Equal([PreparationSteps.Swap, PreparationSteps.KernelModules, PreparationSteps.Sysctl, PreparationSteps.Packages,
            PreparationSteps.TimeSync, PreparationSteps.HostName], plan.Steps.Select(s => s.Id));
        Assert.Contains("KUBEPS_PM=apt", plan.Prologue);
    }

    [Fact]
    public void An_enforcing_selinux_node_gets_the_selinux_step_unless_asked_to_stay_enforcing()
    {
        var node = ProbeOutput.Healthy().Set("selinux.mode", "enforcing").Add("selinux.config", "enforcing").Set("pkg.manager", "dnf");
        var plan = NodePrerequisites.Render(node.Facts());
        Assert.Contains("setenforce 0", plan.Step(PreparationSteps.SELinux).Script);
        Assert.Contains("SELINUX=permissive", plan.Step(PreparationSteps.SELinux).Script);
        Assert.DoesNotContain(NodePrerequisites.Render(node.Facts(), new NodePrerequisiteOptions { SELinux = SELinuxMode.Enforcing }).Steps,
            s => s.Id == PreparationSteps.SELinux);
        // dnf resolves the tools by the files that provide them
        Assert.Contains("conntrack:/usr/sbin/conntrack", plan.Step(PreparationSteps.Packages).Script);
    }

    [Fact]
    public void Firewalld_is_stopped_by_default_or_gets_the_roles_ports_opened()
    {
        var node = ProbeOutput.Healthy().Set("svc.firewalld.unit", "present").Set("svc.firewalld.enabled", "enabled").Set("svc.firewalld.active", "active");
        Assert.Contains("systemctl stop firewalld", NodePrerequisites.Render(node.Facts()).Step(PreparationSteps.Firewall).Script);
        var cp = NodePrerequisites.Render(node.Facts(), new NodePrerequisiteOptions { Firewall = FirewallMode.OpenPorts, BindPort = 8443 }).Step(PreparationSteps.Firewall);
        Assert.Contains("'8443/tcp 2379-2380/tcp 10250/tcp 10259/tcp 10257/tcp'", cp.Script);
        var worker = NodePrerequisites.Render(node.Facts(), new NodePrerequisiteOptions { Firewall = FirewallMode.OpenPorts, Role = KubeNodeRole.Worker }).Step(PreparationSteps.Firewall);
        Assert.Contains("'10250/tcp 10256/tcp 30000-32767/tcp 30000-32767/udp'", worker.Script);
        Assert.DoesNotContain(NodePrerequisites.Render(node.Facts(), new NodePrerequisiteOptions { Firewall = FirewallMode.Leave }).Steps, s => s.Id == PreparationSteps.Firewall);
        Assert.Equal(["8443/tcp", "10250/tcp", "10259/tcp", "10257/tcp"], NodePrerequisites.PortsFor(KubeNodeRole.ControlPlane, 8443, localEtcd: false));
    }

    [Fact]
    public void The_hosts_entry_uses_the_node_name_and_default_address()
    {
        var step = NodePrerequisites.Render(ProbeOutput.Healthy("w7", "192.168.5.7").Facts()).Step(PreparationSteps.HostName);
        Assert.Contains("n='w7'", step.Script);
        Assert.Contains("a='192.168.5.7'", step.Script);
    }

    [Fact]
    public void A_bad_time_zone_fails_before_anything_is_rendered()
    {
        var e = Assert.Throws<KubeException>(() => NodePrerequisites.Render(ProbeOutput.Healthy().Facts(), new NodePrerequisiteOptions { TimeZone = "Europe/Berlin; rm -rf /" }));
        Assert.Equal("Preparation.InvalidTimeZone", e.ErrorId);
        Assert.Contains("rm -rf", e.Message);
    }

    [Fact]
    public void An_unknown_step_name_is_rejected_with_the_valid_ones()
    {
        var e = Assert.Throws<KubeException>(() => NodePrerequisites.Render(ProbeOutput.Healthy().Facts(), new NodePrerequisiteOptions { Steps = ["prerequisites/swapp"] }));
        Assert.Equal("Preparation.UnknownStep", e.ErrorId);
        Assert.Contains(PreparationSteps.Swap, e.Message);
    }

    [Fact]
    public void A_zypper_node_cannot_get_packages_installed()
    {
        var e = Assert.Throws<KubeException>(() => NodePrerequisites.Render(ProbeOutput.Healthy().Set("pkg.manager", "zypper").Facts()));
        Assert.Equal("Preparation.UnsupportedPackageManager", e.ErrorId);
        Assert.NotEmpty(NodePrerequisites.Render(ProbeOutput.Healthy().Set("pkg.manager", "zypper").Facts(), new NodePrerequisiteOptions { InstallPackages = false }).Steps);
    }

    [Theory]
    [InlineData("apt", false)]
    [InlineData("dnf", true)]
    [InlineData("yum", true)]
    public void Every_rendered_script_parses_with_bash(string pm, bool selinux)
    {
        var node = ProbeOutput.Healthy().Set("pkg.manager", pm).Set("svc.firewalld.unit", "present").Set("svc.firewalld.active", "active");
        if (selinux) node.Set("selinux.mode", "enforcing");
        foreach (var options in new[]
                 {
                     new NodePrerequisiteOptions(),
                     new NodePrerequisiteOptions { Ipvs = true, IPv6Forwarding = true, Firewall = FirewallMode.OpenPorts, TimeZone = "Europe/Berlin" },
                     new NodePrerequisiteOptions { Role = KubeNodeRole.Worker, Firewall = FirewallMode.OpenPorts, TimeSync = false },
                 })
        {
            var plan = NodePrerequisites.Render(node.Facts(), options);
            ToolJudge.AssertBashParses(plan.RenderScript(plan.Steps, ["/etc/sysctl.d/99-kubernetes-cri.conf"]));
        }
    }
}
