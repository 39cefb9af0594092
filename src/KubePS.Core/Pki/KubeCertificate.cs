using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KubePS.Core.Pki;

/// <summary>Where a certificate in a set came from.</summary>
public enum CertificateOrigin
{
    /// <summary>Made by KubePS in this run.</summary>
    Generated,
    /// <summary>Loaded from existing files and kept, as kubeadm reuses existing certificates.</summary>
    Reused,
    /// <summary>Loaded without its signing CA's key (external CA mode) or without a private key.</summary>
    External,
}

/// <summary>
/// A certificate with, usually, its private key. The key stays inside KubePS.Core (it signs and is written to files);
/// no public member and not <see cref="ToString"/> exposes key material.
/// </summary>
public sealed class KubeCertificate
{
    internal KubeCertificate(string name, string? baseName, string? caName, X509Certificate2 certificate, KubeKey? key,
        CertificateOrigin origin, string? certificatePem = null, string? keyPem = null)
    {
        Name = name;
        BaseName = baseName;
        CAName = caName;
        Certificate = certificate;
        Key = key;
        Origin = origin;
        CertificatePem = certificatePem ?? Pem.Encode("CERTIFICATE", certificate.RawData);
        _keyPem = keyPem;
        (DnsNames, IPAddresses) = ReadSans(certificate);
        Usages = ReadUsages(certificate);
        Organizations = ReadOrganizations(certificate);
    }

    /// <summary>kubeadm's name: ca, apiserver, etcd-server, ..., or a free name (e.g. the kubeconfig file).</summary>
    public string Name { get; }

    /// <summary>File path relative to the certificates directory, without extension (e.g. <c>etcd/server</c>); null when not a kubeadm file.</summary>
    public string? BaseName { get; }

    /// <summary>The name of the CA that signs it (null for a CA or when unknown).</summary>
    public string? CAName { get; }

    public X509Certificate2 Certificate { get; }

    internal KubeKey? Key { get; }
    readonly string? _keyPem;

    public CertificateOrigin Origin { get; }

    /// <summary>True when the private key is held.</summary>
    public bool HasPrivateKey => Key is not null;

    /// <summary>The certificate file's text: the original bytes when loaded from a file, else one CERTIFICATE block.</summary>
    public string CertificatePem { get; }

    /// <summary>The key file's text (original when loaded, else kubeadm's PKCS#1/SEC1 PEM). Secret: internal only.</summary>
    internal string? KeyPem => Key is null ? null : _keyPem ?? Key.ExportPrivateKeyPem();

    public string Subject => Certificate.Subject;
    public string Issuer => Certificate.Issuer;
    public string CommonName => Certificate.GetNameInfo(X509NameType.SimpleName, false);
    public IReadOnlyList<string> Organizations { get; }
    public DateTime NotBefore => Certificate.NotBefore.ToUniversalTime();
    public DateTime NotAfter => Certificate.NotAfter.ToUniversalTime();

    /// <summary>Time left until NotAfter (negative when expired), as kubeadm certs check-expiration shows it.</summary>
    public TimeSpan ResidualTime => NotAfter - DateTime.UtcNow;

    public IReadOnlyList<string> DnsNames { get; }
    public IReadOnlyList<IPAddress> IPAddresses { get; }
    public IReadOnlyList<CertificateUsage> Usages { get; }

    public bool IsCA => Certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()?.CertificateAuthority == true;

    /// <summary>The serial number in upper-case hex, as .NET shows it.</summary>
    public string SerialNumber => Certificate.SerialNumber;

    /// <summary>The serial number as a decimal integer, as openssl prints it.</summary>
    public System.Numerics.BigInteger SerialNumberValue => new(Certificate.SerialNumberBytes.Span, isUnsigned: true, isBigEndian: true);

    public KeyAlgorithm KeyAlgorithm => Key?.Algorithm ?? PublicKeyAlgorithm(Certificate);

    /// <summary>SHA-256 pin of this certificate's public key, <c>sha256:&lt;hex&gt;</c> (kubeadm's discovery-token-ca-cert-hash form).</summary>
    public string PublicKeyPin => CACertHash.Compute(Certificate);

    internal static KeyAlgorithm PublicKeyAlgorithm(X509Certificate2 certificate)
    {
        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is not null)
            return rsa.KeySize switch { 3072 => KeyAlgorithm.Rsa3072, 4096 => KeyAlgorithm.Rsa4096, _ => KeyAlgorithm.Rsa2048 };
        using var ec = certificate.GetECDsaPublicKey();
        return ec?.KeySize == 384 ? KeyAlgorithm.EcdsaP384 : KeyAlgorithm.EcdsaP256;
    }

    static (IReadOnlyList<string>, IReadOnlyList<IPAddress>) ReadSans(X509Certificate2 certificate)
    {
        var raw = certificate.Extensions.Cast<X509Extension>().FirstOrDefault(e => e.Oid?.Value == "2.5.29.17");
        if (raw is null) return ([], []);
        var ext = new X509SubjectAlternativeNameExtension(raw.RawData, raw.Critical);
        return (ext.EnumerateDnsNames().ToList(), ext.EnumerateIPAddresses().ToList());
    }

    static IReadOnlyList<CertificateUsage> ReadUsages(X509Certificate2 certificate)
    {
        var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is null) return [];
        var list = new List<CertificateUsage>();
        foreach (var oid in eku.EnhancedKeyUsages)
        {
            if (oid.Value == "1.3.6.1.5.5.7.3.1") list.Add(CertificateUsage.ServerAuth);
            else if (oid.Value == "1.3.6.1.5.5.7.3.2") list.Add(CertificateUsage.ClientAuth);
        }
        return list;
    }

    static IReadOnlyList<string> ReadOrganizations(X509Certificate2 certificate)
    {
        var list = new List<string>();
        try
        {
            foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
                if (rdn.GetSingleElementType().Value == "2.5.4.10" && rdn.GetSingleElementValue() is { } v)
                    list.Add(v);
        }
        catch (CryptographicException) { }
        return list;
    }

    /// <summary>True when this certificate's signature verifies with <paramref name="ca"/>'s public key and its issuer is the CA's subject.</summary>
    public bool IsSignedBy(KubeCertificate ca) => CertificateSigner.VerifySignature(Certificate, ca.Certificate);

    public override string ToString() =>
        $"{Name}: {Subject}, issuer {Issuer}, valid {NotBefore:yyyy-MM-dd HH:mm:ss}Z to {NotAfter:yyyy-MM-dd HH:mm:ss}Z";
}
