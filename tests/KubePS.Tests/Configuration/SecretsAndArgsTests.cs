using KubePS.Core.Bootstrap;
using KubePS.Core;
using KubePS.Core.Configuration;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.Configuration;

public class SecretsTests
{
    const string Secret = "0123456789abcdef";

    [Fact]
    public void A_token_shows_only_its_id()
    {
        var t = BootstrapTokenString.Parse($"abcdef.{Secret}");
        Assert.Equal("abcdef", t.Id);
        Assert.Equal("abcdef.<redacted>", t.ToString());
        Assert.Equal($"abcdef.{Secret}", t.Reveal());
        Assert.Equal(Secret, t.Secret);
    }

    [Theory]
    [InlineData("abcdef.9876543210zyxwvU", "abcdef", "9876543210zyxwvU")]     // upper case in the secret
    [InlineData("abcdef.9876543210zyx", "abcdef", "9876543210zyx")]           // short secret
    [InlineData("ABCDEF.9876543210zyxwvu", "23 characters", "9876543210zyxwvu")] // bad id: only the length is shown
    [InlineData("abcdef9876543210zyxwvu", "22 characters", "9876543210zyxwvu")]   // no dot
    public void A_malformed_token_names_the_id_or_the_length_never_the_secret(string token, string shown, string secret)
    {
        var e = Assert.Throws<KubeException>(() => BootstrapTokenString.Parse(token));
        Assert.Equal("Config.InvalidToken", e.ErrorId);
        Assert.Contains(shown, e.Message);
        Assert.DoesNotContain(secret, e.Message);
        Assert.DoesNotContain(secret, e.RecommendedAction);
        Assert.DoesNotContain(secret, e.Target?.ToString() ?? "");
    }

    [Fact]
    public void A_malformed_token_in_a_file_is_reported_with_its_line_but_not_its_secret()
    {
        var e = Assert.Throws<KubeException>(() => KubeClusterConfiguration.Parse(
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nbootstrapTokens:\n- token: abcdef.0123456789ABCDEF\n"));
        Assert.Equal("Config.InvalidToken", e.ErrorId);
        Assert.Contains("line 4", e.Message);
        Assert.Contains("abcdef", e.Message);
        Assert.DoesNotContain("0123456789ABCDEF", e.Message);
        Assert.DoesNotContain("0123456789ABCDEF", e.Target?.ToString() ?? "");
    }

    [Fact]
    public void Generated_tokens_have_kubeadms_form()
    {
        var a = BootstrapTokenString.Generate();
        Assert.Matches(@"^[a-z0-9]{6}\.[a-z0-9]{16}$", a.Reveal());
        Assert.NotEqual(a.Reveal(), BootstrapTokenString.Generate().Reveal());
    }

    [Fact]
    public void The_certificate_key_never_shows()
    {
        string hex = new string('a', 32) + new string('0', 32);
        var k = CertificateKey.Parse(hex);
        Assert.Equal("<redacted>", k.ToString());
        Assert.Equal(hex, k.Reveal());
        var cfg = KubeClusterConfiguration.Parse($"apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\ncertificateKey: {hex}\n");
        Assert.DoesNotContain(hex, cfg.ToString());
        Assert.True(cfg.ContainsSecrets);

        var e = Assert.Throws<KubeException>(() => KubeClusterConfiguration.Parse($"apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\ncertificateKey: {hex[..40]}\n"));
        Assert.Equal("Config.InvalidCertificateKey", e.ErrorId);
        Assert.Contains("40 hex characters", e.Message);
        Assert.DoesNotContain(hex[..40], e.Message);
    }
}

/// <summary>The extraArgs merge rules of kubeadm-facts.md §3.8.</summary>
public class ExtraArgsTests
{
    static readonly KubeArg[] Defaults =
    [
        new("authorization-mode", "Node,RBAC"), new("secure-port", "6443"), new("enable-admission-plugins", "NodeRestriction"),
    ];

    [Fact]
    public void Up_to_1_30_overrides_replace_defaults_in_one_sorted_map()
    {
        var merged = ExtraArgs.MergeMap(Defaults, [new("secure-port", "8443"), new("audit-log-path", "/a"), new("audit-log-path", "/b")]);
        Assert.Equal(["--audit-log-path=/b", "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction", "--secure-port=8443"],
            ExtraArgs.ToCommandLine(merged));
    }

    [Fact]
    public void From_1_31_an_override_removes_every_default_of_its_name_and_repeats_stay()
    {
        var defaults = Defaults.Append(new KubeArg("service-account-issuer", "https://kubernetes.default.svc.cluster.local"));
        var merged = ExtraArgs.MergeList(defaults,
            [new("service-account-issuer", "https://z.example"), new("service-account-issuer", "https://a.example"), new("secure-port", "8443")]);
        Assert.Equal(["--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction", "--secure-port=8443",
                      "--service-account-issuer=https://a.example", "--service-account-issuer=https://z.example"],
            ExtraArgs.ToCommandLine(merged));
    }

    [Fact]
    public void The_rule_follows_the_kubeadm_release_not_the_file_format()
    {
        KubeArg[] overrides = [new("v", "2"), new("v", "4")];
        Assert.Single(ExtraArgs.Merge([], overrides, VersionCatalog.Get(KubeVersion.Parse("1.30"))));
        Assert.Equal(2, ExtraArgs.Merge([], overrides, VersionCatalog.Get(KubeVersion.Parse("1.31"))).Count);
        Assert.Equal("4", ExtraArgs.Get(overrides, "v"));
    }

    [Fact]
    public void V1beta3_maps_become_argument_lists_sorted_by_name_as_kubeadm_converts_them()
    {
        var cfg = KubeClusterConfiguration.Parse("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nscheduler:\n  extraArgs:\n    v: \"4\"\n    bind-address: 0.0.0.0\n");
        Assert.Equal([new KubeArg("bind-address", "0.0.0.0"), new KubeArg("v", "4")], cfg.Cluster.Scheduler!.ExtraArgs);
    }
}

public class GoDurationTests
{
    [Theory]
    [InlineData("4m0s", 240)]
    [InlineData("24h", 86400)]
    [InlineData("1h30m", 5400)]
    [InlineData("1.5h", 5400)]
    [InlineData("300ms", 0.3)]
    [InlineData("0", 0)]
    [InlineData("87600h0m0s", 315360000)]
    public void Go_durations_parse(string text, double seconds)
    {
        Assert.True(GoDuration.TryParse(text, out var d));
        Assert.Equal(TimeSpan.FromSeconds(seconds), d);
    }

    [Theory]
    [InlineData("1d")]
    [InlineData("4 minutes")]
    [InlineData("m")]
    [InlineData("")]
    [InlineData("10")]
    public void Other_text_does_not(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Theory]
    [InlineData(240, "4m0s")]
    [InlineData(315360000, "87600h0m0s")]
    [InlineData(90, "1m30s")]
    [InlineData(5, "5s")]
    public void Formatting_matches_go(double seconds, string text) => Assert.Equal(text, GoDuration.Format(TimeSpan.FromSeconds(seconds)));
}
