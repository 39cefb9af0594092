using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KubePS.LabControlPlane.Common;

/// <summary>Loading the PEM files the components are given, with the failure a real component would report.</summary>
public static class Pki
{
    public static X509Certificate2 CertWithKey(string certFile, string keyFile, string what)
    {
        Exists(certFile, what + " certificate");
        Exists(keyFile, what + " key");
        try
        {
            var c = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            return c;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new LabException($"{what}: cannot load certificate {certFile} with key {keyFile}: {e.Message}");
        }
    }

    public static X509Certificate2 CertWithKeyFromPem(string certPem, string keyPem, string what)
    {
        try { return X509Certificate2.CreateFromPem(certPem, keyPem); }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new LabException($"{what}: cannot load client certificate and key: {e.Message}");
        }
    }

    public static X509Certificate2Collection Bundle(string file, string what)
    {
        Exists(file, what);
        return BundleFromPem(File.ReadAllText(file), $"{what} {file}");
    }

    public static X509Certificate2Collection BundleFromPem(string pem, string what)
    {
        var col = new X509Certificate2Collection();
        try { col.ImportFromPem(pem); }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new LabException($"{what}: not a PEM certificate bundle: {e.Message}");
        }
        if (col.Count == 0) throw new LabException($"{what}: no certificate found");
        return col;
    }

    public static void Exists(string file, string what)
    {
        if (!File.Exists(file)) throw new LabException($"{what} {file}: no such file");
    }

    /// <summary>Chain verification against a fixed set of roots, as Go's x509.Verify with a custom pool.</summary>
    public static bool Verify(X509Certificate2 leaf, X509Certificate2Collection roots, string? ekuOid, out string error,
        X509Certificate2Collection? extra = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (extra is not null) chain.ChainPolicy.ExtraStore.AddRange(extra);
        if (ekuOid is not null) chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ekuOid));
        if (chain.Build(leaf)) { error = ""; return true; }
        error = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        if (error.Length == 0) error = "certificate signed by unknown authority";
        return false;
    }

    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>Subject common name and organizations, as Kubernetes maps a client certificate to a user.</summary>
    public static (string cn, List<string> orgs) Subject(X509Certificate2 cert) => Subject(cert.SubjectName);

    public static (string cn, List<string> orgs) Subject(X500DistinguishedName name)
    {
        string cn = "";
        var orgs = new List<string>();
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            var oid = rdn.GetSingleElementType().Value;
            var val = rdn.GetSingleElementValue() ?? "";
            if (oid == "2.5.4.3") cn = val;
            else if (oid == "2.5.4.10") orgs.Add(val);
        }
        return (cn, orgs);
    }
}
