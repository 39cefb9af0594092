using System.Text;
using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Preparation;
using KubePS.Core.Versioning;
using KubePS.Tests.Preflight.Support;
using Xunit;

namespace KubePS.Tests.Preparation;

/// <summary>
/// The Kubernetes packages renderer: repository lines and files against kubeadm-versions.md §6/§7, version pins resolved
/// by the rendered script from (stubbed) apt-cache madison / dnf list output, pre-1.24 binary URLs and units, and an
/// air-gapped install of a real .deb built here with dpkg-deb, installed by dpkg inside a namespace node.
/// </summary>
public sealed class KubePackagesTests
{
    static string Content(NodePlan plan, string path) => Encoding.UTF8.GetString(plan.Files.Single(f => f.Path == path).Content);
    static KubePackageOptions Version(string v) => new() { Version = KubeVersion.Parse(v) };

    [Theory]
    [InlineData("1.24.17", "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.24/deb/ /")]
    [InlineData("1.30.4", "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.30/deb/ /")]
    public void The_apt_repository_is_pkgs_k8s_io_per_minor(string version, string line)
    {
        var plan = KubePackages.Render(ProbeOutput.Healthy().Facts(), Version(version));
        Assert.Equal(line, Content(plan, "/etc/apt/sources.list.d/kubernetes.list").Split('\n').Single(l => l.StartsWith("deb ")));
        var minor = KubeVersion.Parse(version);
        Assert.Contains($"key_url='https://pkgs.k8s.io/core:/stable:/v{minor.Major}.{minor.Minor}/deb/Release.key'", plan.Step(PreparationSteps.PackagesRepository).Script);
        Assert.Contains("gpg --batch --yes --dearmor", plan.Step(PreparationSteps.PackagesRepository).Script);
    }

    [Fact]
    public void The_aliyun_mirror_drops_the_colons_of_the_path()
    {
        var plan = KubePackages.Render(ProbeOutput.Healthy().Facts(), Version("1.30.4") with { Repository = KubePackageRepository.Aliyun });
        Assert.Contains("deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.30/deb/ /",
            Content(plan, "/etc/apt/sources.list.d/kubernetes.list"));
        Assert.Contains("https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.30/deb/Release.key", plan.Step(PreparationSteps.PackagesRepository).Script);
        var rpm = KubePackages.Render(ProbeOutput.Healthy().Set("pkg.manager", "dnf").Facts(), Version("1.30.4") with { Repository = KubePackageRepository.Aliyun });
        Assert.Contains("baseurl=https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.30/rpm/\n", Content(rpm, "/etc/yum.repos.d/kubernetes.repo"));
    }

    [Fact]
    public void The_rpm_repository_file_matches_pkgs_k8s_io()
    {
        var plan = KubePackages.Render(ProbeOutput.Healthy().Set("pkg.manager", "dnf").Facts(), Version("1.30.4"));
        var lines = Content(plan, "/etc/yum.repos.d/kubernetes.repo").Split('\n');
        Assert.Contains("[kubernetes]", lines);
        Assert.Contains("baseurl=https://pkgs.k8s.io/core:/stable:/v1.30/rpm/", lines);
        Assert.Contains("gpgkey=https://pkgs.k8s.io/core:/stable:/v1.30/rpm/repodata/repomd.xml.key", lines);
        Assert.Contains("exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni", lines);
        Assert.Contains("gpgcheck=1", lines);
        Assert.Contains("--disableexcludes=kubernetes", plan.Step(PreparationSteps.PackagesInstall).Script);
    }

    [Fact]
    public void Before_1_24_pkgs_k8s_io_has_nothing_and_the_legacy_aliyun_mirror_does()
    {
        var e = Assert.Throws<KubeException>(() => KubePackages.Render(ProbeOutput.Healthy().Facts(), Version("1.23.17")));
        Assert.Equal("Packages.NoRepository", e.ErrorId);
        Assert.Contains("1.24", e.Message);
        var plan = KubePackages.Render(ProbeOutput.Healthy().Facts(), Version("1.23.17") with { Repository = KubePackageRepository.AliyunLegacy });
        Assert.Contains("deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://mirrors.aliyun.com/kubernetes/apt/ kubernetes-xenial main",
            Content(plan, "/etc/apt/sources.list.d/kubernetes.list"));
        Assert.Contains("https://mirrors.aliyun.com/kubernetes/apt/doc/apt-key.gpg", plan.Step(PreparationSteps.PackagesRepository).Script);
        var rpm = KubePackages.Render(ProbeOutput.Healthy().Set("pkg.manager", "yum").Facts(), Version("1.23.17") with { Repository = KubePackageRepository.AliyunLegacy });
        Assert.Contains("baseurl=https://mirrors.aliyun.com/kubernetes/yum/repos/kubernetes-el7-$basearch/", Content(rpm, "/etc/yum.repos.d/kubernetes.repo"));
    }

    [Fact]
    public void Release_binaries_come_from_the_dl_k8s_io_layout_and_are_checked_against_sha256()
    {
        var arm = ProbeOutput.Healthy().Set("kernel.machine", "aarch64").Facts();
        var plan = KubePackages.Render(arm, Version("1.23.17") with { BinaryBaseUrl = KubePackages.DefaultBinaryBaseUrl });
        string script = plan.Step(PreparationSteps.PackagesBinaries).Script;
        Assert.Contains("urls+=('https://dl.k8s.io/release/v1.23.17/bin/linux/arm64/kubeadm')", script);
        Assert.Contains("urls+=('https://dl.k8s.io/release/v1.23.17/bin/linux/arm64/kubelet')", script);
        Assert.Contains("fetch \"$u.sha256\"", script);
        Assert.Equal("https://dl.k8s.io/release/v1.18.20/bin/linux/amd64/kubectl", KubePackages.BinaryUrl("https://dl.k8s.io/release/", KubeVersion.Parse("1.18.20"), "amd64", "kubectl"));
    }

    [Fact]
    public void Binary_installs_get_the_kubelet_unit_and_kubeadms_drop_in()
    {
        var plan = KubePackages.Render(ProbeOutput.Healthy().Facts(), Version("1.22.17") with { BinaryBaseUrl = "https://mirror.example.com/k8s" });
        string dropIn = Content(plan, "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf");
        var lines = dropIn.Split('\n');
        Assert.Contains("Environment=\"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"", lines);
        Assert.Contains("Environment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"", lines);
        Assert.Contains("EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env", lines);
        Assert.Contains("EnvironmentFile=-/etc/default/kubelet", lines);
        int clear = Array.IndexOf(lines, "ExecStart=");
        Assert.True(clear >= 0);
        Assert.Equal("ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS", lines[clear + 1]);
        Assert.Contains("ExecStart=/usr/bin/kubelet", Content(plan, "/etc/systemd/system/kubelet.service"));
        Assert.Contains("EnvironmentFile=-/etc/sysconfig/kubelet", KubePackages.KubeadmDropInConf(PackageManagerKind.Dnf));
        Assert.Contains("https://mirror.example.com/k8s/v1.22.17/bin/linux/amd64/kubelet", plan.Step(PreparationSteps.PackagesBinaries).Script);
    }

    [Fact]
    public void Local_binaries_are_pushed_to_usr_bin_executable()
    {
        var bins = new Dictionary<string, byte[]> { ["kubeadm"] = [1], ["kubelet"] = [2], ["kubectl"] = [3] };
        var plan = KubePackages.Render(ProbeOutput.Healthy().Facts(), Version("1.20.15") with { Binaries = bins });
        Assert.Equal(["/usr/bin/kubelet", "/usr/bin/kubeadm", "/usr/bin/kubectl"], plan.Step(PreparationSteps.PackagesBinaries).Files.Select(f => f.Path));
        Assert.All(plan.Step(PreparationSteps.PackagesBinaries).Files, f => Assert.Equal("0755", f.ModeText));
    }

    [Theory]
    [InlineData("1.30.4", "^1\\.30\\.4-")]
    [InlineData("1.30", "^1\\.30\\.[0-9]+-")]
    public void Version_patterns_pin_a_release_or_take_the_newest_of_a_minor(string version, string pattern) =>
        Assert.Equal(pattern, KubePackages.VersionPattern(KubeVersion.Parse(version)));

    [Fact]
    public void Conflicting_sources_and_wrong_package_formats_fail_early()
    {
        var e = Assert.Throws<KubeException>(() => KubePackages.Render(ProbeOutput.Healthy().Facts(),
            Version("1.30.4") with { Repository = KubePackageRepository.Aliyun, BinaryBaseUrl = "https://dl.k8s.io/release" }));
        Assert.Equal("Packages.ConflictingSources", e.ErrorId);
        var f = Assert.Throws<KubeException>(() => KubePackages.Render(ProbeOutput.Healthy().Facts(),
            Version("1.30.4") with { PackageFiles = [new LocalPackageFile("kubelet-1.30.4.rpm", [1])] }));
        Assert.Equal("Packages.WrongFormat", f.ErrorId);
    }

    [Fact]
    public void Every_rendered_package_script_parses_with_bash()
    {
        foreach (var pm in new[] { "apt", "dnf", "yum" })
            foreach (var options in new[]
                     {
                         Version("1.30.4"), Version("1.30"), Version("1.23.17") with { Repository = KubePackageRepository.AliyunLegacy },
                         Version("1.23.17") with { BinaryBaseUrl = "https://dl.k8s.io/release" },
                         Version("1.30.4") with { PackageFiles = [new LocalPackageFile(pm == "apt" ? "a.deb" : "a.rpm", [1])] },
                     })
            {
                var plan = KubePackages.Render(ProbeOutput.Healthy().Set("pkg.manager", pm).Facts(), options);
                ToolJudge.AssertBashParses(plan.RenderScript(plan.Steps, [KubePackages.AptList]));
            }
    }

    static Dictionary<string, string> AptRepoShims()
    {
        var shims = PrepNode.DefaultShims();
        shims["apt-cache"] = """
            if [ "${1:-}" = madison ]; then
              for v in 1.30.5-1.1 1.30.4-1.1 1.30.3-1.1; do printf '   %s | %s | https://pkgs.k8s.io/core:/stable:/v1.30/deb  Packages\n' "$2" "$v"; done
            fi
            """;
        shims["dpkg-query"] = """
            p=${@: -1}
            [ -f "/var/lib/kubeps-fake-dpkg/$p" ] || exit 1
            case " $* " in *" -f"*) printf 'install ok installed|%s' "$(cat "/var/lib/kubeps-fake-dpkg/$p")" ;; esac
            """;
        shims["apt-get"] = """
            if [ "${1:-}" = install ]; then
              mkdir -p /var/lib/kubeps-fake-dpkg
              for a in "$@"; do case "$a" in -*) ;; *=*) printf '%s' "${a#*=}" > "/var/lib/kubeps-fake-dpkg/${a%%=*}" ;; esac; done
            fi
            """;
        shims["apt-mark"] = """
            touch /var/lib/kubeps-fake-holds
            case "${1:-}" in showhold) cat /var/lib/kubeps-fake-holds ;; hold) echo "$2" >> /var/lib/kubeps-fake-holds ;; esac
            """;
        // No network in tests: "download" an armored key, and "dearmor" it by copying.
        shims["curl"] = """
            out=; url=
            while [ $# -gt 0 ]; do case "$1" in -o) out=$2; shift 2 ;; -*) shift ;; *) url=$1; shift ;; esac; done
            echo "$url" >> /var/log/kubeps-fetched.log
            printf -- '-----BEGIN PGP PUBLIC KEY BLOCK-----\nfake\n-----END PGP PUBLIC KEY BLOCK-----\n' > "$out"
            """;
        shims["gpg"] = """
            out=; while [ $# -gt 1 ]; do case "$1" in -o) out=$2; shift 2 ;; *) shift ;; esac; done
            cp "$1" "$out"
            """;
        return shims;
    }

    [Fact]
    public async Task The_install_pins_the_exact_revision_apt_cache_madison_lists_holds_it_and_a_second_run_changes_nothing()
    {
        await using var node = await PrepNode.StartAsync("pkg1", "", AptRepoShims());
        var transport = node.Transport();
        var facts = await NodeProbe.GatherAsync(transport, null, default);
        var first = await NodePlanApplier.ApplyAsync(transport, KubePackages.Render(facts, Version("1.30.4")), new CapturingSink(), default);

        string log = await PrepNode.Sh(node, "cat /var/log/kubeps-shims.log");
        Assert.True(first.All(r => r.Status == PreparationStatus.Changed), string.Join("\n", first) + "\n" + log);
        Assert.Contains("apt-get install -y --allow-downgrades --allow-change-held-packages -o Dpkg::Options::=--force-confold kubelet=1.30.4-1.1 kubeadm=1.30.4-1.1 kubectl=1.30.4-1.1", log);
        Assert.Equal("kubelet\nkubeadm\nkubectl\n", await PrepNode.Sh(node, "cat /var/lib/kubeps-fake-holds"));
        Assert.Contains("systemctl enable kubelet.service", log);
        Assert.Equal("https://pkgs.k8s.io/core:/stable:/v1.30/deb/Release.key\n", await PrepNode.Sh(node, "cat /var/log/kubeps-fetched.log"));
        Assert.Contains("pkgs.k8s.io/core:/stable:/v1.30/deb/ /", await PrepNode.Sh(node, "cat /etc/apt/sources.list.d/kubernetes.list"));
        Assert.True(await PrepNode.Sh(node, "test -s /etc/apt/keyrings/kubernetes-apt-keyring.gpg && echo yes") == "yes\n");
        Assert.All(first, r => Assert.Equal(PreparationStatus.Changed, r.Status));
        Assert.False(File.Exists("/etc/apt/sources.list.d/kubernetes.list"));

        var second = await NodePlanApplier.ApplyAsync(transport, KubePackages.Render(facts, Version("1.30.4")), new CapturingSink(), default);
        Assert.All(second, r => Assert.True(r.Status == PreparationStatus.Unchanged, $"{r.Step}: {string.Join("; ", r.Changes)}"));
    }

    [Fact]
    public async Task A_minor_installs_the_newest_revision_of_it()
    {
        await using var node = await PrepNode.StartAsync("pkg2", "", AptRepoShims());
        var transport = node.Transport();
        var facts = await NodeProbe.GatherAsync(transport, null, default);
        await NodePlanApplier.ApplyAsync(transport, KubePackages.Render(facts, Version("1.30") with { Steps = [PreparationSteps.PackagesInstall] }), new CapturingSink(), default);
        Assert.Contains("kubelet=1.30.5-1.1 kubeadm=1.30.5-1.1 kubectl=1.30.5-1.1", await PrepNode.Sh(node, "cat /var/log/kubeps-shims.log"));
    }

    [Fact]
    public async Task A_version_the_repository_lacks_fails_with_a_clear_message()
    {
        await using var node = await PrepNode.StartAsync("pkg3", "", AptRepoShims());
        var transport = node.Transport();
        var facts = await NodeProbe.GatherAsync(transport, null, default);
        var e = await Assert.ThrowsAsync<KubeException>(() => NodePlanApplier.ApplyAsync(transport,
            KubePackages.Render(facts, Version("1.30.9") with { Steps = [PreparationSteps.PackagesInstall] }), new CapturingSink(), default));
        Assert.Contains("no kubelet version matching ^1\\.30\\.9-", e.Message);
    }

    [Fact]
    public async Task On_dnf_the_install_pins_the_revision_dnf_lists()
    {
        var shims = PrepNode.DefaultShims();
        shims["dnf"] = """
            case "${1:-}" in
              list) p=${@: -1}; printf 'Available Packages\n'; for v in 1.30.3-150500.1.1 1.30.4-150500.1.1; do printf '%s.x86_64    %s    kubernetes\n' "$p" "$v"; done ;;
              install) mkdir -p /var/lib/kubeps-fake-rpm; for a in "$@"; do case "$a" in kube*-1.*) n=${a%%-1.*}; printf '%s' "${a#"$n"-}" > "/var/lib/kubeps-fake-rpm/$n" ;; esac; done ;;
            esac
            """;
        shims["rpm"] = """
            p=${@: -1}
            if [ -f "/var/lib/kubeps-fake-rpm/$p" ]; then cat "/var/lib/kubeps-fake-rpm/$p"; else echo "package $p is not installed"; exit 1; fi
            """;
        await using var node = await PrepNode.StartAsync("pkg4", "", shims);
        var transport = node.Transport();
        var facts = ProbeOutput.Healthy("pkg4").Set("pkg.manager", "dnf").Facts("pkg4");
        var plan = KubePackages.Render(facts, Version("1.30.4"));
        await NodePlanApplier.ApplyAsync(transport, plan, new CapturingSink(), default);
        Assert.Contains("dnf install -y --disableexcludes=kubernetes kubelet-1.30.4-150500.1.1 kubeadm-1.30.4-150500.1.1 kubectl-1.30.4-150500.1.1",
            await PrepNode.Sh(node, "cat /var/log/kubeps-shims.log"));
        var second = await NodePlanApplier.ApplyAsync(transport, plan, new CapturingSink(), default);
        Assert.Equal(PreparationStatus.Unchanged, second.Single(r => r.Step == PreparationSteps.PackagesInstall).Status);
    }

    [Fact]
    public async Task An_air_gapped_deb_is_pushed_and_installed_by_dpkg_inside_the_node_only()
    {
        string dir = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            // A tiny package 'kubelet' 1.30.4-1.1 that installs a fake kubelet printing its version.
            Directory.CreateDirectory(Path.Combine(dir, "pkg/DEBIAN"));
            Directory.CreateDirectory(Path.Combine(dir, "pkg/usr/local/bin"));
            File.WriteAllText(Path.Combine(dir, "pkg/DEBIAN/control"),
                "Package: kubelet\nVersion: 1.30.4-1.1\nArchitecture: all\nMaintainer: KubePS tests <tests@kubeps.invalid>\nDescription: fake kubelet for the KubePS air-gapped install test\n");
            string bin = Path.Combine(dir, "pkg/usr/local/bin/kubelet");
            File.WriteAllText(bin, "#!/bin/sh\necho 'Kubernetes v1.30.4'\n");
            ToolJudge.Run("chmod", ["755", bin]);
            string deb = Path.Combine(dir, "kubelet_1.30.4-1.1_all.deb");
            var (exit, _, err) = ToolJudge.Run("dpkg-deb", ["--root-owner-group", "--build", Path.Combine(dir, "pkg"), deb]);
            Assert.True(exit == 0, err);

            var shims = PrepNode.DefaultShims();
            shims.Remove("apt-get");
            await using var node = await PrepNode.StartAsync("gap1", "", shims);
            var transport = node.Transport();
            var facts = await NodeProbe.GatherAsync(transport, null, default);
            Assert.Null(facts.KubeletVersionText);
            var options = Version("1.30.4") with { PackageFiles = [new LocalPackageFile("kubelet_1.30.4-1.1_all.deb", File.ReadAllBytes(deb))], Packages = ["kubelet"] };
            var first = await NodePlanApplier.ApplyAsync(transport, KubePackages.Render(facts, options), new CapturingSink(), default);
            Assert.Contains("installed kubelet 1.30.4-1.1 from kubelet_1.30.4-1.1_all.deb", first.Single(r => r.Step == PreparationSteps.PackagesInstall).Changes);
            Assert.Contains("apt-mark hold kubelet", first.Single(r => r.Step == PreparationSteps.PackagesHold).Changes);

            // dpkg in the node knows the package, the node's probe sees the kubelet, the host has neither.
            Assert.Equal("installed 1.30.4-1.1", await PrepNode.Sh(node, "dpkg-query -W -f='${db:Status-Status} ${Version}' kubelet"));
            Assert.Equal("hold", await PrepNode.Sh(node, "dpkg-query -W -f='${db:Status-Want}' kubelet"));
            Assert.Equal("v1.30.4", (await NodeProbe.GatherAsync(transport, null, default)).KubeletVersionText);
            Assert.False(File.Exists("/usr/local/bin/kubelet"));
            Assert.NotEqual(0, ToolJudge.Run("dpkg-query", ["-W", "kubelet"]).Exit);

            var second = await NodePlanApplier.ApplyAsync(transport, KubePackages.Render(facts, options), new CapturingSink(), default);
            Assert.All(second, r => Assert.True(r.Status == PreparationStatus.Unchanged, $"{r.Step}: {string.Join("; ", r.Changes)}"));
        }
        finally { Directory.Delete(dir, true); }
    }
}
