using System.Management.Automation;
using KubePS.Core.Nodes;
using KubePS.Core.Pki;

namespace KubePS.Commands;

/// <summary>Lists when a node's certificates and kubeconfig client certificates expire, as kubeadm certs check-expiration does, locally or across the fleet over node sessions.</summary>
/// <remarks>
/// <para>Get-KubeCertificate reads every kubeadm certificate in the certificates folder and the client certificates of admin.conf, controller-manager.conf, scheduler.conf and super-admin.conf in the folder above it (or -KubeConfigPath), and returns one object per certificate: Name, NotAfter, ResidualTime, CAName, ExternallyManaged (the CA's key is absent) and Path. Certificates come first, then the CAs.</para>
/// <para>With -Session it reads the nodes themselves, all of them in parallel, each in one round trip: on control-plane nodes (those that hold apiserver.crt or admin.conf) every certificate and kubeconfig client certificate as above, and on every node the kubelet's client certificate (kubelet.conf, embedded or the kubelet-client-current.pem it names), which the kubelet rotates itself and which is therefore marked ExternallyManaged. Each row carries the node's HostName, so the rows pipe into Update-KubeCertificate. -Path and -KubeConfigPath are then folders on the nodes. The CA keys are read only to see that they exist.</para>
/// </remarks>
/// <example>
/// <code>Get-KubeCertificate -Path /etc/kubernetes/pki</code>
/// <para>Shows the expiry table of a control-plane node, run on the node itself.</para>
/// </example>
/// <example>
/// <code>Get-KubeCertificate -Path ./pki | Where-Object ResidualTime -lt (New-TimeSpan -Days 30)</code>
/// <para>Lists the certificates that expire within 30 days.</para>
/// </example>
/// <example>
/// <code>Get-KubeNodeSession | Get-KubeCertificate | Sort-Object NotAfter | Select-Object -First 5 HostName, Name, NotAfter</code>
/// <para>Shows the five certificates of the whole fleet that expire first, with the node each one is on.</para>
/// </example>
/// <example>
/// <code>$cps = Get-KubeNodeSession -HostName cp*
/// Get-KubeCertificate -Session $cps | Where-Object ResidualTime -lt (New-TimeSpan -Days 30) | Update-KubeCertificate</code>
/// <para>Renews, on every control-plane node, the certificates that expire within 30 days.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "KubeCertificate", DefaultParameterSetName = PathSet)]
[OutputType(typeof(KubeCertificateExpiration))]
public sealed class GetKubeCertificateCommand : KubeCmdlet
{
    const string PathSet = "Path", SessionSet = "Session";

    /// <summary>
    /// <para>The certificates folder, e.g. /etc/kubernetes/pki. With -Session, the folder on the nodes (default /etc/kubernetes/pki).</para>
    /// </summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = SessionSet)]
    [Alias("FullName")]
    public string Path { get; set; } = "/etc/kubernetes/pki";

    /// <summary>
    /// <para>The folder of the kubeconfig files. The default is the certificates folder's parent (/etc/kubernetes); with -Session, /etc/kubernetes on the nodes.</para>
    /// </summary>
    [Parameter]
    public string? KubeConfigPath { get; set; }

    /// <summary>
    /// <para>Node sessions (New-KubeNodeSession, Get-KubeNodeSession) to read the certificates from, over SSH.</para>
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = SessionSet)]
    [ValidateNotNull]
    public KubeNodeSession[] Session { get; set; } = [];

    /// <summary>
    /// <para>How many nodes are read at the same time (default 32).</para>
    /// </summary>
    [Parameter(ParameterSetName = SessionSet)]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = NodeFleet.DefaultThrottleLimit;

    readonly List<KubeNodeSession> _sessions = [];

    protected override void ProcessRecord()
    {
        if (ParameterSetName == SessionSet)
        {
            _sessions.AddRange(Session);
            return;
        }
        var folder = CommandArgs.FullPath(this, Path);
        var kubeconfigs = KubeConfigPath is null ? null : CommandArgs.FullPath(this, KubeConfigPath);
        Run(sink =>
        {
            foreach (var row in CertificateInventory.Get(folder, kubeconfigs)) sink.WriteObject(row);
        });
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName != SessionSet || _sessions.Count == 0) return;
        var paths = new NodeCertificatePaths
        {
            CertificatesDir = Path,
            KubeConfigDir = KubeConfigPath ?? (System.IO.Path.GetDirectoryName(Path.TrimEnd('/'))?.Replace('\\', '/') is { Length: > 0 } parent ? parent : "/etc/kubernetes"),
        };
        Run(async (sink, ct) =>
        {
            paths.Validate();
            var results = await NodeFleet.RunAsync(_sessions.Distinct().ToList(), "Reading certificates",
                (s, t) => NodeCertificateInventory.GetAsync(s, paths, t), sink, ThrottleLimit, ct);
            foreach (var r in results.Where(r => r.Succeeded))
                foreach (var row in r.Value!) sink.WriteObject(row);
        });
    }
}
