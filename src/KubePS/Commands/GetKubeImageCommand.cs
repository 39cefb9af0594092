using System.Management.Automation;
using KubePS.Core.Versioning;

namespace KubePS.Commands;

/// <summary>Lists the container images a Kubernetes version's control plane uses, as kubeadm config images list does.</summary>
/// <remarks>
/// <para>Get-KubeImage returns one object per image: kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, CoreDNS, pause and etcd. The tags come from KubePS's version catalog, so the list works offline and matches what kubeadm of that version deploys.</para>
/// <para>With -ImageRepository the images are named for a mirror, with kubeadm's rule that CoreDNS loses its extra coredns/ path segment on any repository other than the default one.</para>
/// </remarks>
/// <example>
/// <code>Get-KubeImage -Version 1.30.4</code>
/// <para>Lists the seven images of Kubernetes 1.30.4 on registry.k8s.io.</para>
/// </example>
/// <example>
/// <code>Get-KubeImage -Version 1.30 -ImageRepository registry.aliyuncs.com/google_containers | Select-Object -ExpandProperty Reference</code>
/// <para>Lists the image references of the newest 1.30 patch on a mirror, one per line.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "KubeImage")]
[OutputType(typeof(KubeImage))]
public sealed class GetKubeImageCommand : KubeCmdlet
{
    /// <summary>
    /// <para>The Kubernetes version: 1.30 (the newest patch KubePS knows), 1.30.4 or v1.30.4. The default is the newest release in the catalog.</para>
    /// </summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("KubernetesVersion")]
    public string? Version { get; set; }

    /// <summary>
    /// <para>A registry and path to take the images from instead of kubeadm's default (registry.k8s.io, or k8s.gcr.io before 1.25), e.g. a mirror.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ImageRepository { get; set; }

    /// <summary>
    /// <para>Leaves etcd out, for clusters that use an external etcd.</para>
    /// </summary>
    [Parameter]
    public SwitchParameter ExternalEtcd { get; set; }

    protected override void ProcessRecord() => Run(sink =>
    {
        var version = Version is null ? VersionCatalog.NewestRelease : KubeVersion.Parse(Version);
        foreach (var image in KubeImages.List(version, ImageRepository, includeEtcd: !ExternalEtcd))
            sink.WriteObject(image);
    });
}
