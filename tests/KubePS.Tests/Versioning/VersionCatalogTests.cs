using KubePS.Core.Configuration;
using KubePS.Core.Versioning;
using KubePS.Tests.Configuration;
using Xunit;

namespace KubePS.Tests.Versioning;

/// <summary>The catalog against kubeadm-versions.md and the real kubeadm trees in shared/kubeadm-reference.</summary>
public class VersionCatalogTests
{
    [Fact]
    public void Every_minor_from_1_18_to_1_37_is_in_the_catalog()
    {
        for (int minor = 18; minor <= 37; minor++)
            Assert.True(VersionCatalog.TryGet(KubeVersion.Create(1, minor), out var row), $"1.{minor} missing");
        Assert.Equal(KubeVersion.Create(1, 18), VersionCatalog.Oldest);
        Assert.True(VersionCatalog.NewestRelease >= KubeVersion.Create(1, 37, 1));
    }

    static string Image(string version, string component, string? repo = null) =>
        KubeImages.List(KubeVersion.Parse(version), repo).Single(i => i.Component == component).Reference;

    /// <summary>The image lines of the static pod manifests real kubeadm wrote.</summary>
    static IEnumerable<string> ManifestImages(string tree) =>
        Directory.GetFiles(Path.Combine(ConfigTestSupport.Reference, tree, "manifests"), "*.yaml")
            .SelectMany(File.ReadLines).Where(l => l.TrimStart().StartsWith("image:", StringComparison.Ordinal))
            .Select(l => l.Trim()["image:".Length..].Trim());

    [Theory]
    [InlineData("v1.18.2", "1.18.2")]
    [InlineData("v1.30.14", "1.30.14")]
    public void Control_plane_images_match_what_real_kubeadm_deployed(string tree, string version)
    {
        var ours = KubeImages.List(KubeVersion.Parse(version)).Select(i => i.Reference).ToHashSet();
        var theirs = ManifestImages(tree).ToList();
        Assert.Equal(4, theirs.Count);
        foreach (var image in theirs) Assert.Contains(image, ours);
    }

    [Fact]
    public void Etcd_of_1_18_2_and_1_30_14_is_what_the_real_trees_run()
    {
        Assert.Equal("k8s.gcr.io/etcd:3.4.3-0", Image("1.18.2", "etcd"));
        Assert.Equal("registry.k8s.io/etcd:3.5.15-0", Image("1.30.14", "etcd"));
    }

    [Theory]
    [InlineData("1.20.15", "k8s.gcr.io/coredns:1.7.0")]
    [InlineData("1.21.14", "k8s.gcr.io/coredns/coredns:v1.8.0")]
    [InlineData("1.30.14", "registry.k8s.io/coredns/coredns:v1.11.3")]
    [InlineData("1.30.4", "registry.k8s.io/coredns/coredns:v1.11.1")]
    public void CoreDns_gets_the_extra_path_on_the_default_repository_from_1_21(string version, string expected) =>
        Assert.Equal(expected, Image(version, "coredns"));

    [Theory]
    [InlineData("1.20.15", "registry.aliyuncs.com/google_containers/coredns:1.7.0")]
    [InlineData("1.30.14", "registry.aliyuncs.com/google_containers/coredns:v1.11.3")]
    public void CoreDns_on_a_mirror_has_no_extra_path(string version, string expected) =>
        Assert.Equal(expected, Image(version, "coredns", "registry.aliyuncs.com/google_containers"));

    [Theory]
    [InlineData("1.22.16", "k8s.gcr.io")]
    [InlineData("1.22.17", "registry.k8s.io")]
    [InlineData("1.23.14", "k8s.gcr.io")]
    [InlineData("1.23.15", "registry.k8s.io")]
    [InlineData("1.24.8", "k8s.gcr.io")]
    [InlineData("1.24.9", "registry.k8s.io")]
    [InlineData("1.25.0", "registry.k8s.io")]
    [InlineData("1.18.2", "k8s.gcr.io")]
    public void Default_registry_switches_in_the_December_2022_patches(string version, string repo)
    {
        Assert.Equal(repo, KubeadmDefaults.ImageRepository(KubeVersion.Parse(version)));
        Assert.StartsWith(repo + "/kube-apiserver:v" + version, Image(version, "kube-apiserver"));
    }

    [Theory]   // kubeadm-versions.md §1, per-patch values (confirmed against minikube's recorded kubeadm output)
    [InlineData("1.19.0", "3.4.9-1")]
    [InlineData("1.19.1", "3.4.13-0")]
    [InlineData("1.23.14", "3.5.5-0")]
    [InlineData("1.23.15", "3.5.6-0")]
    [InlineData("1.25.4", "3.5.5-0")]
    [InlineData("1.25.15", "3.5.9-0")]
    [InlineData("1.29.11", "3.5.16-0")]
    [InlineData("1.31.14", "3.5.24-0")]
    [InlineData("1.34.1", "3.6.4-0")]
    [InlineData("1.34.2", "3.6.5-0")]
    [InlineData("1.37.1", "3.7.0-0")]
    public void Etcd_tags_follow_the_patch(string version, string tag) =>
        Assert.Equal(tag, Image(version, "etcd").Split(':')[1]);

    [Theory]
    [InlineData("1.18", "3.2")]
    [InlineData("1.21", "3.4.1")]
    [InlineData("1.30", "3.9")]
    [InlineData("1.31", "3.10")]
    [InlineData("1.34", "3.10.1")]
    [InlineData("1.37", "3.10.2")]
    public void Pause_versions(string minor, string pause) =>
        Assert.Equal(pause, VersionCatalog.Get(KubeVersion.Parse(minor)).PauseVersion);

    [Theory]   // kubeadm-versions.md §2
    [InlineData("1.18", "v1beta2", "v1beta1,v1beta2")]
    [InlineData("1.22", "v1beta3", "v1beta2,v1beta3")]
    [InlineData("1.27", "v1beta3", "v1beta3")]
    [InlineData("1.31", "v1beta4", "v1beta3,v1beta4")]
    [InlineData("1.37", "v1beta4", "v1beta4")]
    public void Config_api_versions_per_minor(string minor, string preferred, string accepted)
    {
        var row = VersionCatalog.Get(KubeVersion.Parse(minor));
        Assert.Equal(preferred, row.DefaultConfigApiVersion);
        Assert.Equal(accepted.Split(','), row.ConfigApiVersions);
    }

    [Theory]
    [InlineData("1.20", "node-role.kubernetes.io/master:NoSchedule")]
    [InlineData("1.24", "node-role.kubernetes.io/master:NoSchedule,node-role.kubernetes.io/control-plane:NoSchedule")]
    [InlineData("1.25", "node-role.kubernetes.io/control-plane:NoSchedule")]
    public void Control_plane_taints_per_minor(string minor, string taints) =>
        Assert.Equal(taints.Split(','), VersionCatalog.Get(KubeVersion.Parse(minor)).ControlPlaneTaints);

    [Theory]   // kubeadm-versions.md §5
    [InlineData("1.18", "IPv6DualStack", "alpha")]
    [InlineData("1.23", "IPv6DualStack", "ga")]
    [InlineData("1.24", "IPv6DualStack", null)]
    [InlineData("1.29", "EtcdLearnerMode", "beta")]
    [InlineData("1.33", "EtcdLearnerMode", null)]
    [InlineData("1.31", "PublicKeysECDSA", "deprecated")]
    [InlineData("1.37", "PublicKeysECDSA", null)]
    public void Feature_gates_per_minor(string minor, string gate, string? stage)
    {
        var row = VersionCatalog.Get(KubeVersion.Parse(minor));
        Assert.Equal(stage, row.FeatureGates.TryGetValue(gate, out var s) ? s : null);
    }

    [Fact]
    public void Every_row_names_a_complete_image_set_for_every_patch()
    {
        foreach (var row in VersionCatalog.Releases)
            for (int patch = 0; patch <= row.NewestPatch; patch++)
            {
                var images = KubeImages.List(KubeVersion.Create(row.Minor.Major, row.Minor.Minor, patch));
                Assert.Equal(7, images.Count);
                Assert.All(images, i => Assert.Matches(@"^[a-z0-9.\-/]+:[A-Za-z0-9._\-]+$", i.Reference));
            }
    }
}
