using System.Management.Automation;
using KubePS.Core.Configuration;

namespace KubePS.Commands;

/// <summary>Writes a cluster configuration as a kubeadm configuration file or YAML text.</summary>
/// <remarks>
/// <para>Export-KubeadmConfiguration writes the InitConfiguration, ClusterConfiguration and JoinConfiguration of a configuration in the kubeadm API version you choose, followed by the KubeletConfiguration and KubeProxyConfiguration as they were given. Keys are sorted as kubeadm sorts them; v1beta4 writes extraArgs as name/value lists, v1beta2 and v1beta3 as maps.</para>
/// <para>Only the values that were given are written, plus the resolved kubernetesVersion, so Import-KubeadmConfiguration reads back the same configuration. With -IncludeDefaults kubeadm's defaults are written too, as kubeadm stores the configuration in the cluster.</para>
/// <para>The default API version is the one kubeadm of the configuration's Kubernetes version writes (v1beta2 up to 1.21, v1beta3 up to 1.30, v1beta4 from 1.31). A version that kubeadm of that Kubernetes version cannot read is refused, as is a value the chosen version cannot hold (for example an ECDSA-P384 key algorithm in v1beta3).</para>
/// <para>Without -Path the YAML is written to the pipeline as a string. With -Path the file is replaced atomically, only with -Force if it exists, and is readable by its owner only when it holds a bootstrap token or certificate key.</para>
/// </remarks>
/// <example>
/// <code>New-KubeClusterConfiguration -KubernetesVersion 1.31 -PodSubnet 10.244.0.0/16 | Export-KubeadmConfiguration</code>
/// <para>Prints the configuration as kubeadm.k8s.io/v1beta4 YAML.</para>
/// </example>
/// <example>
/// <code>Import-KubeadmConfiguration ./kubeadm-config.yaml | Export-KubeadmConfiguration -Path ./kubeadm-config-v1beta4.yaml -ApiVersion v1beta4 -PassThru</code>
/// <para>Converts a v1beta3 file to v1beta4 (the configuration's kubernetesVersion must be 1.31 or newer) and returns the new file.</para>
/// </example>
/// <example>
/// <code>$cfg | Export-KubeadmConfiguration -Path /tmp/kubeadm-config.yaml -IncludeDefaults -Force -WhatIf</code>
/// <para>Shows which file would be replaced, without writing it.</para>
/// </example>
[Cmdlet(VerbsData.Export, "KubeadmConfiguration", SupportsShouldProcess = true)]
[OutputType(typeof(string), typeof(FileInfo))]
public sealed class ExportKubeadmConfigurationCommand : KubeCmdlet
{
    /// <summary><para>The configuration to write, from New-KubeClusterConfiguration or Import-KubeadmConfiguration.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public KubeClusterConfiguration Configuration { get; set; } = null!;

    /// <summary><para>The file to write. Without it the YAML is written to the pipeline.</para></summary>
    [Parameter(Position = 0)]
    public string? Path { get; set; }

    /// <summary><para>The kubeadm API version to write: v1beta2, v1beta3 or v1beta4. The default is the one kubeadm of the configuration's Kubernetes version writes.</para></summary>
    [Parameter]
    [ValidateSet("v1beta2", "v1beta3", "v1beta4")]
    public string? ApiVersion { get; set; }

    /// <summary><para>Writes kubeadm's defaults into the fields that were not given (cluster name, subnets, paths, image repository, timeouts), as kubeadm stores the configuration in the cluster.</para></summary>
    [Parameter]
    public SwitchParameter IncludeDefaults { get; set; }

    /// <summary><para>Replaces the file if it exists.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para>Returns the written file (FileInfo). Without it nothing is returned when -Path is given.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (Path is null)
        {
            Run(sink => sink.WriteObject(KubeadmConfigFile.ToYaml(Configuration, ApiVersion, IncludeDefaults)));
            return;
        }
        string target = GetUnresolvedProviderPathFromPSPath(Path);
        Run(async (sink, ct) =>
        {
            var file = await KubeadmConfigFile.ExportAsync(Configuration, target, ApiVersion, Force, IncludeDefaults, sink, ct).ConfigureAwait(false);
            if (file is not null && PassThru) sink.WriteObject(file);
        });
    }
}
