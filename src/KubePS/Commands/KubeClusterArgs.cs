using System.Management.Automation;
using KubePS.Core.KubeConfigs;

namespace KubePS.Commands;

/// <summary>The cluster an API cmdlet talks to, as kubectl finds it (KubeClusterConnection.Resolve): its -KubeConfig, else Connect-KubeCluster's cluster, else $env:KUBECONFIG, else ~/.kube/config.</summary>
internal static class KubeClusterArgs
{
    /// <summary>-KubeConfig as a file-system path; call on the pipeline thread.</summary>
    public static string? KubeConfigPath(PSCmdlet cmdlet, string? kubeConfig) =>
        string.IsNullOrEmpty(kubeConfig) ? null : CommandArgs.FullPath(cmdlet, kubeConfig);

    /// <summary>The cluster, in kubectl's order (may run on any thread).</summary>
    public static KubeClusterConnection Connection(string? kubeConfigPath) =>
        KubeClusterConnection.Resolve(kubeConfigPath is null ? null : KubeClusterConnection.FromFile(kubeConfigPath));
}
