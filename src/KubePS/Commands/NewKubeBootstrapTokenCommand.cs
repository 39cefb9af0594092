using System.Management.Automation;
using KubePS.Core.Bootstrap;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Configuration;

namespace KubePS.Commands;

/// <summary>Creates a bootstrap token in the cluster, as kubeadm token create does.</summary>
/// <remarks>
/// <para>New-KubeBootstrapToken stores a token as the Secret kube-system/bootstrap-token-&lt;id&gt; of type bootstrap.kubernetes.io/token, with kubeadm's defaults: valid 24 hours, usages signing and authentication, group system:bootstrappers:kubeadm:default-node-token. A new random token is generated unless -Token gives one; a token whose id exists already is refused.</para>
/// <para>The result is a KubeBootstrapToken. Its secret half is never shown: the object prints as abcdef.&lt;redacted&gt;, the table shows the id, and no verbose or error text contains it. Pipe the object to Get-KubeJoinCommand (or Join-KubeNode) to use it; call its Reveal() method only to hand the whole token to something outside KubePS.</para>
/// <para>The cluster is the one of -KubeConfig, else the current cluster of Connect-KubeCluster, else $env:KUBECONFIG, else ~/.kube/config.</para>
/// </remarks>
/// <example>
/// <code>New-KubeBootstrapToken -KubeConfig ./admin.conf</code>
/// <para>Creates a token valid for 24 hours that a node can join with, and shows its id and expiry.</para>
/// </example>
/// <example>
/// <code>New-KubeBootstrapToken -TTL 02:00:00 -Description 'rack 7 workers' -KubeConfig ./admin.conf | Get-KubeJoinCommand -KubeConfig ./admin.conf</code>
/// <para>Creates a two-hour token and returns the join command for it (redacted when shown; its Reveal() method gives the real command line).</para>
/// </example>
/// <example>
/// <code>New-KubeBootstrapToken -TTL 0 -Usage authentication -Group system:bootstrappers:kubeadm:default-node-token -KubeConfig ./admin.conf</code>
/// <para>Creates a token that never expires and can only authenticate a TLS bootstrap (no cluster-info signature), as kubeadm token create --ttl 0 --usages authentication does.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "KubeBootstrapToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KubeBootstrapToken))]
public sealed class NewKubeBootstrapTokenCommand : KubeCmdlet
{
    /// <summary>
    /// <para>The token to store, id.secret ([a-z0-9]{6}.[a-z0-9]{16}). Without it a random token is generated, which is what you normally want.</para>
    /// </summary>
    [Parameter]
    [BootstrapTokenTransformation]
    public BootstrapTokenString? Token { get; set; }

    /// <summary>
    /// <para>How long the token is valid, e.g. 02:00:00 or 1.00:00:00; 0 makes a token that never expires. The default is 24 hours.</para>
    /// </summary>
    [Parameter]
    [Alias("TimeToLive")]
    public TimeSpan TTL { get; set; } = BootstrapTokenSpec.DefaultTtl;

    /// <summary>
    /// <para>What the token may be used for: signing (cluster-info signatures, needed by token discovery) and authentication (the kubelet's TLS bootstrap). The default is both.</para>
    /// </summary>
    [Parameter]
    [ValidateSet("signing", "authentication")]
    public string[] Usage { get; set; } = ["signing", "authentication"];

    /// <summary>
    /// <para>Extra groups the token authenticates as, each system:bootstrappers:...; the default is system:bootstrappers:kubeadm:default-node-token, the group kubeadm's RBAC lets join. Needs the authentication usage.</para>
    /// </summary>
    [Parameter]
    public string[] Group { get; set; } = [BootstrapTokenSpec.DefaultGroup];

    /// <summary>
    /// <para>A note stored with the token, shown by Get-KubeBootstrapToken.</para>
    /// </summary>
    [Parameter]
    public string? Description { get; set; }

    /// <summary>
    /// <para>The kubeconfig of the cluster (e.g. admin.conf). Without it, the current cluster of Connect-KubeCluster, then $env:KUBECONFIG, then ~/.kube/config.</para>
    /// </summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    protected override void ProcessRecord()
    {
        var credentials = KubeClusterArgs.Connection(KubeClusterArgs.KubeConfigPath(this, KubeConfig)).Credentials();
        var request = new NewBootstrapTokenRequest
        {
            Token = Token,
            Ttl = TTL,
            Usages = Usage.Select(u => u.ToLowerInvariant()).Distinct().ToList(),
            Groups = Group,
            Description = Description,
        };
        Run(async (sink, ct) =>
        {
            BootstrapTokens.Render(request, DateTimeOffset.UtcNow);   // bad input fails before the cluster is contacted
            using var api = new KubePS.Core.Api.KubeApiClient(credentials);
            if (await BootstrapTokens.CreateAsync(api, request, sink, ct) is { } token) sink.WriteObject(token);
        });
    }
}
