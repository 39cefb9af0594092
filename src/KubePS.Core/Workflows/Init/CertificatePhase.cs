using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Pki;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// certs/&lt;name&gt;: one certificate and key of kubeadm's table (or the service-account key pair for certs/sa) on the
/// node. The whole set is built once by the context (reusing what the node holds under kubeadm's rules); each phase
/// writes its own files, so <c>-Phase certs/apiserver</c> renews nothing else. A leaf needs its CA on the node. Made
/// from the certificate table rather than one class per certificate: the phases differ only by their row.
/// </summary>
public sealed class CertificatePhase<TContext>(string certificate, string summary) : Phase<TContext> where TContext : ControlPlaneContext
{
    /// <summary>kubeadm's certs phases in kubeadm's order, with kubeadm's descriptions.</summary>
    public static IReadOnlyList<CertificatePhase<TContext>> All { get; } =
    [
        new("ca", "Generate the self-signed Kubernetes CA to provision identities for other Kubernetes components"),
        new("apiserver", "Generate the certificate for serving the Kubernetes API"),
        new("apiserver-kubelet-client", "Generate the certificate for the API server to connect to kubelet"),
        new("front-proxy-ca", "Generate the self-signed CA to provision identities for front proxy"),
        new("front-proxy-client", "Generate the certificate for the front proxy client"),
        new("etcd-ca", "Generate the self-signed CA to provision identities for etcd"),
        new("etcd-server", "Generate the certificate for serving etcd"),
        new("etcd-peer", "Generate the certificate for etcd nodes to communicate with each other"),
        new("etcd-healthcheck-client", "Generate the certificate for liveness probes to healthcheck etcd"),
        new("apiserver-etcd-client", "Generate the certificate the apiserver uses to access etcd"),
        new("sa", "Generate a private key for signing service account tokens along with its public key"),
    ];

    public string Certificate { get; } = certificate;
    public override string Name => "certs/" + Certificate;
    public override string Summary { get; } = summary;

    /// <summary>The etcd certificates only exist with a local etcd.</summary>
    public override bool ShouldRun(TContext c) =>
        Certificate == "sa" || CertificateProfiles.For(c.Configuration.IsExternalEtcd).Any(p => p.Name == Certificate);

    public override async Task RunAsync(TContext c, IOperationSink sink, CancellationToken ct)
    {
        var pki = c.Pki;
        IReadOnlyList<PkiFile> files;
        if (Certificate == "sa")
            files = pki.GetFiles().Where(f => f.RelativePath is "sa.key" or "sa.pub").ToList();
        else
        {
            var profile = CertificateProfiles.Get(Certificate);
            if (profile.CAName is { } ca) c.RequireOnNode(ca, Name);
            files = pki.GetFiles().Where(f => f.RelativePath == profile.CertificateFile || f.RelativePath == profile.KeyFile).ToList();
            var cert = pki.Get(Certificate);
            if (cert.Origin != CertificateOrigin.Generated)
                sink.WriteVerbose($"{c.Node.HostName}: [{Name}] using the existing {Certificate} certificate{(cert.HasPrivateKey ? " and key" : "")}");
        }
        var nodeFiles = files.Select(f => new NodeFile(c.CertPath(f.RelativePath), f.Content, (int)f.Mode)).ToList();
        await c.Node.WriteAsync(Name, nodeFiles, ct).ConfigureAwait(false);
    }
}
