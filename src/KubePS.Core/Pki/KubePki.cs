using System.Text;
using KubePS.Core.Nodes;
using KubePS.Core.Versioning;

namespace KubePS.Core.Pki;

/// <summary>
/// The certificates and keys of one control-plane node, as kubeadm's certs phase makes them: the three CAs, their
/// leaves and the service-account key pair. Lookups by kubeadm name (<c>ca</c>, <c>apiserver</c>, <c>etcd-server</c>, ...).
/// Private keys stay inside; <see cref="ToString"/> shows names only.
/// </summary>
public sealed class KubePki
{
    internal KubePki(IReadOnlyList<KubeCertificate> certificates, KubeKey? serviceAccountKey, string? serviceAccountKeyPem,
        string? serviceAccountPublicKeyPem, CertificateOrigin serviceAccountOrigin, KubeVersion? version, IReadOnlyList<string> warnings, string? source = null)
    {
        Certificates = certificates;
        ServiceAccountKey = serviceAccountKey;
        _saKeyPem = serviceAccountKeyPem;
        ServiceAccountPublicKeyPem = serviceAccountPublicKeyPem ?? serviceAccountKey?.ExportPublicKeyPem();
        ServiceAccountKeyOrigin = serviceAccountOrigin;
        KubernetesVersion = version;
        Warnings = warnings;
        Source = source;
    }

    /// <summary>The Kubernetes version the set was made for (null when imported without one).</summary>
    public KubeVersion? KubernetesVersion { get; }

    /// <summary>Every certificate, CAs before their leaves, in kubeadm's order.</summary>
    public IReadOnlyList<KubeCertificate> Certificates { get; }

    public IEnumerable<KubeCertificate> CertificateAuthorities => Certificates.Where(c => c.IsCA);

    /// <summary>The certificate named <paramref name="name"/> (kubeadm name), or null.</summary>
    public KubeCertificate? this[string name] => Certificates.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The certificate named <paramref name="name"/>, or <c>Pki.NotFound</c>.</summary>
    public KubeCertificate Get(string name) => this[name] ?? throw new KubeException("Pki.NotFound",
        $"The PKI has no certificate '{name}'. It has: {string.Join(", ", Certificates.Select(c => c.Name))}.",
        KubeErrorCategory.ObjectNotFound, name, "Use one of the listed names.");

    /// <summary>The Kubernetes CA (ca.crt).</summary>
    public KubeCertificate CA => Get("ca");

    /// <summary>True when ca.crt is present without ca.key: kubeadm's external CA mode.</summary>
    public bool IsExternalCA => this["ca"] is { HasPrivateKey: false };

    /// <summary>The service-account signing key (sa.key), internal: secret.</summary>
    internal KubeKey? ServiceAccountKey { get; }
    readonly string? _saKeyPem;

    internal string? ServiceAccountKeyPem => ServiceAccountKey is null ? null : _saKeyPem ?? ServiceAccountKey.ExportPrivateKeyPem();

    /// <summary>sa.pub: the service-account public key, <c>PUBLIC KEY</c> PEM.</summary>
    public string? ServiceAccountPublicKeyPem { get; }

    public bool HasServiceAccountKey => ServiceAccountKey is not null;

    public CertificateOrigin ServiceAccountKeyOrigin { get; }

    /// <summary>Warnings met while building (dropped certSANs, expired reused certificates).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The folder the set was read from, if any.</summary>
    public string? Source { get; }

    /// <summary>
    /// The files of the set, relative to the certificates directory: <c>&lt;base&gt;.crt</c> 0644 and <c>&lt;base&gt;.key</c>
    /// 0600 for each certificate (the key only when held), <c>sa.key</c> and <c>sa.pub</c> 0600.
    /// </summary>
    public IReadOnlyList<PkiFile> GetFiles()
    {
        var files = new List<PkiFile>();
        foreach (var c in Certificates)
        {
            var baseName = c.BaseName ?? c.Name;
            if (c.KeyPem is { } keyPem) files.Add(new(baseName + ".key", Encoding.ASCII.GetBytes(keyPem), Modes.Secret));
            files.Add(new(baseName + ".crt", Encoding.ASCII.GetBytes(c.CertificatePem), Modes.Public));
        }
        if (ServiceAccountKeyPem is { } sa) files.Add(new("sa.key", Encoding.ASCII.GetBytes(sa), Modes.Secret));
        if (ServiceAccountPublicKeyPem is { } pub) files.Add(new("sa.pub", Encoding.ASCII.GetBytes(pub), Modes.Secret));
        return files;
    }

    /// <summary>The files as <see cref="NodeFile"/>s under a node's certificates directory (default /etc/kubernetes/pki).</summary>
    public IReadOnlyList<NodeFile> ToNodeFiles(string certificatesDir = "/etc/kubernetes/pki") =>
        GetFiles().Select(f => new NodeFile(certificatesDir.TrimEnd('/') + "/" + f.RelativePath, f.Content, (int)f.Mode)).ToList();

    /// <summary>
    /// The files that would change if the set were exported to <paramref name="directory"/>: missing, or present with
    /// other bytes.
    /// </summary>
    public IReadOnlyList<PkiFile> GetChanges(string directory) =>
        GetFiles().Where(f =>
        {
            var path = Path.Combine(directory, f.RelativePath);
            return !File.Exists(path) || !File.ReadAllBytes(path).AsSpan().SequenceEqual(f.Content);
        }).ToList();

    /// <summary>
    /// Writes the set under <paramref name="directory"/> (keys 0600, certificates 0644, folders 0755). Files that already
    /// hold the same bytes are left alone. A file with other content is an error (<c>Pki.FileExists</c>, checked for
    /// every file before anything is written) unless <paramref name="force"/>. Returns the paths written.
    /// </summary>
    public IReadOnlyList<string> Export(string directory, bool force = false)
    {
        var changes = GetChanges(directory);
        if (!force)
        {
            var conflicts = changes.Where(f => File.Exists(Path.Combine(directory, f.RelativePath))).Select(f => f.RelativePath).ToList();
            if (conflicts.Count > 0)
                throw new KubeException("Pki.FileExists",
                    $"{directory} already holds different files: {string.Join(", ", conflicts)}. Nothing was written.",
                    KubeErrorCategory.ResourceExists, directory,
                    "Export to an empty folder, build the set from the existing folder (New-KubePki -Path) so that it is reused, or pass -Force to overwrite.");
        }
        return PkiFiles.WriteAll(directory, changes);
    }

    /// <summary>
    /// Reads a certificates directory: every kubeadm certificate present (with its key when present) and sa.key/sa.pub.
    /// Nothing is validated beyond parsing; see <see cref="KubePkiBuilder.CreateOrReuse(PkiRequest, string, TimeProvider?)"/> for kubeadm's reuse checks.
    /// </summary>
    public static KubePki Import(string directory, KubeVersion? version = null)
    {
        if (!Directory.Exists(directory))
            throw new KubeException("Pki.NotFound", $"The folder {directory} does not exist.", KubeErrorCategory.ObjectNotFound, directory, "Give the certificates directory, e.g. /etc/kubernetes/pki.");
        return Import(rel =>
        {
            var path = Path.Combine(directory, rel);
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }, version, directory);
    }

    /// <summary>
    /// Reads a set from files given by relative path (e.g. <c>etcd/ca.crt</c> → bytes, null when absent), such as files
    /// read from a node or downloaded by upload-certs. <paramref name="source"/> names the origin in messages.
    /// </summary>
    public static KubePki Import(Func<string, byte[]?> readFile, KubeVersion? version, string source)
    {
        string Where(string rel) => source + "/" + rel;
        var certs = new List<KubeCertificate>();
        foreach (var profile in CertificateProfiles.All)
        {
            var crt = readFile(profile.CertificateFile);
            if (crt is null) continue;
            var crtText = Encoding.UTF8.GetString(crt);
            var cert = PkiFiles.ParseCertificates(crtText, Where(profile.CertificateFile))[0];
            KubeKey? key = null;
            string? keyText = null;
            if (readFile(profile.KeyFile) is { } keyBytes)
            {
                keyText = Encoding.UTF8.GetString(keyBytes);
                key = KubeKey.FromPem(keyText, Where(profile.KeyFile));
                if (!key.Matches(cert))
                    throw new KubeException("Pki.KeyMismatch", $"{Where(profile.KeyFile)} is not the private key of {Where(profile.CertificateFile)} ({cert.Subject}).",
                        KubeErrorCategory.InvalidData, Where(profile.KeyFile), "Put the matching key beside the certificate.");
            }
            certs.Add(new KubeCertificate(profile.Name, profile.BaseName, profile.CAName, cert, key,
                key is null ? CertificateOrigin.External : CertificateOrigin.Reused, crtText, keyText));
        }
        KubeKey? sa = null;
        string? saText = null, saPub = null;
        if (readFile("sa.key") is { } saBytes) { saText = Encoding.UTF8.GetString(saBytes); sa = KubeKey.FromPem(saText, Where("sa.key")); }
        if (readFile("sa.pub") is { } pubBytes) saPub = Encoding.UTF8.GetString(pubBytes);
        if (certs.Count == 0 && sa is null)
            throw new KubeException("Pki.NotFound", $"{source} holds none of kubeadm's certificate files (ca.crt, apiserver.crt, ...).",
                KubeErrorCategory.ObjectNotFound, source, "Give the certificates directory, e.g. /etc/kubernetes/pki.");
        return new KubePki(certs, sa, saText, saPub, CertificateOrigin.Reused, version, [], source);
    }

    public override string ToString() =>
        $"PKI{(KubernetesVersion is null ? "" : " for " + KubernetesVersion)}: {string.Join(", ", Certificates.Select(c => c.Name))}{(HasServiceAccountKey ? ", sa" : "")}";
}
