using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using KubePS.Core.Cluster;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Nodes;
using KubePS.Core.Operations;
using KubePS.Core.Versioning;

namespace KubePS.Core.Pki;

/// <summary>Where a node keeps its certificates, kubeconfigs and kubelet client certificate (kubeadm's --cert-dir and --kubeconfig-dir).</summary>
public sealed record NodeCertificatePaths
{
    public string CertificatesDir { get; init; } = "/etc/kubernetes/pki";
    public string KubeConfigDir { get; init; } = "/etc/kubernetes";
    /// <summary>The kubelet's certificate folder (kubelet --cert-dir).</summary>
    public string KubeletPkiDir { get; init; } = "/var/lib/kubelet/pki";

    public string ManifestsDir => KubeConfigDir.TrimEnd('/') + "/manifests";
    public string TmpDir => KubeConfigDir.TrimEnd('/') + "/tmp";
    public string KubeletClientCurrent => KubeletPkiDir.TrimEnd('/') + "/kubelet-client-current.pem";

    internal string Pki(string relative) => CertificatesDir.TrimEnd('/') + "/" + relative;
    internal string Conf(string file) => KubeConfigDir.TrimEnd('/') + "/" + file;
    internal string Manifest(string component) => ManifestsDir + "/" + component + ".yaml";

    public void Validate()
    {
        foreach (var p in new[] { CertificatesDir, KubeConfigDir, KubeletPkiDir }) NodeFile.ValidatePath(p);
    }
}

/// <summary>The kubeconfig files whose client certificates kubeadm lists and renews (kubelet.conf is rotated by the kubelet).</summary>
static class KubeadmKubeConfigs
{
    public static readonly IReadOnlyList<string> Renewable = ["admin.conf", "controller-manager.conf", "scheduler.conf", "super-admin.conf"];
    public const string Kubelet = "kubelet.conf";

    /// <summary>Which static pod reads which renewed file.</summary>
    public static string? UserOf(string name) => name switch
    {
        "apiserver" or "apiserver-kubelet-client" or "front-proxy-client" or "apiserver-etcd-client" => "kube-apiserver",
        "etcd-server" or "etcd-peer" => "etcd",
        "controller-manager.conf" => "kube-controller-manager",
        "scheduler.conf" => "kube-scheduler",
        _ => null,
    };
}

/// <summary>
/// Everything of a node's PKI read in one round trip: the kubeadm certificates, the CA keys, the kubeconfigs, the
/// kubelet client certificate and the static pod manifests. Key bytes never leave this class except into the
/// renewal's signer.
/// </summary>
sealed class NodePkiSnapshot
{
    public required string HostName { get; init; }
    public required NodeCertificatePaths Paths { get; init; }
    public required IReadOnlyDictionary<string, byte[]?> Files { get; init; }

    public byte[]? this[string path] => Files.TryGetValue(path, out var b) ? b : null;

    public static IReadOnlyList<string> PathsToRead(NodeCertificatePaths paths, bool withLeafKeys)
    {
        var list = new List<string>();
        foreach (var p in CertificateProfiles.All)
        {
            list.Add(paths.Pki(p.CertificateFile));
            if (p.IsCA || withLeafKeys) list.Add(paths.Pki(p.KeyFile));
        }
        list.AddRange(KubeadmKubeConfigs.Renewable.Select(paths.Conf));
        list.Add(paths.Conf(KubeadmKubeConfigs.Kubelet));
        list.Add(paths.KubeletClientCurrent);
        list.AddRange(StaticPodComponent.Order.Select(paths.Manifest));
        return list;
    }

    public static async Task<NodePkiSnapshot> ReadAsync(KubeNodeSession session, NodeCertificatePaths paths, bool withLeafKeys, CancellationToken ct)
    {
        paths.Validate();
        var files = await session.ReadFilesAsync(PathsToRead(paths, withLeafKeys), ct).ConfigureAwait(false);
        return new NodePkiSnapshot { HostName = session.HostName, Paths = paths, Files = files };
    }

    /// <summary>A control-plane node holds the API server's certificate or admin.conf.</summary>
    public bool IsControlPlane => this[Paths.Pki(CertificateProfiles.ApiServer.CertificateFile)] is not null || this[Paths.Conf("admin.conf")] is not null;

    public bool HasKey(CertificateProfile ca) => this[Paths.Pki(ca.KeyFile)] is not null;

    /// <summary>The Kubernetes version of the node's kube-apiserver manifest image tag, or null.</summary>
    public KubeVersion? ApiServerVersion
    {
        get
        {
            if (this[Paths.Manifest("kube-apiserver")] is not { } m) return null;
            var match = Regex.Match(Encoding.UTF8.GetString(m), @"(?m)^\s*image:\s*""?\S*kube-apiserver:v?([0-9]+\.[0-9]+\.[0-9]+)");
            return match.Success && KubeVersion.TryParse(match.Groups[1].Value, out var v) ? v : null;
        }
    }

    /// <summary>Forgets every byte read (keys included).</summary>
    public void Clear()
    {
        foreach (var b in Files.Values) if (b is not null) CryptographicOperations.ZeroMemory(b);
    }

    /// <summary>The kubelet client certificate: embedded in kubelet.conf, or the file it names (kubelet-client-current.pem).</summary>
    public (System.Security.Cryptography.X509Certificates.X509Certificate2 Cert, string Path)? KubeletClient(Func<string, byte[]?> readOther)
    {
        var confPath = Paths.Conf(KubeadmKubeConfigs.Kubelet);
        if (this[confPath] is not { } conf) return null;
        var config = KubeConfigYaml.Parse(Encoding.UTF8.GetString(conf), HostName + ":" + confPath);
        var user = config.CurrentUser;
        if (user?.ClientCertificateData is { Length: > 0 } data)
            return (PkiFiles.ParseCertificates(Encoding.UTF8.GetString(data), confPath)[0], confPath);
        if (user?.ClientCertificate is not { } file) return null;
        var bytes = file == Paths.KubeletClientCurrent ? this[file] : readOther(file);
        return bytes is null ? null : (PkiFiles.ParseCertificates(Encoding.UTF8.GetString(bytes), file)[0], file);
    }
}

/// <summary>The fleet-wide expiry inventory: kubeadm certs check-expiration on each node over its session.</summary>
public static class NodeCertificateInventory
{
    /// <summary>
    /// The node's rows, read in one ReadFiles round trip: on a control-plane node every kubeadm certificate present,
    /// the client certificates of admin.conf, controller-manager.conf, scheduler.conf and super-admin.conf (as
    /// kubeadm certs check-expiration lists them: certificates by name, then the CAs), on every node the kubelet client
    /// certificate (kubelet.conf; rotated by the kubelet, so it counts as externally managed). The CA keys are read
    /// only to see whether they exist, and their bytes are wiped at once.
    /// </summary>
    public static async Task<IReadOnlyList<KubeCertificateExpiration>> GetAsync(KubeNodeSession session, NodeCertificatePaths? paths, CancellationToken ct)
    {
        paths ??= new NodeCertificatePaths();
        var snap = await NodePkiSnapshot.ReadAsync(session, paths, withLeafKeys: false, ct).ConfigureAwait(false);
        try
        {
            var leaves = new List<KubeCertificateExpiration>();
            var cas = new List<KubeCertificateExpiration>();
            if (snap.IsControlPlane)
            {
                bool CAKeyMissing(string caName) => !snap.HasKey(CertificateProfiles.Get(caName));
                foreach (var p in CertificateProfiles.All)
                {
                    var path = paths.Pki(p.CertificateFile);
                    if (snap[path] is not { } bytes) continue;
                    var cert = PkiFiles.ParseCertificates(Encoding.UTF8.GetString(bytes), session.HostName + ":" + path)[0];
                    var row = new KubeCertificateExpiration(p.Name, p.IsCA, cert.NotAfter.ToUniversalTime(), p.CAName, CAKeyMissing(p.CAName ?? p.Name), path, cert.Subject)
                        { HostName = session.HostName };
                    (p.IsCA ? cas : leaves).Add(row);
                }
                foreach (var file in KubeadmKubeConfigs.Renewable)
                {
                    var path = paths.Conf(file);
                    if (snap[path] is not { } bytes) continue;
                    var data = KubeConfigYaml.Parse(Encoding.UTF8.GetString(bytes), session.HostName + ":" + path).CurrentUser?.ClientCertificateData;
                    if (data is null) continue;
                    var cert = PkiFiles.ParseCertificates(Encoding.UTF8.GetString(data), path)[0];
                    leaves.Add(new KubeCertificateExpiration(file, false, cert.NotAfter.ToUniversalTime(), "ca", CAKeyMissing("ca"), path, cert.Subject)
                        { HostName = session.HostName });
                }
            }
            var others = new Dictionary<string, byte[]?>();
            var kubelet = snap.KubeletClient(_ => null);
            if (kubelet is null && snap[paths.Conf(KubeadmKubeConfigs.Kubelet)] is not null)
            {
                // kubelet.conf names a certificate file other than kubelet-client-current.pem: one more read.
                var config = KubeConfigYaml.Parse(Encoding.UTF8.GetString(snap[paths.Conf(KubeadmKubeConfigs.Kubelet)]!), paths.Conf(KubeadmKubeConfigs.Kubelet));
                if (config.CurrentUser?.ClientCertificate is { } other && other != paths.KubeletClientCurrent && other.StartsWith('/'))
                {
                    var read = await session.ReadFilesAsync([other], ct).ConfigureAwait(false);
                    kubelet = snap.KubeletClient(p => read.TryGetValue(p, out var b) ? b : null);
                    foreach (var b in read.Values) if (b is not null) CryptographicOperations.ZeroMemory(b);
                }
            }
            if (kubelet is { } k)
                leaves.Add(new KubeCertificateExpiration(KubeadmKubeConfigs.Kubelet, false, k.Cert.NotAfter.ToUniversalTime(), "ca", true, k.Path, k.Cert.Subject)
                    { HostName = session.HostName });
            return leaves.OrderBy(l => l.Name, StringComparer.Ordinal).Concat(cas.OrderBy(c => c.Name, StringComparer.Ordinal)).ToList();
        }
        finally { snap.Clear(); }
    }
}

/// <summary>What Update-KubeCertificate did to one certificate.</summary>
public sealed class KubeCertificateRenewal
{
    internal KubeCertificateRenewal(string hostName, string name, DateTime previousNotAfter, DateTime notAfter, string path, string? restarted)
    {
        HostName = hostName; Name = name; PreviousNotAfter = previousNotAfter; NotAfter = notAfter; Path = path; Restarted = restarted;
    }

    public string HostName { get; }
    /// <summary>kubeadm's name: apiserver, etcd-peer, admin.conf, ...</summary>
    public string Name { get; }
    public DateTime PreviousNotAfter { get; }
    public DateTime NotAfter { get; }
    public TimeSpan ResidualTime => NotAfter - DateTime.UtcNow;
    public string Path { get; }
    /// <summary>The static pod restarted to load it (kube-apiserver, etcd, ...), or null when nothing reads it (admin.conf).</summary>
    public string? Restarted { get; }

    public override string ToString() => $"{HostName}: {Name} renewed until {NotAfter:u}";
}

/// <summary>Options of a renewal.</summary>
public sealed record CertificateRenewalOptions
{
    /// <summary>kubeadm names (apiserver, admin.conf, ...), or null for all that exist (kubeadm certs renew all).</summary>
    public IReadOnlyList<string>? Names { get; init; }
    public NodeCertificatePaths Paths { get; init; } = new();
    /// <summary>The node's Kubernetes version; null to read it from the kube-apiserver manifest.</summary>
    public KubeVersion? KubernetesVersion { get; init; }
    /// <summary>Validity of the renewed certificates; null for kubeadm's 8760h.</summary>
    public TimeSpan? Validity { get; init; }
    /// <summary>Restart the static pods that read a renewed file (manifest out and back in).</summary>
    public bool Restart { get; init; } = true;
    public TimeSpan? RestartStopTimeout { get; init; }
    public TimeSpan? RestartStartTimeout { get; init; }

    /// <summary>Every name Update-KubeCertificate accepts.</summary>
    public static IReadOnlyList<string> KnownNames { get; } =
        CertificateProfiles.All.Select(p => p.Name).Concat(KubeadmKubeConfigs.Renewable).Append(KubeadmKubeConfigs.Kubelet).ToList();

    public void Validate()
    {
        Paths.Validate();
        foreach (var n in Names ?? [])
            if (!KnownNames.Contains(n, StringComparer.OrdinalIgnoreCase))
                throw new KubeException("Certificates.UnknownName", $"'{n}' is not a certificate kubeadm renews. Known: {string.Join(", ", KnownNames)}.",
                    KubeErrorCategory.InvalidArgument, n, "Use one of the listed names, or leave -Name out to renew all.");
        if (Validity is { } v && v <= TimeSpan.Zero)
            throw new KubeException("Certificates.InvalidValidity", $"The validity {v} is not positive.", KubeErrorCategory.InvalidArgument, v, "Give e.g. 365 days.");
    }
}

/// <summary>
/// kubeadm certs renew on a node over its session: every named certificate (or all) is re-signed by its CA with the
/// same subject, SANs and usages, a new key and serial and a new validity; the kubeconfigs' client certificates
/// likewise. Everything is read in one round trip and written back in one batch (each file staged and renamed into
/// place, keys 0600); then the static pods that read a renewed file are restarted by moving their manifest out and back.
/// </summary>
public static class CertificateRenewal
{
    public static async Task<IReadOnlyList<KubeCertificateRenewal>> RenewAsync(KubeNodeSession session, CertificateRenewalOptions options,
        IOperationSink sink, CancellationToken ct, TimeProvider? clock = null)
    {
        options.Validate();
        var paths = options.Paths;
        var snap = await NodePkiSnapshot.ReadAsync(session, paths, withLeafKeys: true, ct).ConfigureAwait(false);
        try
        {
            if (!snap.IsControlPlane)
                throw new KubeException("Certificates.NotControlPlane",
                    $"{session.HostName} holds neither {paths.Pki("apiserver.crt")} nor {paths.Conf("admin.conf")}: it is not a control-plane node, and kubeadm renews certificates only there.",
                    KubeErrorCategory.InvalidOperation, session.HostName, "Renew on the control-plane nodes; kubelets rotate their own client certificates.");
            var version = options.KubernetesVersion ?? snap.ApiServerVersion
                ?? throw new KubeException("Certificates.VersionUnknown",
                    $"{session.HostName}: the Kubernetes version cannot be read from {paths.Manifest("kube-apiserver")}.",
                    KubeErrorCategory.ObjectNotFound, session.HostName, "Give -KubernetesVersion.");
            var release = VersionCatalog.Get(version);
            var now = (clock ?? TimeProvider.System).GetUtcNow();
            var pki = KubePki.Import(rel => snap[paths.Pki(rel)], version, session.HostName + ":" + paths.CertificatesDir);

            bool all = options.Names is null || options.Names.Count == 0;
            var wanted = all ? CertificateRenewalOptions.KnownNames.ToList() : options.Names!.Select(n => CertificateRenewalOptions.KnownNames.First(k => k.Equals(n, StringComparison.OrdinalIgnoreCase))).Distinct().ToList();
            // Each renewal makes a new key (RSA keys take a while): they are made in parallel, kept in the order asked.
            var jobs = new List<Func<(NodeFile[] Files, (string Name, DateTime Old, DateTime New, string Path) Renewal)>>();

            foreach (var name in wanted)
            {
                if (name == KubeadmKubeConfigs.Kubelet)
                {
                    if (!all) sink.WriteWarning($"{session.HostName}: kubelet.conf is not renewed: the kubelet rotates its own client certificate (rotateCertificates), as kubeadm leaves it.");
                    continue;
                }
                if (KubeadmKubeConfigs.Renewable.Contains(name))
                {
                    var path = paths.Conf(name);
                    if (snap[path] is not { } bytes)
                    {
                        if (!all) sink.WriteError(Missing(session.HostName, name, path));
                        continue;
                    }
                    var ca = pki["ca"];
                    if (ca is not { HasPrivateKey: true })
                    {
                        sink.WriteError(External(session.HostName, name, "ca", paths));
                        continue;
                    }
                    var config = KubeConfigYaml.Parse(Encoding.UTF8.GetString(bytes), session.HostName + ":" + path);
                    var old = PkiFiles.ParseCertificates(Encoding.UTF8.GetString(config.CurrentUser?.ClientCertificateData ?? []), path)[0];
                    var confName = name;
                    jobs.Add(() =>
                    {
                        var renewed = KubeConfigFactory.RenewClientCertificate(config, path, ca, version, now, options.Validity);
                        var newCert = PkiFiles.ParseCertificates(Encoding.UTF8.GetString(renewed.CurrentUser!.ClientCertificateData!), path)[0];
                        return ([new NodeFile(path, Encoding.UTF8.GetBytes(KubeConfigYaml.Serialize(renewed)), (int)Modes.Secret)],
                            (confName, old.NotAfter.ToUniversalTime(), newCert.NotAfter.ToUniversalTime(), path));
                    });
                    continue;
                }
                var profile = CertificateProfiles.Get(name);
                if (profile.IsCA && all) continue;
                if (profile.IsCA)
                {
                    sink.WriteError(new KubeException("Pki.CannotRenewCA",
                        $"{session.HostName}: '{name}' is a CA; kubeadm certs renew does not renew CAs.", KubeErrorCategory.InvalidOperation, name,
                        "Rotate the CA by hand (see the Kubernetes documentation on manual CA rotation)."));
                    continue;
                }
                var existing = pki[name];
                if (existing is null)
                {
                    if (!all) sink.WriteError(Missing(session.HostName, name, paths.Pki(profile.CertificateFile)));
                    continue;
                }
                var signer = pki[profile.CAName!];
                if (signer is not { HasPrivateKey: true })
                {
                    sink.WriteError(External(session.HostName, name, profile.CAName!, paths));
                    continue;
                }
                var certName = name;
                jobs.Add(() =>
                {
                    var cert = CertificateSigner.Renew(existing, signer, release, now, options.Validity);
                    return ([new NodeFile(paths.Pki(profile.CertificateFile), Encoding.ASCII.GetBytes(cert.CertificatePem), (int)Modes.Public),
                             new NodeFile(paths.Pki(profile.KeyFile), Encoding.ASCII.GetBytes(cert.KeyPem!), (int)Modes.Secret)],
                        (certName, existing.NotAfter, cert.NotAfter, paths.Pki(profile.CertificateFile)));
                });
            }
            if (jobs.Count == 0) return [];
            var done = await Task.WhenAll(jobs.Select(j => Task.Run(j, ct))).ConfigureAwait(false);
            var files = done.SelectMany(d => d.Files).ToList();
            var renewals = done.Select(d => d.Renewal).ToList();

            var components = renewals.Select(r => KubeadmKubeConfigs.UserOf(r.Name)).OfType<string>().Distinct()
                .Where(c => snap[paths.Manifest(c)] is not null).OrderBy(c => StaticPodComponent.Order.ToList().IndexOf(c)).ToList();
            string action = $"Renew {string.Join(", ", renewals.Select(r => r.Name))}" +
                (options.Restart && components.Count > 0 ? $" and restart {string.Join(", ", components)}" : "");
            if (!await sink.ShouldChangeAsync(session.HostName, action, ct).ConfigureAwait(false)) return [];

            await session.WriteFilesAsync(files, ct).ConfigureAwait(false);
            foreach (var r in renewals) sink.WriteVerbose($"{session.HostName}: renewed {r.Name} ({r.Path}), valid until {r.New:u}");
            IReadOnlyList<string> restarted = [];
            if (options.Restart && components.Count > 0)
            {
                var list = components.Select(c => StaticPodComponent.FromManifest(c, Encoding.UTF8.GetString(snap[paths.Manifest(c)]!))).ToList();
                restarted = await StaticPodRestart.RestartAsync(session, paths.ManifestsDir, paths.TmpDir + "/kubeps-certs-renew-" + now.ToString("yyyy-MM-dd-HH-mm-ss"),
                    list, sink, ct, options.RestartStopTimeout, options.RestartStartTimeout).ConfigureAwait(false);
            }
            else if (components.Count > 0)
                sink.WriteWarning($"{session.HostName}: restart {string.Join(", ", components)} so that they use the renewed certificates.");
            return renewals.Select(r =>
            {
                var user = KubeadmKubeConfigs.UserOf(r.Name);
                return new KubeCertificateRenewal(session.HostName, r.Name, r.Old, r.New, r.Path, user is not null && restarted.Contains(user) ? user : null);
            }).ToList();
        }
        finally { snap.Clear(); }
    }

    static KubeException Missing(string host, string name, string path) =>
        new("Certificates.NotFound", $"{host}: {name} cannot be renewed: {path} does not exist.", KubeErrorCategory.ObjectNotFound, name,
            "List what the node has with Get-KubeCertificate -Session.");

    static KubeException External(string host, string name, string ca, NodeCertificatePaths paths) =>
        new("Certificates.ExternallyManaged",
            $"{host}: {name} cannot be renewed: its CA '{ca}' has no key at {paths.Pki(CertificateProfiles.Get(ca).KeyFile)} (external CA mode), as kubeadm reports it.",
            KubeErrorCategory.InvalidOperation, name, "Have the external CA sign a new certificate for it.");
}
