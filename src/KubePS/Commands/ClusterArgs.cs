using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Api;
using KubePS.Core.KubeConfigs;

namespace KubePS.Commands;

/// <summary>
/// The cluster an API cmdlet talks to, in kubectl's order (DESIGN.md "Talking to the cluster", Core's
/// <see cref="KubeClusterConnection.Resolve"/>): -KubeConfig, then Connect-KubeCluster's current cluster, then the
/// files of $env:KUBECONFIG (merged as kubectl merges them), then ~/.kube/config. Call on the pipeline thread.
/// </summary>
internal static class ClusterArgs
{
    public static KubeClusterConnection Connection(PSCmdlet cmdlet, string? kubeConfig) =>
        KubeClusterConnection.Resolve(string.IsNullOrEmpty(kubeConfig) ? null : KubeClusterConnection.FromFile(CommandArgs.FullPath(cmdlet, kubeConfig)));

    public static KubeApiCredentials Credentials(PSCmdlet cmdlet, string? kubeConfig) => Connection(cmdlet, kubeConfig).Credentials();
}
