using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Formats.Asn1;
using KubePS.Core.Versioning;

namespace KubePS.Core.Pki;

/// <summary>What to put in a signed (leaf) certificate.</summary>
public sealed record CertificateSpec
{
    public required string CommonName { get; init; }
    public IReadOnlyList<string> Organizations { get; init; } = [];
    public IReadOnlyList<CertificateUsage> Usages { get; init; } = [];
    public IReadOnlyList<string> DnsNames { get; init; } = [];
    public IReadOnlyList<IPAddress> IPAddresses { get; init; } = [];
}

/// <summary>
/// Makes certificates exactly as kubeadm (Go's crypto/x509) does for a given release:
/// Subject O before CN as PrintableString; extensions CA: KeyUsage, BasicConstraints, SubjectKeyId, SAN and leaf:
/// KeyUsage, ExtKeyUsage, BasicConstraints, AuthorityKeyId, SAN; serials and validity per the version catalog.
/// </summary>
public static class CertificateSigner
{
    /// <summary>kubeadm's CA validity (CACertificateValidityPeriod, 87600h).</summary>
    public static readonly TimeSpan DefaultCAValidity = TimeSpan.FromHours(87600);

    /// <summary>kubeadm's certificate validity (CertificateValidityPeriod, 8760h).</summary>
    public static readonly TimeSpan DefaultCertificateValidity = TimeSpan.FromHours(8760);

    const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// A self-signed CA. NotBefore = <paramref name="now"/> − the release's backdate; NotAfter = now + validity.
    /// Serial 0 or random per <see cref="ReleaseInfo.CASerialRandom"/>; SKID per <see cref="ReleaseInfo.KeyIdentifiers"/>
    /// (SHA-1, or truncated SHA-256 per <see cref="ReleaseInfo.CASkidTruncatedSha256"/>, over the subjectPublicKey bits);
    /// its CN as DNS SAN per <see cref="ReleaseInfo.CAHasDnsSan"/>.
    /// </summary>
    public static KubeCertificate CreateCA(string name, string? baseName, string commonName, ReleaseInfo release, KubeKey key,
        DateTimeOffset now, TimeSpan? validity = null, IReadOnlyList<string>? organizations = null)
    {
        now = Truncate(now);
        var notBefore = now.AddMinutes(-release.CABackdateMinutes);
        var notAfter = now + (validity ?? DefaultCAValidity);
        var subject = BuildName(commonName, organizations ?? []);
        var request = new CertificateRequest(subject, key.PublicKey, key.SignatureHash, key.Rsa is null ? null : RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, critical: true));
        if (release.KeyIdentifiers)
            request.CertificateExtensions.Add(release.CASkidTruncatedSha256
                // Go 1.25+: the first 160 bits of SHA-256 over the subjectPublicKey bits (net8.0 has no ShortSha256 option)
                ? new X509SubjectKeyIdentifierExtension(SHA256.HashData(request.PublicKey.EncodedKeyValue.RawData).AsSpan(0, 20), critical: false)
                : new X509SubjectKeyIdentifierExtension(request.PublicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false));
        if (release.CAHasDnsSan)
            request.CertificateExtensions.Add(BuildSan([commonName], []));
        var serial = release.CASerialRandom ? RandomSerial() : [0];
        using var cert = request.Create(subject, key.SignatureGenerator(), notBefore, notAfter, serial);
        var publicOnly = new X509Certificate2(cert.RawData);
        return new KubeCertificate(name, baseName, null, publicOnly, key, CertificateOrigin.Generated);
    }

    /// <summary>
    /// The validity kubeadm gives a certificate signed by <paramref name="ca"/> at <paramref name="now"/>: up to 1.30,
    /// NotBefore = the CA's NotBefore and NotAfter = signing time + validity; from 1.31 (v1beta4,
    /// <see cref="ReleaseInfo.ConfigurableValidity"/>) both come from one start time: start − backdate, start + validity.
    /// </summary>
    public static (DateTimeOffset NotBefore, DateTimeOffset NotAfter) LeafValidity(ReleaseInfo release, KubeCertificate ca, DateTimeOffset now, TimeSpan? validity)
    {
        now = Truncate(now);
        var notAfter = now + (validity ?? DefaultCertificateValidity);
        var notBefore = release.ConfigurableValidity
            ? now.AddMinutes(-release.CABackdateMinutes)
            : new DateTimeOffset(ca.NotBefore, TimeSpan.Zero);
        return (notBefore, notAfter);
    }

    /// <summary>
    /// A certificate signed by <paramref name="ca"/> (which must hold its key) for <paramref name="key"/>. SANs are
    /// normalized per <see cref="ReleaseInfo.SortedSans"/> as Go's signer in kubeadm does; a critical
    /// BasicConstraints CA=false per <see cref="ReleaseInfo.LeafBasicConstraints"/>; AuthorityKeyId = the CA's
    /// SubjectKeyId whenever the CA has one (Go's rule).
    /// </summary>
    public static KubeCertificate Sign(KubeCertificate ca, string name, string? baseName, CertificateSpec spec, ReleaseInfo release,
        KubeKey key, DateTimeOffset now, TimeSpan? validity = null)
    {
        if (ca.Key is null)
            throw new KubeException("Pki.CAKeyMissing",
                $"The CA '{ca.Name}' ({ca.Subject}) has no private key here, so it cannot sign '{name}'.",
                KubeErrorCategory.InvalidOperation, ca.Name,
                "Load the CA with its key (e.g. Import-KubePki on a folder that has ca.key), or have the external CA sign the certificate.");
        if (string.IsNullOrEmpty(spec.CommonName))
            throw new KubeException("Pki.CommonNameMissing", $"The certificate '{name}' needs a CommonName.", KubeErrorCategory.InvalidArgument, name, "Give a CommonName.");
        if (spec.Usages.Count == 0)
            throw new KubeException("Pki.UsageMissing", $"The certificate '{name}' needs at least one usage (ServerAuth or ClientAuth), as kubeadm requires.",
                KubeErrorCategory.InvalidArgument, name, "Give -Usage ServerAuth, ClientAuth or both.");
        var (notBefore, notAfter) = LeafValidity(release, ca, now, validity);
        if (notAfter <= notBefore)
            throw new KubeException("Pki.InvalidValidity",
                $"'{name}' would end ({notAfter:u}) before it starts ({notBefore:u}, the CA's NotBefore for this Kubernetes version).",
                KubeErrorCategory.InvalidArgument, name, "Sign at a time after the CA's NotBefore, or give a longer validity.");
        var sans = SanRules.Normalize(spec.DnsNames, spec.IPAddresses, release.SortedSans);
        foreach (var d in sans.DnsNames)
            if (d.Length == 0 || d.Any(c => c > 127))
                throw new KubeException("Pki.InvalidSan", $"The DNS name '{d}' of '{name}' is not ASCII (IA5String); Go's x509 refuses it.",
                    KubeErrorCategory.InvalidArgument, d, "Use the punycode (xn--) form of international names.");

        var subject = BuildName(spec.CommonName, spec.Organizations);
        var request = new CertificateRequest(subject, key.PublicKey, ca.Key.SignatureHash, ca.Key.Rsa is null ? null : RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        var ekus = new OidCollection();
        foreach (var u in spec.Usages)
            ekus.Add(new Oid(u == CertificateUsage.ServerAuth ? ServerAuthOid : ClientAuthOid));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(ekus, critical: false));
        if (release.LeafBasicConstraints)
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        var caSkid = ca.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault();
        if (caSkid?.SubjectKeyIdentifierBytes is { Length: > 0 } skidBytes)
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(skidBytes.Span));
        if (sans.DnsNames.Count + sans.IPAddresses.Count > 0)
            request.CertificateExtensions.Add(BuildSan(sans.DnsNames, sans.IPAddresses));

        var issuer = new X500DistinguishedName(ca.Certificate.SubjectName.RawData);
        using var cert = request.Create(issuer, ca.Key.SignatureGenerator(), notBefore, notAfter, RandomSerial());
        var publicOnly = new X509Certificate2(cert.RawData);
        return new KubeCertificate(name, baseName, ca.Name, publicOnly, key, CertificateOrigin.Generated);
    }

    /// <summary>
    /// Renews a certificate as kubeadm certs renew does: same Subject (CN and O), same SANs and usages, a new serial and
    /// validity from <paramref name="now"/>, signed by <paramref name="ca"/>. A new key is made unless
    /// <paramref name="keepKey"/> and the old key is held.
    /// </summary>
    public static KubeCertificate Renew(KubeCertificate existing, KubeCertificate ca, ReleaseInfo release, DateTimeOffset now,
        TimeSpan? validity = null, bool keepKey = false, KeyAlgorithm? keyAlgorithm = null)
    {
        if (existing.IsCA)
            throw new KubeException("Pki.CannotRenewCA", $"'{existing.Name}' is a CA; kubeadm does not renew CAs.", KubeErrorCategory.InvalidOperation, existing.Name,
                "Make a new CA with New-KubeCA and re-sign its certificates.");
        var spec = new CertificateSpec
        {
            CommonName = existing.CommonName,
            Organizations = existing.Organizations,
            Usages = existing.Usages,
            DnsNames = existing.DnsNames,
            IPAddresses = existing.IPAddresses,
        };
        var key = keepKey && existing.Key is not null ? existing.Key : KubeKey.Generate(keyAlgorithm ?? existing.KeyAlgorithm);
        return Sign(ca, existing.Name, existing.BaseName, spec, release, key, now, validity);
    }

    /// <summary>Subject as Go's pkix.Name encodes it: one RDN per O value, then CN; PrintableString where the characters allow, else UTF8String.</summary>
    internal static X500DistinguishedName BuildName(string commonName, IReadOnlyList<string> organizations)
    {
        // X500DistinguishedNameBuilder emits RDNs in reverse order of the Add calls.
        var builder = new X500DistinguishedNameBuilder();
        builder.Add("2.5.4.3", commonName, StringType(commonName));
        for (int i = organizations.Count - 1; i >= 0; i--)
            builder.Add("2.5.4.10", organizations[i], StringType(organizations[i]));
        return builder.Build();
    }

    static UniversalTagNumber StringType(string value) =>
        value.All(IsPrintable) ? UniversalTagNumber.PrintableString : UniversalTagNumber.UTF8String;

    static bool IsPrintable(char c) =>
        c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or ' ' or '\'' or '(' or ')' or '+' or ',' or '-' or '.' or '/' or ':' or '=' or '?';

    static X509Extension BuildSan(IEnumerable<string> dns, IEnumerable<IPAddress> ips)
    {
        // Go writes every DNS name before every IP; the builder keeps insertion order and the names' case.
        var b = new SubjectAlternativeNameBuilder();
        foreach (var d in dns) b.AddDnsName(d);
        foreach (var ip in ips) b.AddIpAddress(ip);
        return b.Build(critical: false);
    }

    /// <summary>A uniform random serial in [1, 2^63−1), as kubeadm's signer draws it.</summary>
    internal static byte[] RandomSerial()
    {
        var max = new BigInteger(long.MaxValue - 1);
        BigInteger value;
        Span<byte> buf = stackalloc byte[8];
        do
        {
            RandomNumberGenerator.Fill(buf);
            buf[0] &= 0x7F;
            value = new BigInteger(buf, isUnsigned: true, isBigEndian: true);
        } while (value >= max);
        value += 1;
        return value.ToByteArray(isUnsigned: true, isBigEndian: true);
    }

    internal static DateTimeOffset Truncate(DateTimeOffset t)
    {
        var u = t.ToUniversalTime();
        return new DateTimeOffset(u.Ticks - u.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> chains to <paramref name="ca"/> (optionally through
    /// <paramref name="intermediates"/>), any usage, ignoring time validity (kubeadm only warns about expiry).
    /// </summary>
    public static bool VerifySignature(X509Certificate2 certificate, X509Certificate2 ca, IEnumerable<X509Certificate2>? intermediates = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreCtlNotTimeValid |
                                              X509VerificationFlags.IgnoreNotTimeNested;
        if (intermediates is not null)
            foreach (var i in intermediates) chain.ChainPolicy.ExtraStore.Add(i);
        if (!chain.Build(certificate)) return false;
        var root = chain.ChainElements[^1].Certificate;
        return root.RawData.AsSpan().SequenceEqual(ca.RawData);
    }
}
