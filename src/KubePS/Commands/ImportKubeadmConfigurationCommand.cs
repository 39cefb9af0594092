using System.Management.Automation;
using KubePS.Core.Configuration;

namespace KubePS.Commands;

/// <summary>Reads a kubeadm configuration file (kubeadm.k8s.io v1beta2, v1beta3 or v1beta4) and validates it.</summary>
/// <remarks>
/// <para>Import-KubeadmConfiguration reads the file you would give to kubeadm init --config or kubeadm join --config: InitConfiguration, ClusterConfiguration and JoinConfiguration documents, plus a KubeletConfiguration and a KubeProxyConfiguration, separated by ---. The v1beta4 ResetConfiguration and UpgradeConfiguration documents are kept as written.</para>
/// <para>Like kubeadm, it rejects what it does not know: an unknown field is reported with its name, the document kind and the line; unparseable YAML with line and column; an unknown apiVersion or kind with the list of valid ones. The configuration is then validated (subnets, names, endpoints, tokens, version and API version), and every problem is reported at once.</para>
/// <para>The KubeletConfiguration and KubeProxyConfiguration documents are kept as written, but their field names are checked as kubeadm init and join check them: a field no kubelet or kube-proxy from Kubernetes 1.18 on knows (for example cgroupdriver instead of cgroupDriver, which would leave the kubelet on the wrong cgroup driver) is written as a warning with its path, line and the likely intended name, and the file is still read, as kubeadm does. Nested settings such as authentication.webhook and iptables are checked too; maps with free keys (evictionHard, featureGates, systemReserved) are not. The warnings are also kept in the Warnings property of the result.</para>
/// <para>Bootstrap tokens and certificate keys in the file are kept but never displayed: their ToString shows only the token id.</para>
/// </remarks>
/// <example>
/// <code>$cfg = Import-KubeadmConfiguration ./kubeadm-config.yaml
/// $cfg | Format-List KubernetesVersion, ControlPlaneEndpoint, ServiceSubnet, KubernetesServiceIP, DnsServiceIP, ImageRepository</code>
/// <para>Reads a configuration and shows the effective version, endpoint, subnets, service IPs and image repository.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem ./clusters -Filter *.yaml | Import-KubeadmConfiguration</code>
/// <para>Reads every YAML file of a folder; the files bind to -Path through their FullName property.</para>
/// </example>
[Cmdlet(VerbsData.Import, "KubeadmConfiguration")]
[OutputType(typeof(KubeClusterConfiguration))]
public sealed class ImportKubeadmConfigurationCommand : KubeCmdlet
{
    /// <summary><para>The file to read; wildcards are expanded. Accepts file objects from Get-ChildItem through the pipeline (FullName, PSPath).</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    protected override void ProcessRecord()
    {
        var files = new List<string>();
        foreach (var p in Path)
            files.AddRange(GetResolvedProviderPathFromPSPath(p, out _));
        Run(sink =>
        {
            foreach (var file in files)
                sink.WriteObject(KubeadmConfigFile.Import(file, sink));
        });
    }
}
