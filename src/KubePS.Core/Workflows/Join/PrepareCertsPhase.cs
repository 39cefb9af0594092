using System.Text;
using KubePS.Core.Operations;
using KubePS.Core.Workflows.Init;

namespace KubePS.Core.Workflows.Join;

/// <summary>
/// control-plane-prepare/certs: this node's own certificates (apiserver with this node's SANs, apiserver-kubelet-client,
/// front-proxy-client, etcd server, peer and healthcheck-client, apiserver-etcd-client), signed by the cluster's CAs,
/// which must be on the node already (downloaded, or copied by hand): a missing CA is an error, never a new CA, and a
/// CA that is not the discovered cluster CA is refused. Runs init's certs phases, which reuse what the node holds.
/// </summary>
sealed class PrepareCertsPhase : Phase<JoinContext>
{
    public override string Name => "control-plane-prepare/certs";
    public override string Summary => "Generate the certificates for the new control plane components";
    public override bool ShouldRun(JoinContext c) => c.IsControlPlane;

    public override async Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct)
    {
        var required = new List<string> { "ca.crt", "ca.key", "sa.key", "sa.pub", "front-proxy-ca.crt", "front-proxy-ca.key" };
        if (!c.Configuration.IsExternalEtcd) required.AddRange(["etcd/ca.crt", "etcd/ca.key"]);
        var missing = required.Where(f => !c.Node.Exists(c.CertPath(f))).ToList();
        if (missing.Count > 0)
            throw new KubeException("Join.CertificatesMissing",
                $"{c.Node.HostName}: a control-plane join needs the cluster's shared certificates and keys, and {string.Join(", ", missing.Select(c.CertPath))} {(missing.Count == 1 ? "is" : "are")} not on the node.",
                KubeErrorCategory.ObjectNotFound, c.Node.HostName,
                "Join with -CertificateKey (the key of Initialize-KubeControlPlane -UploadCerts or Publish-KubeControlPlaneCertificate), or copy the files from a control plane.");
        if (Encoding.ASCII.GetString(c.Node.Current(c.CertPath("ca.crt"))!).Trim() != c.Cluster.CACertificatePem.Trim())
            throw new KubeException("Join.OtherCluster",
                $"{c.Node.HostName}: {c.CertPath("ca.crt")} is not the CA of the cluster being joined ({c.Cluster.Discovered.CACertHashes.FirstOrDefault()}).",
                KubeErrorCategory.InvalidOperation, c.Node.HostName, "Reset the node, or join with the certificate key of this cluster's upload.");
        foreach (var phase in CertificatePhase<JoinContext>.All.Where(p => p.ShouldRun(c)))
            await phase.RunAsync(c, sink, ct).ConfigureAwait(false);
    }
}
