using System.Text.RegularExpressions;
using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Preflight;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Tests.Preflight.Support;
using Xunit;

namespace KubePS.Tests.Preparation;

/// <summary>
/// The preparation cmdlets' Core entry points over dry-run sessions: repository files land under &lt;dir&gt;/&lt;node&gt;/,
/// the commands in &lt;dir&gt;/&lt;node&gt;/commands.sh, nothing runs, and the file changes the applier reports are the
/// dry-run transport's Created/Updated/Unchanged. Judged with bash, tomllib, stat and kubeadm's reference manifests.
/// </summary>
public sealed class DryRunPreparationTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), $"kubeps-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Dry-run sessions planned from the facts of a (made-up, healthy) Ubuntu node, as New-KubeNodeSession -DryRunPath -Facts opens them.</summary>
    async Task<IReadOnlyList<KubeNodeSession>> Open(params string[] hosts)
    {
        var template = ProbeOutput.Healthy("template", "10.0.0.9").Facts("template");
        var sessions = new List<KubeNodeSession>();
        foreach (var h in hosts)
            sessions.Add(await NodeSessionFactory.OpenAsync(new NodeSessionOptions { HostName = h, DryRunPath = _dir, DryRunFacts = template }));
        return sessions;
    }

    string Commands(string host) => File.ReadAllText(Path.Combine(_dir, host, "commands.sh"));

    [Fact]
    public async Task Package_install_dry_run_writes_the_repository_file_per_node_and_records_the_pinned_install()
    {
        var sessions = await Open("cp1", "w1");
        var sink = new CapturingSink();
        var results = await FleetPreparation.InstallPackagesAsync(sessions, new KubePackageOptions { Version = KubeVersion.Parse("1.30.4") }, sink);

        Assert.Empty(sink.Errors);
        Assert.Equal(2 * 4, results.Count);
        Assert.All(results, r => Assert.Equal(PreparationStatus.Recorded, r.Status));
        foreach (var host in new[] { "cp1", "w1" })
        {
            string list = File.ReadAllText(Path.Combine(_dir, host, "etc/apt/sources.list.d/kubernetes.list"));
            Assert.Contains("deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.30/deb/ /\n", list);
            var repo = results.Single(r => r.HostName == host && r.Step == PreparationSteps.PackagesRepository);
            Assert.Equal(["created /etc/apt/sources.list.d/kubernetes.list (0644)"], repo.Changes);

            // The recorded script is valid bash and does what kubeadm's install guide does, pinned to 1.30.4.
            string commands = Commands(host);
            ToolJudge.AssertBashParses(commands);
            Assert.Contains("https://pkgs.k8s.io/core:/stable:/v1.30/deb/Release.key", commands);
            Assert.Contains("pattern='^1\\.30\\.4-'", commands);
            Assert.Contains("apt-cache madison", commands);
            Assert.Contains("apt-mark hold", commands);
            Assert.Contains("svc_enable kubelet.service", commands);
            Assert.Contains("phase: (none)", commands);
        }
        Assert.False(File.Exists("/etc/apt/sources.list.d/kubernetes.list")); // this machine is not touched

        // Second dry run: the repository file is already in the dry-run folder with the same bytes: no file change.
        var again = await FleetPreparation.InstallPackagesAsync(sessions, new KubePackageOptions { Version = KubeVersion.Parse("1.30.4") }, new CapturingSink());
        Assert.All(again, r => Assert.Empty(r.Changes));
        // A different minor updates the file.
        var other = await FleetPreparation.InstallPackagesAsync(sessions.Take(1), new KubePackageOptions { Version = KubeVersion.Parse("1.31") }, new CapturingSink());
        Assert.Equal(["updated /etc/apt/sources.list.d/kubernetes.list (0644)"], other.Single(r => r.Step == PreparationSteps.PackagesRepository).Changes);
        Assert.Contains("core:/stable:/v1.31/deb/", File.ReadAllText(Path.Combine(_dir, "cp1", "etc/apt/sources.list.d/kubernetes.list")));
    }

    [Fact]
    public async Task Runtime_dry_run_writes_containerd_config_with_systemd_cgroup_and_the_clusters_pause_image()
    {
        var sessions = await Open("cp1");
        var options = new ContainerRuntimeOptions
        {
            KubernetesVersion = KubeVersion.Parse("1.30.14"),
            ImageRepository = "registry.aliyuncs.com/google_containers",
            RegistryMirrors = new Dictionary<string, IReadOnlyList<string>> { ["docker.io"] = ["https://docker.m.daocloud.io"] },
        };
        var results = await FleetPreparation.InstallContainerRuntimeAsync(sessions, options, new CapturingSink());
        Assert.All(results, r => Assert.Equal(PreparationStatus.Recorded, r.Status));

        string node = Path.Combine(_dir, "cp1");
        using var toml = ToolJudge.Toml(File.ReadAllText(Path.Combine(node, "etc/containerd/config.toml")));
        string dump = toml.RootElement.GetRawText();
        Assert.Equal("true", ToolJudge.Jq(dump, "..|objects|select(has(\"SystemdCgroup\"))|.SystemdCgroup"));
        // kubeadm 1.30's pause image (kubeadm-versions.md: pause 3.9), on the mirror the cluster uses.
        Assert.Equal("\"registry.aliyuncs.com/google_containers/pause:3.9\"", ToolJudge.Jq(dump, "..|objects|select(has(\"sandbox_image\"))|.sandbox_image"));
        Assert.Contains("https://docker.m.daocloud.io", File.ReadAllText(Path.Combine(node, "etc/containerd/certs.d/docker.io/hosts.toml")));
        string commands = Commands("cp1");
        ToolJudge.AssertBashParses(commands);
        Assert.Contains("svc_enable containerd.service", commands);
        // The config file is new in this dry run, so the recorded script restarts containerd.
        Assert.Matches(@"kubeps_changed_files='\n[^']*/etc/containerd/config\.toml\n", commands);
        Assert.Contains("files.txt", string.Join(' ', Directory.GetFiles(node).Select(Path.GetFileName)));
        Assert.Contains("0644 root:root /etc/containerd/config.toml", File.ReadAllLines(Path.Combine(node, "files.txt")));
    }

    [Fact]
    public async Task Image_dry_run_records_the_images_kubeadm_1_30_14_runs()
    {
        var sessions = await Open("cp1");
        var results = await FleetPreparation.PullImagesAsync(sessions, new ImagePullOptions { KubernetesVersion = KubeVersion.Parse("1.30.14") }, new CapturingSink());
        Assert.Equal(PreparationStatus.Recorded, Assert.Single(results).Status);

        // bash itself reads the recorded image list.
        string commands = Commands("cp1");
        string line = commands.Split('\n').Single(l => l.StartsWith("images=(", StringComparison.Ordinal));
        var (exit, output, err) = ToolJudge.Run("bash", ["-c", line + "\nprintf '%s\\n' \"${images[@]}\""]);
        Assert.True(exit == 0, err);
        var images = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Every image of kubeadm 1.30.14's static pods (the reference manifests) is pulled.
        foreach (var manifest in Directory.GetFiles("/work/shared/kubeadm-reference/v1.30.14/manifests", "*.yaml"))
            foreach (Match m in Regex.Matches(File.ReadAllText(manifest), @"image: (\S+)"))
                Assert.Contains(m.Groups[1].Value, images);
        Assert.Contains("registry.k8s.io/kube-proxy:v1.30.14", images);
        Assert.Contains("registry.k8s.io/pause:3.9", images);
        Assert.Equal(7, images.Length);
    }

    [Fact]
    public async Task A_dry_run_session_without_facts_is_that_nodes_error_and_records_nothing()
    {
        var bare = await NodeSessionFactory.OpenAsync(new NodeSessionOptions { HostName = "nofacts", DryRunPath = _dir });
        var planned = (await Open("withfacts"))[0];
        var sink = new CapturingSink();
        var results = await FleetPreparation.InstallPrerequisitesAsync([bare, planned], new NodePrerequisiteOptions(), sink);

        var error = Assert.Single(sink.Errors);
        Assert.Equal("Node.FactsUnavailable", error.ErrorId);
        Assert.Same(bare, error.Target);
        Assert.Contains("-Facts", error.RecommendedAction);
        Assert.False(File.Exists(Path.Combine(_dir, "nofacts", "commands.sh")));
        Assert.All(results, r => Assert.Equal("withfacts", r.HostName));
        Assert.Contains("# Kubernetes networking sysctls", File.ReadAllText(Path.Combine(_dir, "withfacts", "etc/sysctl.d/99-kubernetes-cri.conf")));
    }

    [Fact]
    public async Task Preflight_over_a_dry_run_session_evaluates_the_given_facts_and_fix_records_instead_of_changing()
    {
        var template = ProbeOutput.Healthy("template").Set("sysctl.net.ipv4.ip_forward", "0").Facts("template");
        var session = await NodeSessionFactory.OpenAsync(new NodeSessionOptions { HostName = "cp9", DryRunPath = _dir, DryRunFacts = template });
        Assert.Equal("cp9", (await NodeProbe.GetFactsAsync(session, null, false, default)).HostName);
        var sink = new CapturingSink();
        var request = new KubePreflightRequest { Role = PreflightRole.Worker, KubernetesVersion = KubeVersion.Parse("1.30.4"), ApiServerEndpoint = "10.0.0.10:6443" };
        var outcome = Assert.Single(await FleetPreparation.PreflightAsync([session], request, sink, fix: new NodePrerequisiteOptions()));

        Assert.False(outcome.Report.Results.Single(r => r.Check == "FileContent--proc-sys-net-ipv4-ip_forward").Passed);
        Assert.Contains(outcome.Fixes, f => f.Step == PreparationSteps.Sysctl && f.Status == PreparationStatus.Recorded);
        Assert.Contains("sysctl --system", Commands("cp9"));
        Assert.Equal("Preflight.Failed", Assert.Single(sink.Errors).ErrorId);
    }

    [Fact]
    public async Task Facts_are_only_accepted_for_dry_run_sessions()
    {
        var facts = ProbeOutput.Healthy().Facts();
        var e = await Assert.ThrowsAsync<KubeException>(() => NodeSessionFactory.OpenAsync(new NodeSessionOptions { HostName = "cp1", DryRunFacts = facts }));
        Assert.Equal("Node.OptionNotApplicable", e.ErrorId);
        var l = await Assert.ThrowsAsync<KubeException>(() => NodeSessionFactory.OpenAsync(new NodeSessionOptions { Local = true, DryRunFacts = facts }));
        Assert.Equal("Node.OptionNotApplicable", l.ErrorId);
    }
}
