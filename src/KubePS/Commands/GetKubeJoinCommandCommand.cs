using System.Management.Automation;
using KubePS.Core.Bootstrap;

namespace KubePS.Commands;

/// <summary>Returns what a node needs to join the cluster: the kubeadm join command line, redacted until asked for.</summary>
/// <remarks>
/// <para>Get-KubeJoinCommand returns a KubeJoinCommand: the API server endpoint and the CA pins (both from the kubeconfig used, as kubeadm token create --print-join-command takes them from admin.conf), a bootstrap token, and for -AsControlPlane the certificate key. Without -Token it picks the cluster's usable token that lives longest (usages signing and authentication, the default node-token group); it creates nothing, so when there is none, create one with New-KubeBootstrapToken and pipe it in.</para>
/// <para>Secrets stay out of every stream: the object's CommandLine property, its ToString() and its table view show the token as abcdef.&lt;redacted&gt; and the certificate key as &lt;redacted&gt;, so the object can be displayed, logged or written to a transcript. The real command line is returned only by its Reveal() method: (Get-KubeJoinCommand).Reveal() prints the command a kubeadm user would run on the node. Join-KubeNode takes the object itself from the pipeline, so a KubePS join never needs the revealed text.</para>
/// <para>With -AsControlPlane -CertificateKey, the key is checked against the kubeadm-certs Secret before the command is returned: the Secret must exist, its owner token must not have expired (uploads last two hours) and every file must decrypt with the key. Publish-KubeControlPlaneCertificate uploads the certificates again with a new key.</para>
/// <para>The cluster is the one of -KubeConfig, else the current cluster of Connect-KubeCluster, else $env:KUBECONFIG, else ~/.kube/config.</para>
/// </remarks>
/// <example>
/// <code>(Get-KubeJoinCommand -KubeConfig ./admin.conf).Reveal()</code>
/// <para>Prints the kubeadm join command line for a worker, with the real token, to copy to a node by hand.</para>
/// </example>
/// <example>
/// <code>New-KubeBootstrapToken -KubeConfig ./admin.conf | Get-KubeJoinCommand -KubeConfig ./admin.conf</code>
/// <para>Creates a token and shows the (redacted) join command for it.</para>
/// </example>
/// <example>
/// <code>Publish-KubeControlPlaneCertificate -Session (Get-KubeNodeSession -HostName cp1) -KubeConfig ./admin.conf | Get-KubeJoinCommand -AsControlPlane -KubeConfig ./admin.conf</code>
/// <para>Uploads cp1's certificates with a new key and returns the control-plane join command with that key.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "KubeJoinCommand", DefaultParameterSetName = TokenSet)]
[OutputType(typeof(KubeJoinCommand))]
public sealed class GetKubeJoinCommandCommand : KubeCmdlet
{
    const string TokenSet = "Token", IdSet = "TokenId";

    /// <summary>
    /// <para>The token to join with: a token object from New-KubeBootstrapToken or Get-KubeBootstrapToken (also through the pipeline). It must still exist in the cluster.</para>
    /// </summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = TokenSet)]
    [Alias("BootstrapToken")]
    public KubeBootstrapToken? Token { get; set; }

    /// <summary>
    /// <para>Or the id of the token to join with (its secret is read from the cluster).</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet)]
    public string? TokenId { get; set; }

    /// <summary>
    /// <para>A control-plane join (kubeadm join --control-plane).</para>
    /// </summary>
    [Parameter]
    public SwitchParameter AsControlPlane { get; set; }

    /// <summary>
    /// <para>For -AsControlPlane: the key the control-plane certificates were uploaded with (64 hex characters, or the CertificateKey of Publish-KubeControlPlaneCertificate's result, which binds from the pipeline). It is checked against the kubeadm-certs Secret. Ignored without -AsControlPlane.</para>
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [CertificateKeyTransformation]
    public CertificateKey? CertificateKey { get; set; }

    /// <summary>
    /// <para>The kubeconfig of the cluster (e.g. admin.conf); its server and CA are the endpoint and pins of the join command. Without it, the current cluster of Connect-KubeCluster, then $env:KUBECONFIG, then ~/.kube/config.</para>
    /// </summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    protected override void ProcessRecord()
    {
        var credentials = KubeClusterArgs.Connection(KubeClusterArgs.KubeConfigPath(this, KubeConfig)).Credentials();
        var request = new JoinCommandRequest
        {
            Token = Token,
            TokenId = TokenId,
            AsControlPlane = AsControlPlane,
            // A worker's join command has no key, also when a piped object (a control plane, an upload) carries one.
            CertificateKey = AsControlPlane ? CertificateKey : null,
        };
        Run(async (sink, ct) =>
        {
            using var api = new KubePS.Core.Api.KubeApiClient(credentials);
            sink.WriteObject(await JoinCommands.GetAsync(api, request, sink, ct));
        });
    }
}
