using KubePS.Core;
using KubePS.Core.Manifests;
using YamlDotNet.RepresentationModel;
using Xunit;

namespace KubePS.Tests.Manifests;

/// <summary>extraArgs merge rules (facts §3.8), external etcd (§3.3, §3.7), image repositories (§3.9, versions §1).</summary>
public sealed class ExtraArgsAndEtcdTests
{
    static IReadOnlyList<string> Cmd(byte[] manifest) => Yaml.Strings(Yaml.Load(manifest), "spec.containers.0.command");

    [Fact]
    public void V1beta3_map_override_wins_and_flags_stay_sorted()
    {
        var r = new StaticPodVersionTests.Builder
        {
            ApiArgs = [new("authorization-mode", "Node,RBAC,Webhook"), new("audit-log-path", "/var/log/audit.log"), new("v", "2")],
        }.Build();
        var cmd = Cmd(StaticPodManifests.KubeApiServer(r).Content).Skip(1).ToList();
        Assert.Contains("--authorization-mode=Node,RBAC,Webhook", cmd);
        Assert.Single(cmd, f => f.StartsWith("--authorization-mode=", StringComparison.Ordinal));
        Assert.Contains("--audit-log-path=/var/log/audit.log", cmd);
        Assert.Equal(cmd.OrderBy(f => f, StringComparer.Ordinal), cmd);
        Assert.Equal("--v=2", cmd[^1]);
    }

    [Fact]
    public void V1beta3_map_rejects_a_repeated_flag_before_rendering()
    {
        var r = new StaticPodVersionTests.Builder { ApiArgs = [new("v", "2"), new("v", "4")] }.Build();
        var e = Assert.Throws<KubeException>(() => StaticPodManifests.KubeApiServer(r));
        Assert.Equal("Manifests.DuplicateExtraArg", e.ErrorId);
        Assert.Contains("'v'", e.Message);
    }

    [Fact]
    public void V1beta4_list_keeps_duplicates_removes_every_default_of_an_overridden_name_and_sorts_by_name_then_value()
    {
        var defaults = new KubeArg[] { new("a", "1"), new("b", "2"), new("b", "3"), new("c", "4") };
        var overrides = new KubeArg[] { new("b", "9"), new("z", "1"), new("b", "0") };
        var merged = KubeArguments.ToCommand(defaults, overrides, ExtraArgsSemantics.List, "test");
        Assert.Equal(new[] { "--a=1", "--b=0", "--b=9", "--c=4", "--z=1" }, merged);
    }

    [Fact]
    public void V1beta4_list_renders_repeated_apiserver_flags_for_1_31()
    {
        var r = new StaticPodVersionTests.Builder
        {
            Version = "1.31.0", Semantics = ExtraArgsSemantics.List,
            ApiArgs = [new("enable-admission-plugins", "NodeRestriction"), new("enable-admission-plugins", "EventRateLimit")],
        }.Build();
        var cmd = Cmd(StaticPodManifests.KubeApiServer(r).Content);
        Assert.Equal(new[] { "--enable-admission-plugins=EventRateLimit", "--enable-admission-plugins=NodeRestriction" },
            cmd.Where(f => f.StartsWith("--enable-admission-plugins", StringComparison.Ordinal)));
    }

    [Fact]
    public void List_semantics_are_refused_for_a_version_before_v1beta4()
    {
        var r = new StaticPodVersionTests.Builder { Version = "1.30.14", Semantics = ExtraArgsSemantics.List }.Build();
        Assert.Equal("Manifests.ListExtraArgsUnsupported", Assert.Throws<KubeException>(() => StaticPodManifests.KubeScheduler(r)).ErrorId);
    }

    [Theory]
    [InlineData("--v")]
    [InlineData("v=2")]
    [InlineData("")]
    public void A_flag_name_with_dashes_or_equals_is_refused(string name)
    {
        var r = new StaticPodVersionTests.Builder { SchedArgs = [new(name, "2")] }.Build();
        Assert.Equal("Manifests.InvalidExtraArg", Assert.Throws<KubeException>(() => StaticPodManifests.KubeScheduler(r)).ErrorId);
    }

    [Fact]
    public void External_etcd_has_no_etcd_manifest_and_the_apiserver_uses_the_given_endpoints_files_and_cert_volumes()
    {
        var r = new StaticPodVersionTests.Builder
        {
            External = new()
            {
                Endpoints = ["https://10.0.0.21:2379", "https://10.0.0.22:2379"],
                CAFile = "/etc/etcd/pki/ca.crt", CertFile = "/etc/etcd/pki/client/apiserver.crt", KeyFile = "/srv/keys/apiserver.key",
            },
        }.Build();
        Assert.Equal("Manifests.ExternalEtcd", Assert.Throws<KubeException>(() => StaticPodManifests.Etcd(r)).ErrorId);
        var pod = Yaml.Load(StaticPodManifests.KubeApiServer(r).Content);
        var cmd = Yaml.Strings(pod, "spec.containers.0.command");
        Assert.Contains("--etcd-servers=https://10.0.0.21:2379,https://10.0.0.22:2379", cmd);
        Assert.Contains("--etcd-cafile=/etc/etcd/pki/ca.crt", cmd);
        Assert.Contains("--etcd-certfile=/etc/etcd/pki/client/apiserver.crt", cmd);
        Assert.Contains("--etcd-keyfile=/srv/keys/apiserver.key", cmd);
        // facts §3.7: one etcd-certs-N volume per directory not already mounted; /etc/etcd/pki covers its subdirectory.
        var vols = ((YamlSequenceNode)Yaml.At(pod, "spec.volumes")!).Children
            .Select(v => (Yaml.Str(v, "name") ?? "", Yaml.Str(v, "hostPath.path") ?? "")).Where(v => v.Item1.StartsWith("etcd-certs", StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { ("etcd-certs-0", "/etc/etcd/pki"), ("etcd-certs-1", "/srv/keys") }, vols);
        var mount = ((YamlSequenceNode)Yaml.At(pod, "spec.containers.0.volumeMounts")!).Children.Single(m => Yaml.Str(m, "name") == "etcd-certs-0");
        Assert.Equal("true", Yaml.Str(mount, "readOnly"));
    }

    [Fact]
    public void External_etcd_files_under_already_mounted_dirs_get_no_extra_volume_and_cert_needs_key()
    {
        var r = new StaticPodVersionTests.Builder
        {
            External = new() { Endpoints = ["https://etcd:2379"], CAFile = "/etc/kubernetes/pki/etcd-ca.crt", CertFile = "/etc/ssl/certs/c.crt" },
        }.Build();
        var pod = Yaml.Load(StaticPodManifests.KubeApiServer(r).Content);
        var cmd = Yaml.Strings(pod, "spec.containers.0.command");
        Assert.DoesNotContain(cmd, f => f.StartsWith("--etcd-certfile", StringComparison.Ordinal)); // cert only with key (§3.3)
        Assert.DoesNotContain(((YamlSequenceNode)Yaml.At(pod, "spec.volumes")!).Children, v => Yaml.Str(v, "name")!.StartsWith("etcd-certs", StringComparison.Ordinal));
    }

    [Fact]
    public void A_mirror_image_repository_and_etcd_overrides_reach_the_images()
    {
        var r = new StaticPodVersionTests.Builder
        {
            Version = "1.30.14", ImageRepository = "registry.aliyuncs.com/google_containers",
            EtcdRepository = "quay.io/coreos", EtcdTag = "v3.5.17",
        }.Build();
        Assert.Equal("registry.aliyuncs.com/google_containers/kube-apiserver:v1.30.14",
            Yaml.Str(Yaml.Load(StaticPodManifests.KubeApiServer(r).Content), "spec.containers.0.image"));
        Assert.Equal("registry.aliyuncs.com/google_containers/kube-controller-manager:v1.30.14",
            Yaml.Str(Yaml.Load(StaticPodManifests.KubeControllerManager(r).Content), "spec.containers.0.image"));
        Assert.Equal("quay.io/coreos/etcd:v3.5.17", Yaml.Str(Yaml.Load(StaticPodManifests.Etcd(r).Content), "spec.containers.0.image"));
        var mirrorOnly = new StaticPodVersionTests.Builder { Version = "1.30.14", ImageRepository = "registry.aliyuncs.com/google_containers" }.Build();
        Assert.Equal("registry.aliyuncs.com/google_containers/etcd:3.5.15-0",
            Yaml.Str(Yaml.Load(StaticPodManifests.Etcd(mirrorOnly).Content), "spec.containers.0.image"));
    }

    [Fact]
    public void User_extra_volumes_replace_defaults_of_the_same_name_and_keep_an_empty_type()
    {
        var r = new StaticPodVersionTests.Builder
        {
            ApiVolumes = [new("audit", "/var/log/kubernetes", "/var/log/kubernetes"), new("ca-certs", "/opt/certs", "/etc/ssl/certs", true, "Directory")],
        }.Build();
        var pod = Yaml.Load(StaticPodManifests.KubeApiServer(r).Content);
        var vols = ((YamlSequenceNode)Yaml.At(pod, "spec.volumes")!).Children;
        var audit = vols.Single(v => Yaml.Str(v, "name") == "audit");
        Assert.Equal("", Yaml.Str(audit, "hostPath.type"));
        Assert.Equal("/opt/certs", Yaml.Str(vols.Single(v => Yaml.Str(v, "name") == "ca-certs"), "hostPath.path"));
        var mount = ((YamlSequenceNode)Yaml.At(pod, "spec.containers.0.volumeMounts")!).Children.Single(m => Yaml.Str(m, "name") == "audit");
        Assert.Null(Yaml.At(mount, "readOnly")); // readOnly only written when true (§3.1)
    }

    [Theory]
    [InlineData("10.96.0.0/33")]
    [InlineData("10.96.0.0/12,10.97.0.0/16")]
    [InlineData("banana")]
    public void Malformed_service_subnet_fails_early_with_its_value(string subnet)
    {
        var b = new StaticPodVersionTests.Builder().Build();
        var r = new ControlPlaneManifestRequest
        {
            KubernetesVersion = b.KubernetesVersion, NodeName = b.NodeName, AdvertiseAddress = b.AdvertiseAddress, ServiceSubnet = subnet,
        };
        var e = Assert.Throws<KubeException>(() => StaticPodManifests.KubeApiServer(r));
        Assert.Equal("Manifests.InvalidSubnet", e.ErrorId);
        Assert.Contains(subnet, e.Message);
    }

    [Fact]
    public void Bad_node_name_and_inexact_version_fail_early()
    {
        var b = new StaticPodVersionTests.Builder().Build();
        var bad = new ControlPlaneManifestRequest { KubernetesVersion = b.KubernetesVersion, NodeName = "CP_1", AdvertiseAddress = b.AdvertiseAddress };
        Assert.Equal("Manifests.InvalidNodeName", Assert.Throws<KubeException>(() => StaticPodManifests.Etcd(bad)).ErrorId);
        var minor = new ControlPlaneManifestRequest { KubernetesVersion = Core.Versioning.KubeVersion.Parse("1.30"), NodeName = "cp", AdvertiseAddress = b.AdvertiseAddress };
        Assert.Equal("Manifests.VersionNotExact", Assert.Throws<KubeException>(() => StaticPodManifests.Etcd(minor)).ErrorId);
    }
}
