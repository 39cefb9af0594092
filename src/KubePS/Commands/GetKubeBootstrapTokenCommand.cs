using System.Management.Automation;
using KubePS.Core;
using KubePS.Core.Bootstrap;

namespace KubePS.Commands;

/// <summary>Lists the bootstrap tokens of the cluster, as kubeadm token list does, without their secrets.</summary>
/// <remarks>
/// <para>Get-KubeBootstrapToken reads the Secrets of type bootstrap.kubernetes.io/token in kube-system and returns one KubeBootstrapToken per token: id, time to live, expiry, usages, extra groups and description, the columns of kubeadm token list. Unlike kubeadm token list, the secret half of a token is never shown: the table shows the id, the object prints as abcdef.&lt;redacted&gt;. A Secret that is not a valid token is skipped with a warning.</para>
/// <para>The objects carry the token, so they can be piped to Get-KubeJoinCommand, Join-KubeNode or Remove-KubeBootstrapToken. The cluster is the one of -KubeConfig, else the current cluster of Connect-KubeCluster, else $env:KUBECONFIG, else ~/.kube/config.</para>
/// </remarks>
/// <example>
/// <code>Get-KubeBootstrapToken -KubeConfig ./admin.conf</code>
/// <para>Lists every bootstrap token with its TTL, expiry, usages, description and groups.</para>
/// </example>
/// <example>
/// <code>Get-KubeBootstrapToken -KubeConfig ./admin.conf | Where-Object { $_.Expires -lt (Get-Date).AddHours(1) } | Remove-KubeBootstrapToken -KubeConfig ./admin.conf</code>
/// <para>Deletes the tokens that expire within the hour.</para>
/// </example>
/// <example>
/// <code>Get-KubeBootstrapToken -Id abcdef -KubeConfig ./admin.conf | Get-KubeJoinCommand -KubeConfig ./admin.conf</code>
/// <para>Returns the join command for the token with id abcdef.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "KubeBootstrapToken")]
[OutputType(typeof(KubeBootstrapToken))]
public sealed class GetKubeBootstrapTokenCommand : KubeCmdlet
{
    /// <summary>
    /// <para>Only these token ids (the part before the dot). An id that does not exist is an error for that id.</para>
    /// </summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
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
        var ids = Id.Select(BootstrapTokens.ParseId).ToList();
        Run(async (sink, ct) =>
        {
            using var api = new KubePS.Core.Api.KubeApiClient(credentials);
            if (ids.Count == 0)
            {
                foreach (var t in await BootstrapTokens.ListAsync(api, sink, ct)) sink.WriteObject(t);
                return;
            }
            var found = new List<KubeBootstrapToken>();
            foreach (var id in ids)
                if (await BootstrapTokens.GetAsync(api, id, ct) is { } t) found.Add(t);
            foreach (var r in BootstrapTokens.Select(ids, found, credentials.Server.ToString()))
                if (r.Found is not null) sink.WriteObject(r.Found);
                else sink.WriteError(r.Error!);
        });
    }
}
