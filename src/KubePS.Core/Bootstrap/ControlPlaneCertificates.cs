using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Configuration;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;

namespace KubePS.Core.Bootstrap;

/// <summary>
/// The control-plane certificates uploaded to kube-system/kubeadm-certs: where they came from, which files, the key
/// they are encrypted with (redacted when shown; <c>CertificateKey.Reveal()</c> hands it on) and when the Secret goes
/// away with its owner token.
/// </summary>
public sealed class KubeCertificateUpload
{
    internal KubeCertificateUpload(string source, CertificateKey key, DateTimeOffset expires, IReadOnlyList<string> files, IReadOnlyList<string> missing,
        bool externalEtcd, string ownerTokenId)
    {
        Source = source; CertificateKey = key; Expires = expires; Files = files; Missing = missing; ExternalEtcd = externalEtcd; OwnerTokenId = ownerTokenId;
    }

    /// <summary>The node (or local folder) the files were read from.</summary>
    public string Source { get; }

    /// <summary>The AES-256 key of the upload; prints as &lt;redacted&gt;. Join-KubeNode and Get-KubeJoinCommand take it by name.</summary>
    public CertificateKey CertificateKey { get; }

    /// <summary>When the owner token expires, and the garbage collector removes kubeadm-certs with it (UTC).</summary>
    public DateTimeOffset Expires { get; }

    /// <summary>The Secret keys uploaded (ca.crt, ca.key, ..., etcd-ca.key).</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Secret keys whose file the source did not have (stored empty, as kubeadm does).</summary>
    public IReadOnlyList<string> Missing { get; }

    public bool ExternalEtcd { get; }

    /// <summary>The id of the short-lived token that owns kubeadm-certs.</summary>
    public string OwnerTokenId { get; }

    /// <summary>kube-system/kubeadm-certs.</summary>
    public string SecretName => "kube-system/" + UploadCertsObjects.SecretName;

    public override string ToString() => $"{SecretName} from {Source}: {Files.Count} files, key <redacted>, expires {BootstrapTokenObjects.Rfc3339(Expires)}";
}

/// <summary>
/// kubeadm init phase upload-certs --upload-certs (kubeadm-facts §6.4): reads the shared CAs, service-account keys and
/// etcd CA (or the external etcd client files) of a control-plane node, encrypts each with the certificate key
/// (a new one unless given), and stores them in kube-system/kubeadm-certs, owned by a new 2-hour token so that the
/// Secret disappears with it; plus the Role and RoleBinding that let joining nodes read it. Where the files are and
/// whether etcd is external comes from the cluster's kubeadm-config ConfigMap. An existing kubeadm-certs is replaced
/// whole (as kubeadm's create-or-update does), so that the old owner token no longer owns it.
/// </summary>
public static class ControlPlaneCertificates
{
    /// <summary>Reads the files from a control-plane node's session.</summary>
    public static Task<KubeCertificateUpload?> PublishAsync(KubeApiClient api, KubeNodeSession node, CertificateKey? key, IOperationSink sink, CancellationToken ct) =>
        PublishAsync(api, node.HostName, (paths, c) => node.ReadFilesAsync(paths, c), null, key, sink, ct);

    /// <summary>Reads the files from a local folder laid out like /etc/kubernetes/pki (external etcd files from their own paths).</summary>
    public static Task<KubeCertificateUpload?> PublishFromDirectoryAsync(KubeApiClient api, string directory, CertificateKey? key, IOperationSink sink, CancellationToken ct)
    {
        if (!Directory.Exists(directory))
            throw new KubeException("Bootstrap.CertificatesDirNotFound", $"The folder {directory} does not exist.", KubeErrorCategory.ObjectNotFound, directory,
                "Give a folder laid out like /etc/kubernetes/pki (ca.crt, ca.key, sa.key, etcd/ca.crt, ...).");
        return PublishAsync(api, directory, (paths, _) =>
        {
            var result = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
            foreach (var p in paths) result[p] = File.Exists(p) ? File.ReadAllBytes(p) : null;
            return Task.FromResult<IReadOnlyDictionary<string, byte[]?>>(result);
        }, directory, key, sink, ct);
    }

    static async Task<KubeCertificateUpload?> PublishAsync(KubeApiClient api, string source,
        Func<IReadOnlyList<string>, CancellationToken, Task<IReadOnlyDictionary<string, byte[]?>>> read, string? localDirectory,
        CertificateKey? key, IOperationSink sink, CancellationToken ct)
    {
        var (certificatesDir, external) = await ClusterLayoutAsync(api, sink, ct).ConfigureAwait(false);
        var entries = UploadCertsObjects.FilesToUpload(certificatesDir, external);
        string Local(string path) => localDirectory is not null && path.StartsWith(certificatesDir.TrimEnd('/') + "/", StringComparison.Ordinal)
            ? Path.Combine(localDirectory, path[(certificatesDir.TrimEnd('/').Length + 1)..])
            : path;
        var files = await read(entries.Select(e => Local(e.Path)).ToList(), ct).ConfigureAwait(false);
        var contents = entries.ToDictionary(e => e.SecretKey, e => files.TryGetValue(Local(e.Path), out var b) ? b : null, StringComparer.Ordinal);
        var required = external is null ? new[] { "ca.crt", "ca.key", "sa.key", "sa.pub", "etcd-ca.crt", "etcd-ca.key" } : ["ca.crt", "ca.key", "sa.key", "sa.pub"];
        var lacking = required.Where(k => contents[k] is null).ToList();
        if (lacking.Count > 0)
            throw new KubeException("Bootstrap.NotAControlPlane",
                $"{source} lacks {string.Join(", ", lacking.Select(k => entries.First(e => e.SecretKey == k).Path))}: it does not hold a control plane's shared certificates and keys.",
                KubeErrorCategory.ObjectNotFound, source, "Upload from a control-plane node made by Initialize-KubeControlPlane (or kubeadm init).");

        key ??= CertificateKey.Generate();
        var now = DateTimeOffset.UtcNow;
        const string target = "Secret kube-system/" + UploadCertsObjects.SecretName;
        if (!await sink.ShouldChangeAsync(target, $"Upload the control-plane certificates of {source}, encrypted with a certificate key", ct).ConfigureAwait(false))
            return null;

        var owner = await api.CreateAsync(UploadCertsObjects.ProxyTokenSecret(now), ct).ConfigureAwait(false);
        var ownerToken = BootstrapTokens.FromSecret(owner, out _)!;
        var secret = UploadCertsObjects.CertsSecret(contents, key, KubeOwnerReference.Of(owner), external is not null);
        var existing = await api.GetAsync(KubeResource.Secret, "kube-system", UploadCertsObjects.SecretName, ct).ConfigureAwait(false);
        if (existing is null)
            await api.CreateAsync(secret, ct).ConfigureAwait(false);
        else
        {
            ((JsonObject)secret["metadata"]!)["resourceVersion"] = (string?)existing["metadata"]?["resourceVersion"];
            await api.ReplaceAsync(secret, ct).ConfigureAwait(false);
        }
        foreach (var o in UploadCertsObjects.Rbac()) await api.ApplyAsync(o, true, ct).ConfigureAwait(false);

        var uploaded = contents.Where(kv => kv.Value is not null).Select(kv => kv.Key).ToList();
        var missing = contents.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList();
        sink.WriteVerbose($"{api.Credentials.Server}: {(existing is null ? "created" : "replaced")} {target} with {uploaded.Count} files of {source} ({string.Join(", ", uploaded)}), owned by token {ownerToken.Id} until {BootstrapTokenObjects.Rfc3339(ownerToken.Expires!.Value)}");
        return new KubeCertificateUpload(source, key, ownerToken.Expires!.Value, uploaded, missing, external is not null, ownerToken.Id);
    }

    /// <summary>certificatesDir and external etcd from kube-system/kubeadm-config, kubeadm's defaults when it is not there.</summary>
    static async Task<(string CertificatesDir, ExternalEtcdFiles? External)> ClusterLayoutAsync(KubeApiClient api, IOperationSink sink, CancellationToken ct)
    {
        var cm = await api.GetAsync(KubeResource.ConfigMap, "kube-system", "kubeadm-config", ct).ConfigureAwait(false);
        var yaml = (string?)cm?["data"]?["ClusterConfiguration"];
        if (yaml is null)
        {
            sink.WriteWarning($"{api.Credentials.Server}: no kube-system/kubeadm-config ClusterConfiguration; assuming certificatesDir {KubeadmDefaults.CertificatesDir} and local etcd.");
            return (KubeadmDefaults.CertificatesDir, null);
        }
        var cluster = KubeClusterConfiguration.Parse(yaml, "kube-system/kubeadm-config").Cluster;
        var dir = string.IsNullOrEmpty(cluster.CertificatesDir) ? KubeadmDefaults.CertificatesDir : cluster.CertificatesDir;
        var external = cluster.Etcd?.External is { } e ? new ExternalEtcdFiles(e.CAFile ?? "", e.CertFile ?? "", e.KeyFile ?? "") : null;
        return (dir, external);
    }
}
