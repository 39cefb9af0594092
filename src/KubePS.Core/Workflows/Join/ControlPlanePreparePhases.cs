using System.Text;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Pki;
using KubePS.Core.Workflows.Init;

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

/// <summary>
/// control-plane-prepare/kubeconfig: admin.conf, controller-manager.conf and scheduler.conf for this node, signed by the
/// cluster CA (a control-plane join makes neither super-admin.conf nor kubelet.conf: the kubelet gets its own through the
/// TLS bootstrap). Runs init's kubeconfig phases for those roles.
/// </summary>
sealed class PrepareKubeConfigPhase : Phase<JoinContext>
{
    static readonly IReadOnlyList<KubeConfigPhase<JoinContext>> Roles =
    [
        new(KubeConfigRole.Admin, "Generate a kubeconfig file for the admin to use and for kubeadm itself"),
        new(KubeConfigRole.ControllerManager, "Generate a kubeconfig file for the controller manager to use"),
        new(KubeConfigRole.Scheduler, "Generate a kubeconfig file for the scheduler to use"),
    ];

    public override string Name => "control-plane-prepare/kubeconfig";
    public override string Summary => "Generate the kubeconfig for the new control plane components";
    public override bool ShouldRun(JoinContext c) => c.IsControlPlane;

    public override async Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct)
    {
        foreach (var phase in Roles) await phase.RunAsync(c, sink, ct).ConfigureAwait(false);
    }
}

/// <summary>control-plane-prepare/control-plane: this node's kube-apiserver, kube-controller-manager and kube-scheduler manifests.</summary>
sealed class PrepareControlPlanePhase : Phase<JoinContext>
{
    public override string Name => "control-plane-prepare/control-plane";
    public override string Summary => "Generate the manifests for the new control plane components";
    public override bool ShouldRun(JoinContext c) => c.IsControlPlane;

    public override async Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct)
    {
        foreach (var phase in ControlPlanePhase<JoinContext>.All) await phase.RunAsync(c, sink, ct).ConfigureAwait(false);
    }
}

/// <summary>A phase of init's run under a join's name, for control planes only (wait-control-plane, mark-control-plane).</summary>
sealed class ControlPlaneOnlyPhase(string name, Phase<JoinContext> inner) : Phase<JoinContext>
{
    public override string Name { get; } = name;
    public override string Summary => inner.Summary;
    public override bool ShouldRun(JoinContext c) => c.IsControlPlane && inner.ShouldRun(c);
    public override Task RunAsync(JoinContext c, IOperationSink sink, CancellationToken ct) => inner.RunAsync(c, sink, ct);
}
