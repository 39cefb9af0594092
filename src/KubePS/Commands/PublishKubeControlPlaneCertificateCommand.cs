using System.Management.Automation;
using KubePS.Core.Bootstrap;
using KubePS.Core.Nodes;

namespace KubePS.Commands;

/// <summary>Uploads a control plane's shared certificates for control-plane joins, as kubeadm init phase upload-certs --upload-certs does.</summary>
/// <remarks>
/// <para>Publish-KubeControlPlaneCertificate reads the cluster CA, front-proxy CA, service-account key pair and etcd CA (or, for an external etcd, its client files) of a control-plane node, encrypts each with AES-256-GCM under the certificate key, and stores them in the Secret kube-system/kubeadm-certs, owned by a new bootstrap token that expires in two hours so that the Secret disappears with it. Joining control planes read it with the key. Where the files are (certificatesDir) and whether etcd is external come from the cluster's kubeadm-config ConfigMap.</para>
/// <para>Run it when the two hours of the upload made by Initialize-KubeControlPlane -UploadCerts are over. A new key is generated unless -CertificateKey gives one; an older upload is replaced. The result holds the key, shown as &lt;redacted&gt;: pipe it to Get-KubeJoinCommand -AsControlPlane or Join-KubeNode -AsControlPlane, or call $result.CertificateKey.Reveal() to hand the key to kubeadm.</para>
/// <para>The files come from a node's session (-Session), or from a local folder laid out like /etc/kubernetes/pki (-Path). The cluster is the one of -KubeConfig, else the current cluster of Connect-KubeCluster, else $env:KUBECONFIG, else ~/.kube/config.</para>
/// </remarks>
/// <example>
/// <code>Publish-KubeControlPlaneCertificate -Session (Get-KubeNodeSession -HostName cp1) -KubeConfig ./admin.conf</code>
/// <para>Uploads cp1's certificates with a new key, valid for two hours.</para>
/// </example>
/// <example>
/// <code>$upload = Publish-KubeControlPlaneCertificate -Path ./pki -KubeConfig ./admin.conf
/// $upload.CertificateKey.Reveal()</code>
/// <para>Uploads the certificates of a local PKI folder and prints the key, for a kubeadm join --control-plane --certificate-key on a node.</para>
/// </example>
[Cmdlet(VerbsData.Publish, "KubeControlPlaneCertificate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = SessionSet)]
[OutputType(typeof(KubeCertificateUpload))]
public sealed class PublishKubeControlPlaneCertificateCommand : KubeCmdlet
{
    const string SessionSet = "Session", PathSet = "Path";

    /// <summary>
    /// <para>The session of a control-plane node whose certificates are uploaded (New-KubeNodeSession, Get-KubeNodeSession).</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = SessionSet)]
    public KubeNodeSession? Session { get; set; }

    /// <summary>
    /// <para>A local folder laid out like /etc/kubernetes/pki (ca.crt, ca.key, front-proxy-ca.*, sa.*, etcd/ca.*), e.g. a backup of a control plane's PKI.</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    public string Path { get; set; } = "";

    /// <summary>
    /// <para>The key to encrypt with, 64 hex characters. Without it a new random key is made (what kubeadm does without --certificate-key).</para>
    /// </summary>
    [Parameter]
    [CertificateKeyTransformation]
    public CertificateKey? CertificateKey { get; set; }

    /// <summary>
    /// <para>The kubeconfig of the cluster (e.g. admin.conf). Without it, the current cluster of Connect-KubeCluster, then $env:KUBECONFIG, then ~/.kube/config.</para>
    /// </summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    protected override void ProcessRecord()
    {
        var credentials = KubeClusterArgs.Connection(KubeClusterArgs.KubeConfigPath(this, KubeConfig)).Credentials();
        var path = ParameterSetName == PathSet ? CommandArgs.FullPath(this, Path) : null;
        Run(async (sink, ct) =>
        {
            using var api = new KubePS.Core.Api.KubeApiClient(credentials);
            var upload = path is not null
                ? await ControlPlaneCertificates.PublishFromDirectoryAsync(api, path, CertificateKey, sink, ct)
                : await ControlPlaneCertificates.PublishAsync(api, Session!, CertificateKey, sink, ct);
            if (upload is not null) sink.WriteObject(upload);
        });
    }
}
