using KubePS.Core;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.Versioning;

/// <summary>kubeadm's upgrade and skew rules (kubeadm-facts.md §8.1, kubeadm-versions.md §2).</summary>
public class SkewPolicyTests
{
    static KubeVersion V(string s) => KubeVersion.Parse(s);

    static KubeException Only(IReadOnlyList<KubeException> errors, string id)
    {
        Assert.True(errors.Count == 1, string.Join(" | ", errors.Select(e => $"{e.ErrorId}: {e.Message}")));
        Assert.Equal(id, errors[0].ErrorId);
        return errors[0];
    }

    [Fact]
    public void Upgrading_1_18_to_1_20_is_refused_as_a_skipped_minor()
    {
        var e = Only(SkewPolicy.CheckUpgrade(V("1.18.5"), V("1.20.15")), "Version.SkipsMinor");
        Assert.Contains("v1.18.5", e.Message);
        Assert.Contains("v1.20.15", e.Message);
        Assert.Contains("v1.19", e.Message);         // the skipped minor
        Assert.Contains("v1.19.16", e.Message);      // a valid target
    }

    [Fact]
    public void Going_from_1_19_to_1_18_is_refused_as_a_downgrade()
    {
        var e = Only(SkewPolicy.CheckUpgrade(V("1.19.3"), V("1.18.20")), "Version.Downgrade");
        Assert.Contains("v1.19.3", e.Message);
        Assert.Contains("v1.18.20", e.Message);
        Assert.Contains("v1.19.16", e.Message);
    }

    [Theory]
    [InlineData("1.18.5", "1.19.5")]
    [InlineData("1.18.5", "1.18.20")]
    [InlineData("1.30.2", "1.30.14")]
    [InlineData("1.30.14", "1.31.0")]
    [InlineData("1.30.14", "1.30.14")]
    [InlineData("1.30.14", "1.30.2")]   // patch changes within a minor go both ways
    [InlineData("1.17.17", "1.18.20")]  // the current cluster need not be in the catalog
    public void One_minor_up_and_patch_changes_are_allowed(string from, string to)
    {
        Assert.Empty(SkewPolicy.CheckUpgrade(V(from), V(to)));
        Assert.Equal(VersionCatalog.Resolve(V(to)), SkewPolicy.EnsureUpgrade(V(from), V(to)));
    }

    [Fact]
    public void A_minor_target_resolves_to_its_newest_patch() =>
        Assert.Equal(V("1.19.16"), SkewPolicy.EnsureUpgrade(V("1.18.5"), V("1.19")));

    [Fact]
    public void A_target_outside_the_catalog_is_unsupported()
    {
        var e = Assert.Single(SkewPolicy.CheckUpgrade(V("1.37.1"), V("1.38.0")));
        Assert.Equal("Version.Unsupported", e.ErrorId);
        Assert.Contains("v1.38.0", e.Message);
        Assert.Contains("v1.37", e.Message);
    }

    [Fact]
    public void Several_violations_are_thrown_together()
    {
        var ex = Assert.Throws<KubeAggregateException>(() =>
            SkewPolicy.EnsureUpgrade(V("1.18.5"), V("1.20.1"), [V("1.17.3"), V("1.21.0")]));
        Assert.Equal(["Version.SkipsMinor", "Version.KubeletTooOld", "Version.KubeletNewerThanApiServer"], ex.Errors.Select(e => e.ErrorId));
    }

    [Theory]   // upstream skew: n-2 up to 1.27, n-3 from 1.28
    [InlineData("1.27.3", "1.25.0", null)]
    [InlineData("1.27.3", "1.24.9", "Version.KubeletTooOld")]
    [InlineData("1.28.1", "1.25.0", null)]
    [InlineData("1.31.2", "1.28.15", null)]
    [InlineData("1.31.2", "1.27.16", "Version.KubeletTooOld")]
    [InlineData("1.30.2", "1.31.0", "Version.KubeletNewerThanApiServer")]
    [InlineData("1.30.2", "1.30.5", "Version.KubeletNewerThanApiServer")]
    [InlineData("1.30.5", "1.30.5", null)]
    public void Kubelets_are_at_most_KubeletSkew_older_and_never_newer(string apiServer, string kubelet, string? error)
    {
        var errors = SkewPolicy.CheckKubelet(V(apiServer), V(kubelet));
        if (error is null) { Assert.Empty(errors); return; }
        var e = Only(errors, error);
        Assert.Contains($"v{kubelet}", e.Message);
        Assert.Contains($"v{apiServer}", e.Message);
    }

    [Fact]
    public void An_upgrade_checks_the_kubelets_against_the_target()
    {
        // 1.28 kubelets are fine under a 1.30 API server, too old under 1.32 (n-3 = 1.29).
        Assert.Empty(SkewPolicy.CheckUpgrade(V("1.29.4"), V("1.30.14"), [V("1.28.15")]));
        var e = Only(SkewPolicy.CheckUpgrade(V("1.31.4"), V("1.32.13"), [V("1.28.15")]), "Version.KubeletTooOld");
        Assert.Contains("v1.29", e.Message);
    }

    [Theory]
    [InlineData("1.31.0", "1.31.2", null)]
    [InlineData("1.31.0", "1.30.14", null)]
    [InlineData("1.31.0", "1.29.9", "Version.ControlPlaneTooOld")]
    [InlineData("1.31.0", "1.32.0", "Version.ControlPlaneNewerThanKubeadm")]
    public void Kubeadm_deploys_its_own_minor_or_the_one_before(string kubeadm, string controlPlane, string? error)
    {
        var errors = SkewPolicy.CheckControlPlane(V(kubeadm), V(controlPlane));
        if (error is null) Assert.Empty(errors);
        else Assert.Contains($"v{controlPlane}", Only(errors, error).Message);
    }

    [Theory]
    [InlineData("1.30.2", "1.29.8", null)]
    [InlineData("1.30.2", "1.28.8", "Version.ControlPlaneSkew")]
    [InlineData("1.30.2", "1.31.0", "Version.ControlPlaneSkew")]
    public void Controller_manager_may_lag_the_api_server_by_one_minor(string apiServer, string component, string? error)
    {
        var errors = SkewPolicy.CheckControlPlaneSkew(V(apiServer), V(component), "kube-controller-manager");
        if (error is null) Assert.Empty(errors);
        else Assert.Contains("kube-controller-manager", Only(errors, error).Message);
    }

    [Fact]
    public void Upgrade_targets_are_the_newest_patches_of_this_and_the_next_minor() =>
        Assert.Equal([V("1.30.14"), V("1.31.14")], SkewPolicy.UpgradeTargets(V("1.30.2")));
}
