using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.Bootstrap;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Operations;

namespace KubePS.Core.Workflows.Init;

/// <summary>
/// upload-certs (with -UploadCerts): the cluster CAs, the front-proxy CA, the service-account keys and the etcd CA (or
/// the external etcd client files), each encrypted with the certificate key (AES-256-GCM), in Secret
/// kube-system/kubeadm-certs, owned by a short-lived token (2h) so that the garbage collector removes it with the
/// token, and the Role that lets joining control planes read it. The key comes from the configuration's
/// certificateKey or is generated; it stays in the result (redacted when shown). When kubeadm-certs is already there,
/// its owner token has not expired and it decrypts with the key to the same files, nothing is uploaded again.
/// </summary>
public sealed class UploadCertsPhase : Phase<InitContext>
{
    public override string Name => "upload-certs";
    public override string Summary => "Upload the control-plane certificates to the kubeadm-certs Secret";
    public override bool ShouldRun(InitContext c) => c.Request.UploadCerts;

    public override async Task RunAsync(InitContext c, IOperationSink sink, CancellationToken ct)
    {
        var key = c.Configuration.Init?.CertificateKey ?? CertificateKey.Generate();
        var external = c.Configuration.Cluster.Etcd?.External is { } e
            ? new ExternalEtcdFiles(e.CAFile ?? "", e.CertFile ?? "", e.KeyFile ?? "")
            : null;
        var entries = UploadCertsObjects.FilesToUpload(c.CertificatesDir, external);
        var contents = entries.ToDictionary(x => x.SecretKey, x => c.Node.Current(x.Path), StringComparer.Ordinal);
        var cluster = await c.ClusterAsync(Name, ct).ConfigureAwait(false);

        var existing = await cluster.GetAsync(KubeResource.Secret, "kube-system", UploadCertsObjects.SecretName, ct).ConfigureAwait(false);
        if (existing is not null && await StillValidAsync(cluster, existing, key, contents, c.CertificatesDir, external, ct).ConfigureAwait(false))
        {
            sink.WriteVerbose($"{cluster.Target}: [{Name}] Secret kube-system/{UploadCertsObjects.SecretName} holds these certificates already, under this key");
        }
        else
        {
            var owner = await cluster.CreateAsync(Name, UploadCertsObjects.ProxyTokenSecret(DateTimeOffset.UtcNow), ct).ConfigureAwait(false);
            if (owner is null)
                cluster.RecordNotMade(Name, $"apply Secret kube-system/{UploadCertsObjects.SecretName}", "its owner token was not made");
            else
                await cluster.ApplyAsync(Name, UploadCertsObjects.CertsSecret(contents, key, KubeOwnerReference.Of(owner), external is not null), ct).ConfigureAwait(false);
        }
        await cluster.ApplyAsync(Name, UploadCertsObjects.Rbac(), ct).ConfigureAwait(false);
        c.CertificateKey = key;
    }

    static async Task<bool> StillValidAsync(ClusterApplier cluster, JsonObject secret, CertificateKey key, Dictionary<string, byte[]?> contents,
        string certificatesDir, ExternalEtcdFiles? external, CancellationToken ct)
    {
        var ownerName = (string?)(secret["metadata"]?["ownerReferences"] as JsonArray)?.FirstOrDefault()?["name"];
        if (ownerName is null) return false;
        var owner = await cluster.GetAsync(KubeResource.Secret, "kube-system", ownerName, ct).ConfigureAwait(false);
        if (owner is null || Expired(owner, TimeSpan.FromMinutes(15))) return false;
        try
        {
            var files = UploadCertsObjects.DecodeCertsSecret(secret, key, certificatesDir, external);
            var decoded = files.ToDictionary(f => f.SecretKey, f => f.Content, StringComparer.Ordinal);
            foreach (var (name, content) in contents)
            {
                bool stored = decoded.TryGetValue(name, out var value);
                if (content is null ? stored : !stored || !value!.AsSpan().SequenceEqual(content)) return false;
            }
            return true;
        }
        catch (KubeException e) when (e.ErrorId is "Bootstrap.CertificateKeyMismatch" or "ClusterObjects.KubeadmCertsIncomplete")
        {
            return false;
        }
    }

    /// <summary>True when a token Secret's expiration is past, or closer than <paramref name="margin"/>.</summary>
    internal static bool Expired(JsonObject tokenSecret, TimeSpan margin)
    {
        if ((string?)tokenSecret["data"]?["expiration"] is not { } b64) return false;
        string text;
        try { text = Encoding.UTF8.GetString(Convert.FromBase64String(b64)); }
        catch (FormatException) { return true; }
        return !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) || at - margin <= DateTimeOffset.UtcNow;
    }
}
