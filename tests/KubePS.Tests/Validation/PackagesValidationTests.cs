using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Preparation;
using KubePS.Tests.Infrastructure;
using KubePS.Tests.Preflight.Support;
using Xunit;

namespace KubePS.Tests.Validation;

/// <summary>Install-KubePackage refuses bad package names, files, URLs and binaries before any node is touched.</summary>
public sealed class PackagesValidationTests
{
    static readonly byte[] Elf = [0x7f, (byte)'E', (byte)'L', (byte)'F'];

    static async Task<(KubeException Error, int Calls)> Refused(KubePackageOptions o)
    {
        var (a, na) = UntouchedNode.Session("n1");
        var (b, nb) = UntouchedNode.Session("n2");
        var sink = new CapturingSink();
        var e = await Assert.ThrowsAnyAsync<KubeException>(() => FleetPreparation.InstallPackagesAsync([a, b], o, sink));
        Assert.Empty(sink.Questions);
        return (e, na.Calls + nb.Calls);
    }

    [Theory]
    [InlineData("Kubelet")]
    [InlineData("kubelet;reboot")]
    [InlineData("-y")]
    [InlineData("kube let")]
    [InlineData("")]
    public async Task A_package_name_a_package_manager_would_not_take_is_refused_before_any_node_is_touched(string name)
    {
        var (e, calls) = await Refused(new KubePackageOptions { Packages = ["kubeadm", name] });
        Refusal.Names(e, "Packages.InvalidName", name, "kubelet");
        Assert.Equal($"'{name}' is not a package name.", e.Message);
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("kubelet.tar.gz")]
    [InlineData("../kubelet.deb")]
    [InlineData("kubelet deb.deb")]
    [InlineData(".deb")]
    public async Task A_package_file_that_is_not_a_deb_or_rpm_name_is_refused_before_any_node_is_touched(string file)
    {
        var (e, calls) = await Refused(new KubePackageOptions { PackageFiles = [new LocalPackageFile("kubeadm_1.32.0_amd64.deb", Elf), new LocalPackageFile(file, Elf)] });
        Refusal.Names(e, "Packages.InvalidFile", file, ".deb", ".rpm");
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("dl.k8s.io/release")]
    [InlineData("ftp://dl.k8s.io/release")]
    [InlineData("file:///srv/release")]
    public async Task A_binary_base_that_is_not_an_http_url_is_refused_before_any_node_is_touched(string url)
    {
        var (e, calls) = await Refused(new KubePackageOptions { BinaryBaseUrl = url });
        Refusal.Names(e, "Preparation.InvalidUrl", url, KubePackages.DefaultBinaryBaseUrl);
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("pkgs.k8s.io")]
    [InlineData("s3://bucket/kubernetes")]
    public async Task A_repository_base_that_is_not_an_http_url_is_refused_before_any_node_is_touched(string url)
    {
        var (e, calls) = await Refused(new KubePackageOptions { Repository = new KubePackageRepository(url, PackageRepositoryLayout.Mirror) });
        Refusal.Names(e, "Preparation.InvalidUrl", url, "https://pkgs.k8s.io");
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("kubeproxy")]
    [InlineData("kubectl.exe")]
    [InlineData("crictl")]
    public async Task A_binary_other_than_kubeadm_kubelet_kubectl_is_refused_before_any_node_is_touched(string name)
    {
        var bins = new Dictionary<string, byte[]> { ["kubeadm"] = Elf, ["kubelet"] = Elf, ["kubectl"] = Elf, [name] = Elf };
        var (e, calls) = await Refused(new KubePackageOptions { Binaries = bins });
        Refusal.Names(e, "Packages.InvalidBinary", name, "kubeadm", "kubelet", "kubectl");
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData("kubectl")]
    [InlineData("kubelet")]
    public async Task A_binary_folder_lacking_a_wanted_binary_is_refused_before_any_node_is_touched(string lacking)
    {
        // Found by this test: the missing binary was only noticed while rendering each node's plan, after its probe.
        var bins = new[] { "kubeadm", "kubelet", "kubectl" }.Where(n => n != lacking).ToDictionary(n => n, _ => Elf);
        var (e, calls) = await Refused(new KubePackageOptions { Binaries = bins });
        Refusal.Names(e, "Packages.MissingBinary", lacking, "kubelet, kubeadm, kubectl");
        Assert.Equal(0, calls);
    }

    [Fact]
    public void A_binary_folder_holding_only_the_wanted_binaries_is_accepted()
    {
        // The binaries asked for are enough: a folder with kubeadm alone installs kubeadm alone.
        KubePackages.Validate(new KubePackageOptions { Binaries = new Dictionary<string, byte[]> { ["kubeadm"] = Elf }, Packages = ["kubeadm"] });
    }

    [Theory]
    [InlineData("apt", "kubelet_1.32.0-1.1_amd64.rpm", ".deb")]
    [InlineData("dnf", "kubelet_1.32.0-1.1_amd64.deb", ".rpm")]
    public void A_node_whose_package_manager_matches_none_of_the_files_is_refused_naming_the_files_and_the_kind_it_needs(string pm, string file, string needed)
    {
        var facts = ProbeOutput.Healthy().Set("pkg.manager", pm).Facts("w7");
        var o = new KubePackageOptions { PackageFiles = [new LocalPackageFile(file, Elf)] };
        var e = Assert.Throws<KubeException>(() => KubePackages.OptionsForNode(o, facts));
        Refusal.Names(e, "Packages.NoMatchingFiles", "w7", needed, "-PackagePath");
        Assert.Contains(file, e.Message);
    }
}
