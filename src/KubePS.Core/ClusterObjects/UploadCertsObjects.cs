using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.Bootstrap;
using KubePS.Core.Configuration;
using static KubePS.Core.ClusterObjects.KubeObjects;

namespace KubePS.Core.ClusterObjects;

/// <summary>The certificate and key files of an external etcd that upload-certs shares (etcd.external.caFile/certFile/keyFile).</summary>
public sealed record ExternalEtcdFiles(string CAFile, string CertFile, string KeyFile);

/// <summary>One file upload-certs shares: its key in the kubeadm-certs Secret and its path on a control-plane node.</summary>
public sealed record KubeadmCertsEntry(string SecretKey, string Path);

/// <summary>A file decrypted from the kubeadm-certs Secret, to write on a joining control plane. Content is never printed.</summary>
public sealed record KubeadmCertsFile(string SecretKey, string Path, byte[] Content, int Mode)
{
    public override string ToString() => $"{Path} ({Content.Length} bytes, {Convert.ToString(Mode, 8).PadLeft(4, '0')})";
}

/// <summary>Who owns an object: an ownerReference to an object the API server has already created (its uid is known).</summary>
public sealed record KubeOwnerReference(string ApiVersion, string Kind, string Name, string Uid)
{
    /// <summary>The reference to an object as the API server returned it from create or apply (it must carry metadata.uid).</summary>
    public static KubeOwnerReference Of(JsonObject created)
    {
        string? uid = (string?)created["metadata"]?["uid"];
        string? name = (string?)created["metadata"]?["name"];
        string? apiVersion = (string?)created["apiVersion"];
        string? kind = (string?)created["kind"];
        if (string.IsNullOrEmpty(uid) || string.IsNullOrEmpty(name) || string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind))
            throw new KubeException("ClusterObjects.OwnerNotCreated",
                $"The owner object {kind} {name} has no metadata.uid: it is a rendered object, not one the API server returned.",
                KubeErrorCategory.InvalidArgument, name, "Create the owner first and pass the object the API server returned.");
        return new KubeOwnerReference(apiVersion, kind, name, uid);
    }

    /// <summary>A controller reference, as metav1.NewControllerRef makes it (controller and blockOwnerDeletion true).</summary>
    internal JsonObject ToJson() => new()
    {
        ["apiVersion"] = ApiVersion,
        ["kind"] = Kind,
        ["name"] = Name,
        ["uid"] = Uid,
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };
}

/// <summary>
/// Phase upload-certs (kubeadm-facts.md §6.4) and its counterpart download-certs on control-plane join.
/// Run order for the workflow: render <see cref="ProxyTokenSecret"/>, create it, pass what the API server returned to
/// <see cref="KubeOwnerReference.Of"/>, read the files of <see cref="FilesToUpload"/> from the node, render
/// <see cref="CertsSecret"/> with that owner, apply it and <see cref="Rbac"/>. When the short-lived token expires the
/// garbage collector deletes kubeadm-certs with it.
/// </summary>
public static class UploadCertsObjects
{
    public const string SecretName = "kubeadm-certs";
    public const string RoleName = "kubeadm:kubeadm-certs";
    public const string ProxyTokenDescription = "Proxy for managing TTL for the kubeadm-certs secret";
    public static readonly TimeSpan ProxyTokenTtl = TimeSpan.FromHours(2);

    /// <summary>
    /// The files to upload and their Secret keys (file name with '/' replaced by '-'): ca.crt/key,
    /// front-proxy-ca.crt/key, sa.key/pub, and etcd/ca.crt/key for local etcd or the external etcd CA, cert and key
    /// as external-etcd-ca.crt, external-etcd.crt, external-etcd.key.
    /// </summary>
    public static IReadOnlyList<KubeadmCertsEntry> FilesToUpload(string certificatesDir = "/etc/kubernetes/pki", ExternalEtcdFiles? externalEtcd = null)
    {
        if (string.IsNullOrWhiteSpace(certificatesDir) || !certificatesDir.StartsWith('/'))
            throw new KubeException("ClusterObjects.InvalidCertificatesDir", $"The certificates directory '{certificatesDir}' is not an absolute path.",
                KubeErrorCategory.InvalidArgument, certificatesDir, "Use kubeadm's default /etc/kubernetes/pki or another absolute path.");
        string dir = certificatesDir.TrimEnd('/');
        var list = new List<KubeadmCertsEntry>();
        foreach (var f in new[] { "ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub" })
            list.Add(new(f, $"{dir}/{f}"));
        if (externalEtcd is null)
        {
            list.Add(new("etcd-ca.crt", $"{dir}/etcd/ca.crt"));
            list.Add(new("etcd-ca.key", $"{dir}/etcd/ca.key"));
        }
        else
        {
            list.Add(new("external-etcd-ca.crt", externalEtcd.CAFile));
            list.Add(new("external-etcd.crt", externalEtcd.CertFile));
            list.Add(new("external-etcd.key", externalEtcd.KeyFile));
        }
        return list;
    }

    /// <summary>
    /// The short-lived token Secret that owns kubeadm-certs: a fresh random token, description "Proxy for managing
    /// TTL for the kubeadm-certs secret", expiring 2 h after <paramref name="now"/>, no usages and no groups (kubeadm's
    /// copycerts sets only description and TTL, so nobody can authenticate with it). Its secret is never needed again.
    /// </summary>
    public static JsonObject ProxyTokenSecret(DateTimeOffset now) =>
        BootstrapTokenObjects.Secret(new BootstrapTokenSpec(BootstrapTokenString.Generate().Reveal())
        {
            Description = ProxyTokenDescription,
            Ttl = ProxyTokenTtl,
            Usages = [],
            Groups = [],
        }, now);

    /// <summary>
    /// Secret kube-system/kubeadm-certs (Opaque): each file's content encrypted with <paramref name="key"/>
    /// (AES-256-GCM, nonce prepended); a file missing on the node (null or absent in <paramref name="contents"/>) is
    /// stored as an empty value, as kubeadm does. <paramref name="contents"/> is keyed by Secret key
    /// (<see cref="KubeadmCertsEntry.SecretKey"/>); keys outside <see cref="FilesToUpload"/> are an error. The owner is
    /// the proxy token Secret as created (<see cref="KubeOwnerReference.Of"/>), which only exists at run time.
    /// </summary>
    public static JsonObject CertsSecret(IReadOnlyDictionary<string, byte[]?> contents, CertificateKey key, KubeOwnerReference owner, bool externalEtcd = false)
    {
        var expected = FilesToUpload(externalEtcd: externalEtcd ? new ExternalEtcdFiles("/ca", "/cert", "/key") : null).Select(e => e.SecretKey).ToList();
        foreach (var k in contents.Keys)
            if (!expected.Contains(k))
                throw new KubeException("ClusterObjects.UnknownCertsEntry",
                    $"'{k}' is not a file upload-certs shares{(externalEtcd ? " with external etcd" : " with local etcd")}. Valid keys: {string.Join(", ", expected)}.",
                    KubeErrorCategory.InvalidArgument, k, "Pass the files listed by FilesToUpload, keyed by their SecretKey.");
        var data = new JsonObject();
        foreach (var k in expected)
        {
            var plain = contents.TryGetValue(k, out var c) ? c : null;
            data[k] = plain is null ? "" : Convert.ToBase64String(key.Encrypt(plain));
        }
        var secret = New(KubeResource.Secret, SecretName, KubeSystem);
        ((JsonObject)secret["metadata"]!)["ownerReferences"] = new JsonArray(owner.ToJson());
        secret["type"] = "Opaque";
        secret["data"] = data;
        return secret;
    }

    /// <summary>Role + RoleBinding kubeadm:kubeadm-certs: get on Secret kubeadm-certs for the default bootstrap-token group.</summary>
    public static IReadOnlyList<JsonObject> Rbac() =>
    [
        GetOneRole(RoleName, KubeSystem, "secrets", SecretName),
        RoleBinding(RoleName, KubeSystem, RoleName, GroupSubject(BootstrapTokenGroup)),
    ];

    /// <summary>
    /// download-certs: decrypts every value of a fetched kubeadm-certs Secret with <paramref name="key"/> (any failure
    /// is Bootstrap.CertificateKeyMismatch and nothing is returned) and maps it to its path. Empty values (files the
    /// uploader did not have) are skipped; a missing key is ClusterObjects.KubeadmCertsIncomplete. Private keys get
    /// mode 0600, certificates and public keys 0644, as kubeadm's key and cert writers use.
    /// </summary>
    public static IReadOnlyList<KubeadmCertsFile> DecodeCertsSecret(JsonObject secret, CertificateKey key,
        string certificatesDir = "/etc/kubernetes/pki", ExternalEtcdFiles? externalEtcd = null)
    {
        var data = secret["data"] as JsonObject
            ?? throw new KubeException("ClusterObjects.KubeadmCertsIncomplete", "The kubeadm-certs Secret has no data.",
                KubeErrorCategory.InvalidData, SecretName, "Upload the certificates again (upload-certs) and retry the join within two hours.");
        var decrypted = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (k, v) in data)
        {
            byte[] raw;
            try { raw = Convert.FromBase64String((string?)v ?? ""); }
            catch (FormatException e)
            {
                throw new KubeException("ClusterObjects.KubeadmCertsIncomplete", $"The kubeadm-certs value '{k}' is not base64.",
                    KubeErrorCategory.InvalidData, k, "Upload the certificates again (upload-certs).", e);
            }
            decrypted[k] = raw.Length == 0 ? [] : key.Decrypt(raw, k);
        }
        var files = new List<KubeadmCertsFile>();
        foreach (var entry in FilesToUpload(certificatesDir, externalEtcd))
        {
            if (!decrypted.TryGetValue(entry.SecretKey, out var content))
                throw new KubeException("ClusterObjects.KubeadmCertsIncomplete",
                    $"The kubeadm-certs Secret lacks '{entry.SecretKey}' (for {entry.Path}).", KubeErrorCategory.InvalidData, entry.SecretKey,
                    externalEtcd is null
                        ? "Upload the certificates again from a control plane with local etcd, or pass the external etcd files if the cluster uses external etcd."
                        : "Upload the certificates again from a control plane configured with the same external etcd.");
            if (content.Length == 0) continue;
            files.Add(new KubeadmCertsFile(entry.SecretKey, entry.Path, content, ModeFor(entry.SecretKey, content)));
        }
        return files;
    }

    static int ModeFor(string what, byte[] content)
    {
        string text = Encoding.ASCII.GetString(content);
        if (text.Contains("PRIVATE KEY-----", StringComparison.Ordinal)) return Convert.ToInt32("600", 8);
        if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal) || text.Contains("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal)
            || text.Contains("-----BEGIN RSA PUBLIC KEY-----", StringComparison.Ordinal))
            return Convert.ToInt32("644", 8);
        throw new KubeException("ClusterObjects.KubeadmCertsIncomplete",
            $"The kubeadm-certs value '{what}' decrypted to data that is neither a PEM private key nor a certificate or public key.",
            KubeErrorCategory.InvalidData, what, "Upload the certificates again (upload-certs).");
    }
}
