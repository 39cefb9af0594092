using System.Text;
using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Tests.Preflight.Support;
using Xunit;

namespace KubePS.Tests.Preparation;

/// <summary>
/// The container runtime renderer: config.toml judged by containerd itself (config dump) and by a TOML parser,
/// hosts.toml, daemon.json (jq), the cri-dockerd unit, and a real apply in a namespace node.
/// </summary>
public sealed class ContainerRuntimeTests
{
    const string Mirror = "registry.aliyuncs.com/google_containers";

    static string Content(NodePlan plan, string path) => Encoding.UTF8.GetString(plan.Files.Single(f => f.Path == path).Content);

    static ContainerRuntimeOptions Options(string version = "1.30.4") => new() { KubernetesVersion = KubeVersion.Parse(version), ImageRepository = Mirror };

    [Fact]
    public void Config_v2_is_accepted_by_containerd_with_systemd_cgroups_and_the_mirrors_pause_image()
    {
        var facts = ProbeOutput.Healthy().Set("runtime.containerd.version", "1.6.20~ds1").Facts();
        var plan = ContainerRuntime.Render(facts, Options());
        string toml = Content(plan, "/etc/containerd/config.toml");
        string dump = ToolJudge.ContainerdDump(toml);
        // pause 3.9 is Kubernetes 1.30's (catalog), on the mirror's path.
        Assert.Contains("sandbox_image = \"registry.aliyuncs.com/google_containers/pause:3.9\"", dump);
        Assert.Contains("SystemdCgroup = true", dump);
        Assert.Contains("config_path = \"/etc/containerd/certs.d\"", dump);
        var doc = ToolJudge.Toml(toml).RootElement;
        Assert.Equal(2, doc.GetProperty("version").GetInt32());
        Assert.True(doc.GetProperty("plugins").GetProperty("io.containerd.grpc.v1.cri").GetProperty("containerd").GetProperty("runtimes")
            .GetProperty("runc").GetProperty("options").GetProperty("SystemdCgroup").GetBoolean());
    }

    [Fact]
    public void Config_v3_uses_containerd_2_field_names()
    {
        var facts = ProbeOutput.Healthy().Set("runtime.containerd.version", "v2.0.2").Facts();
        var options = Options("1.31.14");
        Assert.Equal(3, ContainerRuntime.ConfigVersionFor(options, facts));
        var doc = ToolJudge.Toml(Content(ContainerRuntime.Render(facts, options), "/etc/containerd/config.toml")).RootElement;
        Assert.Equal(3, doc.GetProperty("version").GetInt32());
        var plugins = doc.GetProperty("plugins");
        Assert.Equal("registry.aliyuncs.com/google_containers/pause:3.10", plugins.GetProperty("io.containerd.cri.v1.images").GetProperty("pinned_images").GetProperty("sandbox").GetString());
        Assert.Equal("/etc/containerd/certs.d", plugins.GetProperty("io.containerd.cri.v1.images").GetProperty("registry").GetProperty("config_path").GetString());
        Assert.True(plugins.GetProperty("io.containerd.cri.v1.runtime").GetProperty("containerd").GetProperty("runtimes").GetProperty("runc")
            .GetProperty("options").GetProperty("SystemdCgroup").GetBoolean());
    }

    [Theory]
    [InlineData(null, null, 2)]
    [InlineData("1.7.12", null, 2)]
    [InlineData("2.1.0", null, 3)]
    [InlineData(null, "1.6.20~ds1", 2)]
    [InlineData(null, "2.0.0", 3)]
    [InlineData("1.7.22", "2.0.0", 2)]
    public void The_config_version_follows_the_containerd_version(string? requested, string? installed, int expected)
    {
        var node = ProbeOutput.Healthy().Set("runtime.containerd.version", installed);
        Assert.Equal(expected, ContainerRuntime.ConfigVersionFor(new ContainerRuntimeOptions { Version = requested }, node.Facts()));
    }

    [Fact]
    public void Registry_mirrors_become_hosts_toml_files_in_certs_d()
    {
        var options = Options() with
        {
            RegistryMirrors = new Dictionary<string, IReadOnlyList<string>>
            {
                ["docker.io"] = ["https://mirror.gcr.io", "https://dockerhub.example.com/"],
                ["registry.k8s.io"] = ["https://k8s.mirror.example.com"],
            },
        };
        var plan = ContainerRuntime.Render(ProbeOutput.Healthy().Facts(), options);
        var hub = ToolJudge.Toml(Content(plan, "/etc/containerd/certs.d/docker.io/hosts.toml")).RootElement;
        Assert.Equal("https://registry-1.docker.io", hub.GetProperty("server").GetString());
        var hosts = hub.GetProperty("host");
        Assert.Equal(["https://mirror.gcr.io", "https://dockerhub.example.com"], hosts.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["pull", "resolve"], hosts.GetProperty("https://mirror.gcr.io").GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()));
        var k8s = ToolJudge.Toml(Content(plan, "/etc/containerd/certs.d/registry.k8s.io/hosts.toml")).RootElement;
        Assert.Equal("https://registry.k8s.io", k8s.GetProperty("server").GetString());
    }

    [Theory]
    [InlineData("docker.io", "ftp://mirror")]
    [InlineData("docker.io", "not a url")]
    [InlineData("../etc", "https://mirror.example.com")]
    public void Bad_mirrors_fail_before_anything_is_rendered(string registry, string mirror)
    {
        var e = Assert.Throws<KubeException>(() => ContainerRuntime.Render(ProbeOutput.Healthy().Facts(),
            Options() with { RegistryMirrors = new Dictionary<string, IReadOnlyList<string>> { [registry] = [mirror] } }));
        Assert.StartsWith("Preparation.Invalid", e.ErrorId);
    }

    [Fact]
    public void Docker_for_1_24_and_later_gets_cri_dockerd_with_the_pause_image()
    {
        var options = Options() with
        {
            Runtime = ContainerRuntimeKind.Docker,
            RegistryMirrors = new Dictionary<string, IReadOnlyList<string>> { ["docker.io"] = ["https://mirror.gcr.io"] },
        };
        var plan = ContainerRuntime.Render(ProbeOutput.Healthy().Facts(), options);
        Assert.Equal([PreparationSteps.RuntimePackage, PreparationSteps.RuntimeConfig, PreparationSteps.RuntimeCriDockerd, PreparationSteps.RuntimeService],
            plan.Steps.Select(s => s.Id));
        string unit = Content(plan, "/etc/systemd/system/cri-docker.service");
        Assert.Contains("--pod-infra-container-image=registry.aliyuncs.com/google_containers/pause:3.9", unit);
        Assert.Contains("ListenStream=%t/cri-dockerd.sock", Content(plan, "/etc/systemd/system/cri-docker.socket"));
        Assert.Equal("unix:///var/run/cri-dockerd.sock", ContainerRuntime.CriDockerdEndpoint);
        Assert.Contains("https://github.com/Mirantis/cri-dockerd/releases/download/v0.3.20/cri-dockerd-0.3.20.amd64.tgz", plan.Step(PreparationSteps.RuntimeCriDockerd).Script);
        string json = Content(plan, "/etc/docker/daemon.json");
        Assert.Equal("[\"native.cgroupdriver=systemd\"]", ToolJudge.Jq(json, ".\"exec-opts\""));
        Assert.Equal("[\"https://mirror.gcr.io\"]", ToolJudge.Jq(json, ".\"registry-mirrors\""));
    }

    [Fact]
    public void Docker_before_1_24_uses_dockershim_and_needs_no_cri_dockerd()
    {
        var plan = ContainerRuntime.Render(ProbeOutput.Healthy().Facts(), Options("1.23.17") with { Runtime = ContainerRuntimeKind.Docker });
        Assert.DoesNotContain(plan.Steps, s => s.Id == PreparationSteps.RuntimeCriDockerd);
        Assert.DoesNotContain(plan.Files, f => f.Path.Contains("cri-docker"));
    }

    [Fact]
    public void On_dnf_nodes_containerd_comes_from_dockers_repository()
    {
        var plan = ContainerRuntime.Render(ProbeOutput.Healthy().Set("pkg.manager", "dnf").Set("os.id", "rocky").Facts(), Options());
        Assert.Equal(PreparationSteps.RuntimeRepository, plan.Steps[0].Id);
        Assert.Contains("baseurl=https://download.docker.com/linux/centos/$releasever/$basearch/stable", Content(plan, "/etc/yum.repos.d/docker-ce.repo"));
        Assert.Contains("p='containerd.io'", plan.Step(PreparationSteps.RuntimePackage).Script);
    }

    [Fact]
    public void An_explicit_sandbox_image_wins_over_the_derived_one()
    {
        var plan = ContainerRuntime.Render(ProbeOutput.Healthy().Facts(), Options() with { SandboxImage = "harbor.local/k8s/pause:3.9" });
        Assert.Contains("sandbox_image = \"harbor.local/k8s/pause:3.9\"", Content(plan, "/etc/containerd/config.toml"));
    }

    [Fact]
    public void Every_rendered_runtime_script_parses_with_bash()
    {
        foreach (var pm in new[] { "apt", "dnf" })
            foreach (var kind in new[] { ContainerRuntimeKind.Containerd, ContainerRuntimeKind.Docker })
                foreach (var version in new string?[] { null, "1.7.12" })
                {
                    var plan = ContainerRuntime.Render(ProbeOutput.Healthy().Set("pkg.manager", pm).Facts(), Options() with { Runtime = kind, Version = version });
                    ToolJudge.AssertBashParses(plan.RenderScript(plan.Steps, ["/etc/containerd/config.toml"]));
                }
    }

    [Fact]
    public async Task Applying_containerd_writes_its_config_in_the_node_only_and_a_second_run_changes_nothing()
    {
        await using var node = await PrepNode.StartAsync("rt1");
        var transport = node.Transport();
        var facts = await NodeProbe.GatherAsync(transport, null, default);
        var options = Options() with { RegistryMirrors = new Dictionary<string, IReadOnlyList<string>> { ["docker.io"] = ["https://mirror.gcr.io"] } };
        var sink = new CapturingSink();

        var first = await NodePlanApplier.ApplyAsync(transport, ContainerRuntime.Render(facts, options), sink, default);
        // containerd is already installed here, so the package step keeps it.
        Assert.Equal(PreparationStatus.Unchanged, first.Single(r => r.Step == PreparationSteps.RuntimePackage).Status);
        Assert.Contains(first.Single(r => r.Step == PreparationSteps.RuntimeConfig).Changes, c => c.EndsWith(" /etc/containerd/config.toml (0644)"));
        Assert.Contains("restarted containerd.service", first.Single(r => r.Step == PreparationSteps.RuntimeService).Changes);

        // containerd itself, run inside the node, reads what was written there.
        string dump = await PrepNode.Sh(node, "containerd --config /etc/containerd/config.toml config dump");
        Assert.Contains("sandbox_image = \"registry.aliyuncs.com/google_containers/pause:3.9\"", dump);
        Assert.Contains("SystemdCgroup = true", dump);
        Assert.Contains("https://mirror.gcr.io", await PrepNode.Sh(node, "cat /etc/containerd/certs.d/docker.io/hosts.toml"));
        Assert.False(File.Exists("/etc/containerd/certs.d/docker.io/hosts.toml"));
        Assert.DoesNotContain("aliyuncs", File.Exists("/etc/containerd/config.toml") ? File.ReadAllText("/etc/containerd/config.toml") : "");

        var second = await NodePlanApplier.ApplyAsync(transport, ContainerRuntime.Render(facts, options), sink, default);
        Assert.All(second, r => Assert.True(r.Status == PreparationStatus.Unchanged, $"{r.Step}: {string.Join("; ", r.Changes)}"));
    }
}
