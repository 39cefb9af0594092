using KubePS.Core.Nodes;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Join;

/// <summary>
/// control-plane-prepare/download-certs: the shared certificates and keys of the kubeadm-certs Secret (decrypted with
/// the certificate key before any node was touched) written to the certificates directory, keys 0600 and
/// certificates 0644, as kubeadm's download-certs writes them. Only for a control-plane join with a key.
/// </summary>
sealed class DownloadCertsPhase : Phase<JoinContext>
{
    public override string Name => "control-plane-prepare/download-certs";
    public override string Summary => "Download certificates shared among control-plane nodes from the kubeadm-certs Secret";
    public override bool ShouldRun(JoinContext c) => c.IsControlPlane && c.Cluster.ControlPlaneFiles is not null;

    public override async Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct)
    {
        var files = c.Cluster.ControlPlaneFiles!.Select(f => new NodeFile(f.Path, f.Content, f.Mode)).ToList();
        await c.Node.WriteAsync(Name, files, ct).ConfigureAwait(false);
    }
}
