using KubePS.Core;
using KubePS.Core.Configuration;
using Xunit;
using static KubePS.Tests.Configuration.ConfigTestSupport;

namespace KubePS.Tests.Configuration;

/// <summary>
/// Export then import loses nothing: the models are compared property by property, and the YAML texts are compared as
/// trees by an independent parser (PyYAML).
/// </summary>
public class RoundTripTests
{
    [Theory]
    [InlineData("kubeadm-config.yaml", "v1beta3")]
    [InlineData("kubeadm-config-v1beta4.yaml", "v1beta4")]
    public void Export_then_import_keeps_every_field(string file, string apiVersion)
    {
        var original = KubeadmConfigFile.Import(Example(file));
        var yaml = KubeadmConfigFile.ToYaml(original, apiVersion);
        var again = KubeClusterConfiguration.Parse(yaml).Validate();

        AssertSameModel(original, again);
        // The file as written by hand and the export are the same YAML trees (comments and key order aside).
        AssertSameTrees(PyYaml(File.ReadAllText(Example(file))), PyYaml(yaml));
        // And exporting again is stable.
        Assert.Equal(yaml, KubeadmConfigFile.ToYaml(again, apiVersion));
    }

    [Fact]
    public void The_default_export_version_is_the_target_versions()
    {
        var v1beta3 = KubeadmConfigFile.Import(Example("kubeadm-config.yaml"));
        Assert.StartsWith("apiVersion: kubeadm.k8s.io/v1beta3", KubeadmConfigFile.ToYaml(v1beta3).Split("\n").First(l => l.StartsWith("apiVersion")));
        var created = KubeClusterConfiguration.Create(new NewClusterConfigurationRequest { KubernetesVersion = "1.18" });
        Assert.Contains("apiVersion: kubeadm.k8s.io/v1beta2", KubeadmConfigFile.ToYaml(created));
    }

    [Fact]
    public void A_v1beta3_file_converts_to_v1beta4_and_back_for_a_version_that_reads_both()
    {
        var text = File.ReadAllText(Example("kubeadm-config.yaml")).Replace("kubernetesVersion: v1.30.14", "kubernetesVersion: v1.31.14");
        var original = KubeClusterConfiguration.Parse(text).Validate();

        var v4 = KubeadmConfigFile.ToYaml(original, "v1beta4");
        var tree4 = PyYaml(v4);
        var init4 = tree4.Single(d => d!["kind"]!.GetValue<string>() == "InitConfiguration")!;
        // v1beta4 has no apiServer.timeoutForControlPlane: it moved into InitConfiguration timeouts.
        Assert.Equal("4m0s", init4["timeouts"]!["controlPlaneComponentHealthCheck"]!.GetValue<string>());
        Assert.Equal("node-ip", init4["nodeRegistration"]!["kubeletExtraArgs"]![0]!["name"]!.GetValue<string>());

        var back = KubeadmConfigFile.ToYaml(KubeClusterConfiguration.Parse(v4).Validate(), "v1beta3");
        AssertSameTrees(PyYaml(text), PyYaml(back));
    }

    [Fact]
    public void A_value_older_versions_cannot_hold_is_refused_not_dropped()
    {
        var text = File.ReadAllText(Example("kubeadm-config-v1beta4.yaml")).Replace("kubernetesVersion: v1.32.13", "kubernetesVersion: v1.31.14");
        var cfg = KubeClusterConfiguration.Parse(text).Validate();
        var e = Assert.Throws<KubeException>(() => KubeadmConfigFile.ToYaml(cfg, "v1beta3"));
        Assert.Equal("Config.NotExpressible", e.ErrorId);
        Assert.Contains("v1beta4", e.Message);
    }

    [Fact]
    public void Repeated_flags_need_v1beta4()
    {
        var cfg = KubeClusterConfiguration.Parse("""
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            kubernetesVersion: v1.31.2
            apiServer:
              extraArgs:
                - name: service-account-issuer
                  value: https://a.example
                - name: service-account-issuer
                  value: https://b.example
            """).Validate();
        Assert.Equal(2, cfg.Cluster.ApiServer!.ExtraArgs!.Count);
        var e = Assert.Throws<KubeException>(() => cfg.ToYaml("v1beta3"));
        Assert.Equal("Config.NotExpressible", e.ErrorId);
        Assert.Contains("service-account-issuer", e.Message);
        AssertSameModel(cfg, KubeClusterConfiguration.Parse(cfg.ToYaml("v1beta4")));
    }

    [Fact]
    public void Ecdsa_keys_are_written_as_the_feature_gate_in_v1beta3()
    {
        var cfg = KubeClusterConfiguration.Create(new NewClusterConfigurationRequest { KubernetesVersion = "1.31.3", EncryptionAlgorithm = "ECDSA-P256" });
        var tree = PyYaml(cfg.ToYaml("v1beta3"));
        Assert.True(tree[0]!["featureGates"]!["PublicKeysECDSA"]!.GetValue<bool>());
        Assert.Equal("ECDSA-P256", KubeClusterConfiguration.Parse(cfg.ToYaml("v1beta3")).EncryptionAlgorithm);
    }

    [Fact]
    public void Strings_that_look_like_other_types_stay_strings()
    {
        var cfg = KubeClusterConfiguration.Parse("""
            apiVersion: kubeadm.k8s.io/v1beta3
            kind: ClusterConfiguration
            kubernetesVersion: "1.30.14"
            clusterName: "on"
            apiServer:
              extraArgs:
                enable-aggregator-routing: "true"
                audit-log-maxage: "30"
                empty: ""
                v: "4"
                colon: "a: b"
                hash: "#x"
                version: "1.30"
                octal: "0755"
                date: "2024-01-02"
                spaces: " padded "
            """);
        var yaml = cfg.ToYaml("v1beta3");
        var args = PyYaml(yaml)[0]!["apiServer"]!["extraArgs"]!.AsObject();
        foreach (var (name, value) in args)
            Assert.Equal(System.Text.Json.JsonValueKind.String, value!.GetValueKind());
        Assert.Equal("1.30", args["version"]!.GetValue<string>());
        Assert.Equal("0755", args["octal"]!.GetValue<string>());
        Assert.Equal("on", PyYaml(yaml)[0]!["clusterName"]!.GetValue<string>());
        AssertSameModel(cfg, KubeClusterConfiguration.Parse(yaml));
    }

    [Theory]
    [InlineData("1.30", "v1.30.14")]
    [InlineData("stable-1.29", "v1.29.15")]
    [InlineData(null, "newest")]
    [InlineData("1.30.2", "1.30.2")]
    [InlineData("v1.30.2", "v1.30.2")]
    public void Export_pins_the_exact_kubernetes_version(string? given, string written)
    {
        var cfg = new KubeClusterConfiguration();
        cfg.Cluster.KubernetesVersion = given;
        if (written == "newest") written = KubePS.Core.Versioning.VersionCatalog.NewestRelease.ToString();
        Assert.Equal(written, PyYaml(cfg.ToYaml())[0]!["kubernetesVersion"]!.GetValue<string>());
    }

    [Fact]
    public void A_v1beta2_export_for_1_18_round_trips()
    {
        var cfg = KubeClusterConfiguration.Create(new NewClusterConfigurationRequest
        {
            KubernetesVersion = "1.18.2", NodeName = "master", AdvertiseAddress = "192.168.162.131", PodSubnet = "10.244.0.0/16",
            CertSANs = ["k8s-api", "10.0.0.100"], CriSocket = "/var/run/dockershim.sock",
        });
        var yaml = KubeadmConfigFile.ToYaml(cfg);
        Assert.Contains("apiVersion: kubeadm.k8s.io/v1beta2", yaml);
        var again = KubeClusterConfiguration.Parse(yaml).Validate();
        Assert.Equal("kubeadm.k8s.io/v1beta2", again.SourceApiVersion);
        AssertSameModel(cfg.Init, again.Init);
        AssertSameModel(cfg.Cluster, again.Cluster);
    }

    [Fact]
    public void Secrets_are_written_to_the_file_but_only_there()
    {
        var cfg = KubeadmConfigFile.Import(Example("kubeadm-config.yaml"));
        var yaml = cfg.ToYaml("v1beta3");
        Assert.Contains("token: abcdef.0123456789abcdef", yaml);
        Assert.DoesNotContain("0123456789abcdef", cfg.ToString());
        Assert.DoesNotContain("0123456789abcdef", cfg.Init!.BootstrapTokens![0].Token!.ToString());
    }
}
