using System.Net;
using KubePS.Core;
using KubePS.Core.Manifests;
using KubePS.Core.Workflows;
using Xunit;
using static KubePS.Tests.Init.InitTestSupport;

namespace KubePS.Tests.Init;

/// <summary>
/// The adapters from the configuration model to the renderers' requests, judged by what kubeadm takes from each field
/// of the configuration (the example files' values, kubeadm-facts §3.8, §4, §5).
/// </summary>
public sealed class ConfigurationAdapterTests
{
    static readonly IPAddress Adv = IPAddress.Parse("10.0.0.11");

    [Fact]
    public void Manifest_request_takes_every_cluster_field_kubeadm_uses_for_the_static_pods()
    {
        var r = ConfigurationAdapters.ToControlPlaneManifestRequest(Config(Example), "cp1", Adv, facts: null);
        Assert.Equal("1.30.14", r.KubernetesVersion.ToString().TrimStart('v'));
        Assert.Equal("registry.aliyuncs.com/google_containers", r.ImageRepository);
        Assert.Equal("10.244.0.0/16", r.PodSubnet);
        Assert.Equal(ExtraArgsSemantics.Map, r.ExtraArgsSemantics);       // v1beta3: maps (facts §3.8)
        // A v1beta3 map has no order (the merge sorts by name).
        Assert.Equal(["audit-log-maxage=30", "audit-log-path=/var/log/kubernetes/audit.log", "authorization-mode=Node,RBAC"],
            r.ApiServer.ExtraArgs.Select(a => $"{a.Name}={a.Value}").Order());
        var volume = Assert.Single(r.ApiServer.ExtraVolumes);
        Assert.Equal(new HostPathMount("audit-log", "/var/log/kubernetes", "/var/log/kubernetes", false, "DirectoryOrCreate"), volume);
        Assert.Equal(["bind-address=0.0.0.0"], r.ControllerManager.ExtraArgs.Select(a => $"{a.Name}={a.Value}"));
        Assert.Contains(r.LocalEtcd.ExtraArgs, a => a.Name == "listen-metrics-urls" && a.Value == "http://0.0.0.0:2381");
        Assert.Equal("/var/lib/etcd", r.LocalEtcd.DataDir);
        Assert.Null(r.ExternalEtcd);
        Assert.Empty(r.ExistingHostDirectories);   // a dry run knows no directory of the node
        Assert.Equal(TimeSpan.FromMinutes(4), r.ControlPlaneHealthCheckTimeout);
    }

    [Fact]
    public void A_v1beta4_configuration_merges_extra_args_as_lists_and_passes_extraEnvs()
    {
        var r = ConfigurationAdapters.ToControlPlaneManifestRequest(Config(V131), "cp1", Adv, null);
        Assert.Equal(ExtraArgsSemantics.List, r.ExtraArgsSemantics);
        Assert.Equal(new KubeEnvVar("HTTPS_PROXY", "http://proxy.example.internal:3128"), Assert.Single(r.ApiServer.ExtraEnvs));
    }

    [Fact]
    public void Etcd_image_overrides_and_external_etcd_reach_the_manifest_request()
    {
        var local = Config(Example.Replace("    dataDir: /var/lib/etcd\n", "    dataDir: /data/etcd\n    imageRepository: quay.io/coreos\n    imageTag: v3.5.9\n"));
        var r = ConfigurationAdapters.ToControlPlaneManifestRequest(local, "cp1", Adv, null);
        Assert.Equal(("quay.io/coreos", "v3.5.9", "/data/etcd"), (r.LocalEtcd.ImageRepository, r.LocalEtcd.ImageTag, r.LocalEtcd.DataDir));

        var external = Config("""
            apiVersion: kubeadm.k8s.io/v1beta3
            kind: ClusterConfiguration
            kubernetesVersion: v1.30.14
            etcd:
              external:
                endpoints: [https://10.0.0.20:2379, https://10.0.0.21:2379]
                caFile: /etc/etcd/ca.crt
                certFile: /etc/etcd/client.crt
                keyFile: /etc/etcd/client.key
            """);
        var e = ConfigurationAdapters.ToControlPlaneManifestRequest(external, "cp1", Adv, null).ExternalEtcd!;
        Assert.Equal(["https://10.0.0.20:2379", "https://10.0.0.21:2379"], e.Endpoints);
        Assert.Equal(("/etc/etcd/ca.crt", "/etc/etcd/client.crt", "/etc/etcd/client.key"), (e.CAFile, e.CertFile, e.KeyFile));
    }

    [Fact]
    public void Kubelet_request_takes_the_registration_the_networks_and_the_users_KubeletConfiguration()
    {
        var r = ConfigurationAdapters.ToKubeletRequest(Config(Example), "cp1", facts: null);
        Assert.Equal("unix:///var/run/containerd/containerd.sock", r.CriSocket);
        Assert.Equal(["node-ip=10.0.0.11"], r.KubeletExtraArgs.Select(a => $"{a.Name}={a.Value}"));
        Assert.Equal(["node-role.kubernetes.io/control-plane:NoSchedule"], r.Taints);
        Assert.False(r.RegisterTaintsWithFlags);     // a control plane's taints come from mark-control-plane (facts §4.2)
        Assert.Null(r.HostName);
        Assert.Contains("maxPods: 110", r.KubeletConfiguration);
        Assert.Equal(("10.96.0.0/12", "cluster.local", "/etc/kubernetes/pki"), (r.ServiceSubnet, r.DnsDomain, r.CertificatesDir));
        Assert.Equal("unix:///var/run/crio/crio.sock", ConfigurationAdapters.ToKubeletRequest(Config(Example), "cp1", null, criSocket: "unix:///var/run/crio/crio.sock").CriSocket);
    }

    [Fact]
    public void Cluster_objects_request_uses_the_control_plane_endpoint_or_else_the_advertise_address()
    {
        var withEndpoint = ConfigurationAdapters.ToClusterObjectsRequest(Config(Example), "10.0.0.11", "ca");
        Assert.Equal("https://k8s-api.example.internal:6443", withEndpoint.ControlPlaneEndpoint);
        Assert.Equal("registry.aliyuncs.com/google_containers", withEndpoint.ImageRepository);
        Assert.Equal("registry.aliyuncs.com/google_containers", withEndpoint.DnsImageRepository);
        var plain = ConfigurationAdapters.ToClusterObjectsRequest(Config(V124), "fd00::5", "ca");
        Assert.Equal("https://[fd00::5]:6443", plain.ControlPlaneEndpoint);
        Assert.Null(plain.ImageRepository);            // the version's default registry
        Assert.Equal(("10.112.0.0/16", "k8s.internal"), (plain.ServiceSubnet, plain.DnsDomain));
    }

    [Theory]
    [InlineData("1.18", "kubeadm.k8s.io/v1beta2")]
    [InlineData("1.30", "kubeadm.k8s.io/v1beta3")]
    [InlineData("1.31", "kubeadm.k8s.io/v1beta4")]
    public void The_stored_ClusterConfiguration_is_one_defaulted_document_in_the_versions_kubeadm_API(string version, string api)
    {
        var yaml = ConfigurationAdapters.ClusterConfigurationYaml(Config(version switch { "1.18" => V118, "1.30" => Example, _ => V131 }));
        var r = Infrastructure.Tool.Run("/usr/bin/env", ["python3", "-c", "import sys, yaml; print(len(list(yaml.safe_load_all(sys.stdin))))"], stdin: yaml);
        Assert.Equal("1", r.Output.Trim());
        var doc = PyYamlText(yaml);
        Assert.Equal(api, (string?)doc["apiVersion"]);
        Assert.Equal("ClusterConfiguration", (string?)doc["kind"]);
        // kubeadm's defaults are written in (facts §10.1); the node's and the token's parts are not.
        Assert.Equal("/etc/kubernetes/pki", (string?)doc["certificatesDir"]);
        Assert.Equal("kubernetes", (string?)doc["clusterName"]);
        Assert.Equal("/var/lib/etcd", (string?)doc["etcd"]!["local"]!["dataDir"]);
        Assert.NotNull((string?)doc["networking"]!["serviceSubnet"]);
        Assert.DoesNotContain("bootstrapTokens", yaml);
        Assert.DoesNotContain("abcdef", yaml);
        Assert.DoesNotContain("nodeRegistration", yaml);
    }

    [Fact]
    public void An_extraEnv_from_valueFrom_is_refused_with_its_name()
    {
        var yaml = V131.Replace("      value: http://proxy.example.internal:3128", "      valueFrom:\n        fieldRef:\n          fieldPath: status.podIP");
        var e = Assert.Throws<KubeException>(() => ConfigurationAdapters.ToControlPlaneManifestRequest(Config(yaml), "cp1", Adv, null));
        Assert.Equal("Init.EnvValueFromUnsupported", e.ErrorId);
        Assert.Contains("HTTPS_PROXY", e.Message);
    }
}
