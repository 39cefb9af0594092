using System.Text;
using KubePS.Core.KubeConfigs;

namespace KubePS.Core.Pki;

/// <summary>One row of <c>kubeadm certs check-expiration</c>: a certificate or CA, when it expires, its CA and whether it is externally managed.</summary>
public sealed class KubeCertificateExpiration
{
    internal KubeCertificateExpiration(string name, bool isCA, DateTime notAfter, string? caName, bool externallyManaged, string path, string subject)
    {
        Name = name; IsCA = isCA; NotAfter = notAfter; CAName = caName; ExternallyManaged = externallyManaged; Path = path; Subject = subject;
    }

    /// <summary>kubeadm's name: apiserver, etcd-server, admin.conf, ca, ...</summary>
    public string Name { get; }
    public bool IsCA { get; }
    public DateTime NotAfter { get; }

    /// <summary>Time left until NotAfter, negative when expired.</summary>
    public TimeSpan ResidualTime => NotAfter - DateTime.UtcNow;

    /// <summary>The signing CA's name (empty for a CA).</summary>
    public string? CAName { get; }

    /// <summary>The CA's key is absent, so KubePS (and kubeadm) cannot renew it.</summary>
    public bool ExternallyManaged { get; }

    public string Path { get; }
    public string Subject { get; }

    /// <summary>The node the row was read from over its session (Get-KubeCertificate -Session), or null for local files; binds -HostName.</summary>
    public string? HostName { get; internal init; }

    public override string ToString() => (HostName is null ? "" : HostName + ": ") + $"{Name}: expires {NotAfter:u}";
}

/// <summary>The expiry inventory of a node's PKI folder and the kubeconfig files beside it.</summary>
public static class CertificateInventory
{
    static readonly (string File, string Name)[] KubeConfigs =
    [
        ("admin.conf", "admin.conf"), ("controller-manager.conf", "controller-manager.conf"),
        ("scheduler.conf", "scheduler.conf"), ("super-admin.conf", "super-admin.conf"),
    ];

    /// <summary>
    /// Rows for every kubeadm certificate present under <paramref name="pkiDirectory"/> and every kubeconfig
    /// (admin.conf, controller-manager.conf, scheduler.conf, super-admin.conf) in <paramref name="kubeConfigDirectory"/>
    /// (default: the PKI folder's parent), certificates first (by name), then CAs, as kubeadm lists them.
    /// </summary>
    public static IReadOnlyList<KubeCertificateExpiration> Get(string pkiDirectory, string? kubeConfigDirectory = null)
    {
        if (!Directory.Exists(pkiDirectory))
            throw new KubeException("Pki.NotFound", $"The folder {pkiDirectory} does not exist.", KubeErrorCategory.ObjectNotFound, pkiDirectory,
                "Give the certificates directory, e.g. /etc/kubernetes/pki.");
        kubeConfigDirectory ??= Path.GetDirectoryName(Path.GetFullPath(pkiDirectory).TrimEnd(Path.DirectorySeparatorChar));
        bool CAKeyMissing(string caName)
        {
            var caProfile = CertificateProfiles.Get(caName);
            return !File.Exists(Path.Combine(pkiDirectory, caProfile.KeyFile));
        }

        var leaves = new List<KubeCertificateExpiration>();
        var cas = new List<KubeCertificateExpiration>();
        foreach (var p in CertificateProfiles.All)
        {
            var path = Path.Combine(pkiDirectory, p.CertificateFile);
            if (!File.Exists(path)) continue;
            var cert = PkiFiles.LoadCertificates(path)[0];
            var notAfter = cert.NotAfter.ToUniversalTime();
            if (p.IsCA) cas.Add(new(p.Name, true, notAfter, null, CAKeyMissing(p.Name), path, cert.Subject));
            else leaves.Add(new(p.Name, false, notAfter, p.CAName, CAKeyMissing(p.CAName!), path, cert.Subject));
        }
        if (kubeConfigDirectory is not null)
            foreach (var (file, name) in KubeConfigs)
            {
                var path = Path.Combine(kubeConfigDirectory, file);
                if (!File.Exists(path)) continue;
                var config = KubeConfigFactory.Load(path);
                var data = config.CurrentUser?.ClientCertificateData;
                if (data is null) continue;
                var cert = PkiFiles.ParseCertificates(Encoding.UTF8.GetString(data), path)[0];
                leaves.Add(new(name, false, cert.NotAfter.ToUniversalTime(), "ca", CAKeyMissing("ca"), path, cert.Subject));
            }
        return leaves.OrderBy(l => l.Name, StringComparer.Ordinal).Concat(cas.OrderBy(c => c.Name, StringComparer.Ordinal)).ToList();
    }
}
