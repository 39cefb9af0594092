using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Preflight;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Tests.Lab;
using Xunit;
using Sink = KubePS.Tests.Infrastructure.CapturingSink;

namespace KubePS.Tests.Preparation;

/// <summary>
/// Install-KubePackage -PackagePath (air-gapped) over real SSH on lab nodes: a .deb built here with dpkg-deb, pushed in
/// the file batch and installed by dpkg into each node's own database and /usr/local; judged with dpkg-query and the
/// fake kubelet itself inside the nodes, and on the host. Then dry runs planned from a lab node's real facts.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LabPackageTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), $"kubeps-test-{Guid.NewGuid():N}");

    public LabPackageTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A .deb built with dpkg-deb: package <paramref name="name"/> 1.30.4-1.1 with the given files (path → content, 0755).</summary>
    string BuildDeb(string name, IReadOnlyDictionary<string, string> files)
    {
        string root = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.Combine(root, "DEBIAN"));
        File.WriteAllText(Path.Combine(root, "DEBIAN/control"),
            $"Package: {name}\nVersion: 1.30.4-1.1\nArchitecture: all\nMaintainer: KubePS tests <tests@kubeps.invalid>\nDescription: fake {name} for the KubePS air-gapped lab test\n");
        foreach (var (path, content) in files)
        {
            string f = Path.Combine(root, path.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(f)!);
            File.WriteAllText(f, content);
            File.SetUnixFileMode(f, (UnixFileMode)0b111_101_101);
        }
        string deb = Path.Combine(_dir, $"{name}_1.30.4-1.1_all.deb");
        var (exit, _, err) = ToolJudge.Run("dpkg-deb", ["--root-owner-group", "--build", root, deb]);
        Assert.True(exit == 0, err);
        return deb;
    }

    [Fact]
    public async Task An_air_gapped_deb_installs_a_fake_kubelet_into_each_nodes_usr_local_only_and_preflight_sees_it()
    {
        string deb = BuildDeb("kubelet", new Dictionary<string, string>
        {
            ["/usr/local/bin/kubelet"] = "#!/bin/sh\necho 'Kubernetes v1.30.4'\n",
            ["/etc/systemd/system/kubelet.service"] = "[Unit]\nDescription=fake kubelet\n[Service]\nExecStart=/usr/local/bin/kubelet\n[Install]\nWantedBy=multi-user.target\n",
        });
        await using var lab = await NodeLab.CreateAsync(3, withShims: true);
        var other = lab.Nodes[2];
        var sessions = await LabPrep.OpenAsync(lab, lab.Nodes.Take(2), new Sink());
        var options = new KubePackageOptions
        {
            Version = KubeVersion.Parse("1.30.4"),
            PackageFiles = [new LocalPackageFile(Path.GetFileName(deb), File.ReadAllBytes(deb))],
            Packages = ["kubelet"],
        };

        var sink = new Sink();
        var first = await FleetPreparation.InstallPackagesAsync(sessions, options, sink);
        Assert.Empty(sink.Errors);
        foreach (var (s, node) in sessions.Zip(lab.Nodes))
        {
            var mine = first.Where(r => r.HostName == s.HostName).ToList();
            Assert.Contains("installed kubelet 1.30.4-1.1 from kubelet_1.30.4-1.1_all.deb", mine.Single(r => r.Step == PreparationSteps.PackagesInstall).Changes);
            Assert.Contains("apt-mark hold kubelet", mine.Single(r => r.Step == PreparationSteps.PackagesHold).Changes);
            Assert.Contains("enabled kubelet.service", mine.Single(r => r.Step == PreparationSteps.PackagesKubeletService).Changes);
            // dpkg inside the node knows it, held; the fake kubelet runs there.
            Assert.Equal("installed 1.30.4-1.1 hold", await LabPrep.ShAsync(lab, node, "dpkg-query -W -f='${db:Status-Status} ${Version} ${db:Status-Want}' kubelet"));
            Assert.Equal("Kubernetes v1.30.4\n", await LabPrep.ShAsync(lab, node, "kubelet --version"));
            Assert.True(File.Exists(node.UpperPath("/usr/local/bin/kubelet")));
        }
        // Not on the third node, not on the host.
        Assert.Equal("absent", (await LabPrep.ShAsync(lab, other, "command -v kubelet || echo absent")).Trim());
        Assert.NotEqual(0, (await lab.ExecAsync(other, "dpkg-query -W kubelet")).ExitCode);
        Assert.False(File.Exists("/usr/local/bin/kubelet"));
        Assert.NotEqual(0, ToolJudge.Run("dpkg-query", ["-W", "kubelet"]).Exit);

        // Preflight now finds the kubelet: its version fits 1.30.4 and its (lab) service is enabled.
        var checks = await FleetPreparation.PreflightAsync(sessions, new KubePreflightRequest { Role = PreflightRole.Worker, KubernetesVersion = KubeVersion.Parse("1.30.4") },
            new Sink(), refresh: true);
        Assert.All(checks, o =>
        {
            Assert.True(o.Report.Results.Single(r => r.Check == "KubeletVersion").Passed);
            Assert.True(o.Report.Results.Single(r => r.Check == "Service-Kubelet").Passed);
        });
        // ... and a 1.29 control plane would be refused: a kubelet may not be newer than its API server.
        var newer = await FleetPreparation.PreflightAsync(sessions.Take(1), new KubePreflightRequest { Role = PreflightRole.ControlPlane, KubernetesVersion = KubeVersion.Parse("1.29.15") }, new Sink());
        Assert.False(newer[0].Report.Results.Single(r => r.Check == "KubeletVersion").Passed);

        var second = await FleetPreparation.InstallPackagesAsync(sessions, options, new Sink());
        Assert.All(second, r => Assert.True(r.Status == PreparationStatus.Unchanged, $"{r.HostName} {r.Step}: {string.Join("; ", r.Changes)}"));
    }

    [Fact]
    public async Task A_package_with_files_outside_the_nodes_private_directories_is_refused_by_the_lab()
    {
        const string probe = "/usr/bin/kubeps-lab-guard-probe";
        Assert.False(File.Exists(probe));
        string deb = BuildDeb("kubeadm", new Dictionary<string, string> { [probe] = "#!/bin/sh\n" });
        await using var lab = await NodeLab.CreateAsync(1, withShims: true);
        var sessions = await LabPrep.OpenAsync(lab, lab.Nodes, new Sink());
        var sink = new Sink();
        try
        {
            await FleetPreparation.InstallPackagesAsync(sessions, new KubePackageOptions
            {
                Version = KubeVersion.Parse("1.30.4"),
                PackageFiles = [new LocalPackageFile(Path.GetFileName(deb), File.ReadAllBytes(deb))],
                Packages = ["kubeadm"],
            }, sink);
            var e = Assert.Single(sink.Errors);
            Assert.Equal("Preparation.StepFailed", e.ErrorId);
            Assert.Contains("refusing", e.Message);
            Assert.False(File.Exists(probe), "the lab's dpkg guard let a package write the host's /usr");
        }
        finally
        {
            if (File.Exists(probe)) File.Delete(probe);
        }
    }

    [Fact]
    public async Task Dry_runs_planned_from_a_lab_nodes_real_facts_record_repository_files_and_image_pulls_per_node()
    {
        await using var lab = await NodeLab.CreateAsync(1, withShims: true);
        var real = await LabPrep.OpenAsync(lab, lab.Nodes, new Sink());
        var facts = Assert.Single(await FleetPreparation.GetFactsAsync(real, refresh: false, new Sink()));
        Assert.Equal(PackageManagerKind.Apt, facts.PackageManager);
        string before = await LabPrep.ShAsync(lab, lab.Nodes[0], "ls /etc/apt/sources.list.d; cat /var/log/lab-shims.log 2>/dev/null | wc -l");

        string dry = Path.Combine(_dir, "dryrun");
        var sessions = new List<KubeNodeSession>();
        foreach (var name in new[] { "cp-new", "w-new" })
            sessions.Add(await NodeSessionFactory.OpenAsync(new NodeSessionOptions { HostName = name, DryRunPath = dry, DryRunFacts = facts }));
        var sink = new Sink();
        var packages = await FleetPreparation.InstallPackagesAsync(sessions, new KubePackageOptions { Version = KubeVersion.Parse("1.31"), Repository = KubePackageRepository.Aliyun }, sink);
        var images = await FleetPreparation.PullImagesAsync(sessions, new ImagePullOptions { KubernetesVersion = KubeVersion.Parse("1.31.14"), Role = KubeNodeRole.Worker }, sink);
        Assert.Empty(sink.Errors);
        Assert.All(packages.Concat(images), r => Assert.Equal(PreparationStatus.Recorded, r.Status));
        foreach (var name in new[] { "cp-new", "w-new" })
        {
            Assert.Equal("# Kubernetes packages (written by KubePS)\ndeb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.31/deb/ /\n",
                File.ReadAllText(Path.Combine(dry, name, "etc/apt/sources.list.d/kubernetes.list")));
            string commands = File.ReadAllText(Path.Combine(dry, name, "commands.sh"));
            ToolJudge.AssertBashParses(commands);
            Assert.Contains("'registry.k8s.io/kube-proxy:v1.31.14'", commands);
            Assert.DoesNotContain("kube-apiserver", commands);   // a worker pulls kube-proxy, CoreDNS and pause only
        }
        // The real node was only probed.
        Assert.Equal(before, await LabPrep.ShAsync(lab, lab.Nodes[0], "ls /etc/apt/sources.list.d; cat /var/log/lab-shims.log 2>/dev/null | wc -l"));
        Assert.IsType<KubeException>(await Record.ExceptionAsync(() => NodeProbe.GatherAsync(new DryRunTransport("x", dry), null, default)));
    }
}
