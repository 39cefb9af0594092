using System.Management.Automation;
using KubePS.Core.Network;
using KubePS.Core.Versioning;

namespace KubePS.Commands;

/// <summary>Installs the pod network: flannel or Calico, at the release KubePS's catalog names for the cluster's Kubernetes version, with the cluster's pod network.</summary>
/// <remarks>
/// <para>Install-KubeNetworkPlugin renders the plugin's manifest (written for KubePS from the shape of the plugin's published manifest), sets its pod network and, with -ImageRepository, its images, and server-side applies every object (field manager kubeps), so a second run changes nothing. The Kubernetes version is read from the API server and picks the plugin release from the version catalog; -PodSubnet defaults to networking.podSubnet of the cluster's kubeadm-config ConfigMap.</para>
/// <para>Flannel: namespace kube-flannel, its RBAC, the kube-flannel-cfg ConfigMap (the CNI conflist and net-conf.json with the pod network and the vxlan backend) and the kube-flannel-ds DaemonSet. flanneld takes each node's podCIDR from its Node, which the controller-manager allocates when the control plane was initialized with a podSubnet.</para>
/// <para>Calico is installed from a manifest (the calico.yaml way: Kubernetes API datastore, BGP with IP-in-IP, no Typha), not with the tigera-operator: every object and image is then in what KubePS applies, so the pod network (CALICO_IPV4POOL_CIDR) and an image mirror are set here and nothing is re-rendered later by an operator, and no operator CRDs are needed. The release follows Calico's tested Kubernetes versions (e.g. 3.20 for 1.19, 3.28 for 1.27 and 1.28). Calico's CustomResourceDefinitions are applied with an open schema instead of Calico's generated OpenAPI schemas, so the API server stores Calico's resources without validating their fields; Typha, the eBPF dataplane, the application-layer-policy flexvolume driver, Windows nodes and the Calico API server are not part of it.</para>
/// </remarks>
/// <example>
/// <code>Install-KubeNetworkPlugin -Name Flannel -PodSubnet 10.244.0.0/16</code>
/// <para>Installs flannel for the pod network 10.244.0.0/16 in the current cluster.</para>
/// </example>
/// <example>
/// <code>Install-KubeNetworkPlugin -Name Calico -ImageRepository registry.example.com/calico -KubeConfig ./admin.conf</code>
/// <para>Installs Calico with the podSubnet of the cluster's kubeadm-config, its images from a mirror.</para>
/// </example>
/// <example>
/// <code>Install-KubeNetworkPlugin -Name Calico -PodSubnet 192.168.0.0/16 -WhatIf</code>
/// <para>Shows which Calico release would be installed, changing nothing.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Install, "KubeNetworkPlugin", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KubeNetworkPluginResult))]
public sealed class InstallKubeNetworkPluginCommand : KubeCmdlet
{
    /// <summary>
    /// <para>The plugin: Flannel or Calico.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateSet("Flannel", "Calico")]
    public string Name { get; set; } = "";

    /// <summary>
    /// <para>The pod network, one IPv4 CIDR such as 10.244.0.0/16 (the podSubnet the control plane was initialized with). The default is networking.podSubnet of the cluster's kubeadm-config.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? PodSubnet { get; set; }

    /// <summary>
    /// <para>The cluster's Kubernetes version, which picks the plugin release. The default is the API server's version.</para>
    /// </summary>
    [Parameter]
    public string? KubernetesVersion { get; set; }

    /// <summary>
    /// <para>A registry and path to take the plugin's images from instead of docker.io/flannel or docker.io/calico, e.g. a mirror.</para>
    /// </summary>
    [Parameter]
    public string? ImageRepository { get; set; }

    /// <summary>
    /// <para>The kubeconfig file of the cluster. The default is the cluster of Connect-KubeCluster, then $env:KUBECONFIG, then ~/.kube/config.</para>
    /// </summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    protected override void ProcessRecord()
    {
        var kubeConfig = KubeClusterArgs.KubeConfigPath(this, KubeConfig);
        Run(async (sink, ct) =>
        {
            var plugin = CommandArgs.Parse<NetworkPluginKind>(Name);
            var version = KubernetesVersion is null ? null : VersionCatalog.Resolve(KubeVersion.Parse(KubernetesVersion));
            if (PodSubnet is not null && version is not null)
                new NetworkPluginRequest { Plugin = plugin, KubernetesVersion = version, PodSubnet = PodSubnet, ImageRepository = ImageRepository }.Validate();
            var connection = KubeClusterArgs.Connection(kubeConfig);
            using var api = connection.CreateClient();
            if (await NetworkPluginInstaller.InstallAsync(api, plugin, PodSubnet, version, ImageRepository, sink, ct) is { } r) sink.WriteObject(r);
        });
    }
}
