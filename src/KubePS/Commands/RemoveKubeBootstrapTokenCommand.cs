using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Bootstrap;

namespace KubePS.Commands;

/// <summary>Deletes bootstrap tokens from the cluster, as kubeadm token delete does.</summary>
/// <remarks>
/// <para>Remove-KubeBootstrapToken deletes the Secret kube-system/bootstrap-token-&lt;id&gt; of each token. It takes token ids, whole tokens (only the id is used) or token objects from Get-KubeBootstrapToken through the pipeline. A token that does not exist is an error for that token; the others are still deleted. Nodes that joined with a token keep working: they authenticate with their own certificates.</para>
/// <para>The cluster is the one of -KubeConfig, else the current cluster of Connect-KubeCluster, else $env:KUBECONFIG, else ~/.kube/config.</para>
/// </remarks>
/// <example>
/// <code>Remove-KubeBootstrapToken -Id abcdef -KubeConfig ./admin.conf</code>
/// <para>Deletes the token with id abcdef.</para>
/// </example>
/// <example>
/// <code>Get-KubeBootstrapToken -KubeConfig ./admin.conf | Remove-KubeBootstrapToken -KubeConfig ./admin.conf -WhatIf</code>
/// <para>Shows which tokens would be deleted, and deletes none.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "KubeBootstrapToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemoveKubeBootstrapTokenCommand : KubeCmdlet
{
    /// <summary>
    /// <para>The ids of the tokens to delete (the part before the dot); a whole token is accepted too, and only its id is used.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("TokenId")]
    public string[] Id { get; set; } = [];

    /// <summary>
    /// <para>The kubeconfig of the cluster (e.g. admin.conf). Without it, the current cluster of Connect-KubeCluster, then $env:KUBECONFIG, then ~/.kube/config.</para>
    /// </summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    protected override void ProcessRecord()
    {
        var credentials = KubeClusterArgs.Connection(KubeClusterArgs.KubeConfigPath(this, KubeConfig)).Credentials();
        var ids = Id.Select(BootstrapTokens.ParseId).Distinct().ToList();
        Run(async (sink, ct) =>
        {
            using var api = new KubePS.Core.Api.KubeApiClient(credentials);
            foreach (var id in ids)
            {
                try { await BootstrapTokens.DeleteAsync(api, id, sink, ct); }
                catch (KubeException e) when (e.ErrorId == "Token.NotFound") { sink.WriteError(e); }
            }
        });
    }
}
