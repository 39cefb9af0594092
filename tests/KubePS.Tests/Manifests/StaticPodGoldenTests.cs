using System.Net;
using System.Text;
using KubePS.Core.Manifests;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.Manifests;

/// <summary>
/// Renders the same inputs real kubeadm had (shared/kubeadm-reference/README.md: v1.18.2 on node "master",
/// 192.168.162.131, defaults, /etc/pki present; v1.30.14 on "ip-10-0-1-171", 10.0.1.171, podSubnet 10.244.0.0/16, the
/// four Debian/RHEL CA directories present) and compares with what kubeadm wrote.
/// </summary>
public sealed class StaticPodGoldenTests
{
    internal static ControlPlaneManifestRequest V118() => new()
    {
        KubernetesVersion = KubeVersion.Parse("1.18.2"),
        NodeName = "master",
        AdvertiseAddress = IPAddress.Parse("192.168.162.131"),
        ExistingHostDirectories = ["/etc/pki"],
    };

    internal static ControlPlaneManifestRequest V130() => new()
    {
        KubernetesVersion = KubeVersion.Parse("1.30.14"),
        NodeName = "ip-10-0-1-171",
        AdvertiseAddress = IPAddress.Parse("10.0.1.171"),
        PodSubnet = "10.244.0.0/16",
        ExistingHostDirectories = ["/etc/pki", "/etc/ca-certificates", "/usr/share/ca-certificates", "/usr/local/share/ca-certificates"],
    };

    static NodeFile Render(ControlPlaneManifestRequest r, string component) => component switch
    {
        "kube-apiserver" => StaticPodManifests.KubeApiServer(r),
        "kube-controller-manager" => StaticPodManifests.KubeControllerManager(r),
        "kube-scheduler" => StaticPodManifests.KubeScheduler(r),
        "etcd" => StaticPodManifests.Etcd(r),
        _ => throw new ArgumentException(component),
    };

    public static TheoryData<string, string> Cases()
    {
        var d = new TheoryData<string, string>();
        foreach (var v in new[] { "v1.18.2", "v1.30.14" })
            foreach (var c in new[] { "kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd" })
                d.Add(v, c);
        return d;
    }

    static ControlPlaneManifestRequest For(string version) => version == "v1.18.2" ? V118() : V130();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Manifest_is_byte_for_byte_what_real_kubeadm_wrote(string version, string component)
    {
        var file = Render(For(version), component);
        Assert.Equal(Golden.Read(version, component + ".yaml"), Encoding.UTF8.GetString(file.Content));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Manifest_tree_equals_real_kubeadm_tree_field_by_field(string version, string component)
    {
        var ours = Yaml.Load(Render(For(version), component).Content);
        var theirs = Yaml.Load(Golden.Read(version, component + ".yaml"));
        Assert.True(Yaml.Same(ours, theirs, out var where), $"{version}/{component} differs at {where}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Manifest_is_written_0600_under_etc_kubernetes_manifests(string version, string component)
    {
        var file = Render(For(version), component);
        Assert.Equal($"/etc/kubernetes/manifests/{component}.yaml", file.Path);
        Assert.Equal("0600", file.ModeText); // facts §3: files 0600, dir 0700
        Assert.Equal("0700", Convert.ToString(StaticPodManifests.ManifestsDirMode, 8).PadLeft(4, '0'));
    }

    [Fact]
    public void Apiserver_flags_of_1_30_are_the_27_of_facts_3_3_in_order()
    {
        var y = Yaml.Load(StaticPodManifests.KubeApiServer(V130()).Content);
        var cmd = Yaml.Strings(y, "spec.containers.0.command");
        Assert.Equal("kube-apiserver", cmd[0]);
        Assert.Equal(27, cmd.Count - 1);
        Assert.Equal(cmd.Skip(1).OrderBy(s => s, StringComparer.Ordinal), cmd.Skip(1)); // sorted by name (§3.1)
        Assert.Contains("--service-account-issuer=https://kubernetes.default.svc.cluster.local", cmd);
        Assert.Contains("--etcd-servers=https://127.0.0.1:2379", cmd);
        Assert.DoesNotContain(cmd, c => c.StartsWith("--insecure-port", StringComparison.Ordinal));
    }

    [Fact]
    public void Apiserver_of_1_18_has_insecure_port_and_no_service_account_issuer()
    {
        // facts §11: 1.18.2 adds --insecure-port=0 and lacks the two SA issuer flags.
        var cmd = Yaml.Strings(Yaml.Load(StaticPodManifests.KubeApiServer(V118()).Content), "spec.containers.0.command");
        Assert.Contains("--insecure-port=0", cmd);
        Assert.DoesNotContain(cmd, c => c.StartsWith("--service-account-issuer", StringComparison.Ordinal));
        Assert.DoesNotContain(cmd, c => c.StartsWith("--service-account-signing-key-file", StringComparison.Ordinal));
    }

    [Fact]
    public void Probes_of_1_18_are_liveness_only_with_15s_delay_and_no_period()
    {
        // facts §11 Probes row
        var y = Yaml.Load(StaticPodManifests.KubeApiServer(V118()).Content);
        Assert.Equal("/healthz", Yaml.Str(y, "spec.containers.0.livenessProbe.httpGet.path"));
        Assert.Equal("15", Yaml.Str(y, "spec.containers.0.livenessProbe.initialDelaySeconds"));
        Assert.Null(Yaml.At(y, "spec.containers.0.livenessProbe.periodSeconds"));
        Assert.Null(Yaml.At(y, "spec.containers.0.startupProbe"));
        Assert.Null(Yaml.At(y, "spec.containers.0.readinessProbe"));
        var etcd = Yaml.Load(StaticPodManifests.Etcd(V118()).Content);
        Assert.Equal("/health", Yaml.Str(etcd, "spec.containers.0.livenessProbe.httpGet.path"));
        Assert.Equal("HTTP", Yaml.Str(etcd, "spec.containers.0.livenessProbe.httpGet.scheme"));
        Assert.Empty(((YamlDotNet.RepresentationModel.YamlMappingNode)Yaml.At(etcd, "spec.containers.0.resources")!).Children);
    }

    [Fact]
    public void Startup_probe_failure_threshold_is_the_health_check_timeout_over_ten_seconds_rounded_up()
    {
        var r = V130();
        var longer = new ControlPlaneManifestRequest
        {
            KubernetesVersion = r.KubernetesVersion, NodeName = r.NodeName, AdvertiseAddress = r.AdvertiseAddress,
            ControlPlaneHealthCheckTimeout = TimeSpan.FromSeconds(301),
        };
        var y = Yaml.Load(StaticPodManifests.KubeScheduler(longer).Content);
        Assert.Equal("31", Yaml.Str(y, "spec.containers.0.startupProbe.failureThreshold")); // ceil(301/10), facts §3.2
        Assert.Equal("24", Yaml.Str(Yaml.Load(StaticPodManifests.KubeScheduler(r).Content), "spec.containers.0.startupProbe.failureThreshold"));
    }

    [Fact]
    public void Etcd_mounts_data_before_certs_while_volumes_are_sorted()
    {
        var y = Yaml.Load(StaticPodManifests.Etcd(V130()).Content);
        Assert.Equal("etcd-data", Yaml.Str(y, "spec.containers.0.volumeMounts.0.name"));
        Assert.Equal("etcd-certs", Yaml.Str(y, "spec.containers.0.volumeMounts.1.name"));
        Assert.Equal("etcd-certs", Yaml.Str(y, "spec.volumes.0.name"));
        Assert.Equal("etcd-data", Yaml.Str(y, "spec.volumes.1.name"));
    }
}
