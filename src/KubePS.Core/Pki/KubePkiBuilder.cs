using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KubePS.Core.Versioning;

namespace KubePS.Core.Pki;

/// <summary>
/// kubeadm's certs phase, offline: builds a node's whole certificate set from a <see cref="PkiRequest"/>, reusing
/// existing files under kubeadm's rules (kubeadm-facts §1.6). Everything is checked before anything is generated, and
/// nothing is written here: write the result with <see cref="KubePki.Export"/> or <see cref="KubePki.ToNodeFiles"/>.
/// </summary>
public static class KubePkiBuilder
{
    /// <summary>A new set, nothing reused.</summary>
    public static KubePki Create(PkiRequest request, TimeProvider? clock = null) => CreateOrReuse(request, _ => null, clock);

    /// <summary>
    /// The set for <paramref name="request"/>, reusing what <paramref name="directory"/> already holds. The folder must
    /// exist (<c>Pki.NotFound</c>): a mistyped path must not silently give a new set of CAs.
    /// </summary>
    public static KubePki CreateOrReuse(PkiRequest request, string directory, TimeProvider? clock = null) =>
        !Directory.Exists(directory)
            ? throw new KubeException("Pki.NotFound", $"The folder {directory} does not exist, so nothing in it can be reused.",
                KubeErrorCategory.ObjectNotFound, directory, "Give the existing certificates folder, or leave the path out to make a new set.")
            : CreateOrReuse(request, rel =>
        {
            var path = Path.Combine(directory, rel);
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }, clock, directory);

    /// <summary>
    /// The set for <paramref name="request"/>, reusing existing files read through <paramref name="readExisting"/>
    /// (relative path such as <c>etcd/ca.crt</c> → bytes, or null when absent; e.g. files read from a node).
    /// Rules: an existing CA (cert and key) is reused; ca.crt without ca.key is external CA mode, where every leaf must
    /// already exist and verify against it; an existing leaf must chain to its CA (<c>Pki.CAMismatch</c>) and cover
    /// every expected SAN (<c>Pki.SanMissing</c>); expiry is only a warning; an existing sa.key is reused. All
    /// problems are reported together (<see cref="KubeAggregateException"/>) before any key is generated.
    /// </summary>
    public static KubePki CreateOrReuse(PkiRequest request, Func<string, byte[]?> readExisting, TimeProvider? clock = null, string? sourceLabel = null)
    {
        request.Validate();
        clock ??= TimeProvider.System;
        var release = request.Release;
        var warnings = new List<string>();
        var errors = new List<KubeException>();
        string Where(string rel) => sourceLabel is null ? rel : Path.Combine(sourceLabel, rel);

        // Pass 1: decide and check every item.
        var plan = new List<Planned>();
        foreach (var caProfile in CertificateProfiles.For(request.ExternalEtcd).Where(p => p.IsCA))
        {
            var ca = LoadExisting(caProfile, readExisting, Where, errors, requireKey: false, out var caFailed);
            if (caFailed) continue;
            if (ca is not null && !IsCA(ca.Cert))
            {
                errors.Add(new KubeException("Pki.NotCA", $"{Where(caProfile.CertificateFile)} is not a CA certificate (BasicConstraints CA=false or absent), so it cannot be the '{caProfile.Name}'.",
                    KubeErrorCategory.InvalidData, Where(caProfile.CertificateFile), "Replace it with the CA certificate, or remove it (and its key) so that a new CA is made."));
                continue;
            }
            if (ca is not null) WarnValidity(caProfile, ca.Cert, Where, warnings, clock);
            var caPlan = new Planned(caProfile, ca, null);
            plan.Add(caPlan);
            bool external = ca is not null && ca.Key is null;
            foreach (var leaf in CertificateProfiles.SignedBy(caProfile, request.ExternalEtcd))
            {
                CertificateSpec spec;
                try { spec = SpecFor(leaf, request, release, w => warnings.Add(w)); }
                catch (KubeException e) { errors.Add(e); continue; }
                var existing = LoadExisting(leaf, readExisting, Where, errors, requireKey: true, out var leafFailed);
                if (leafFailed) continue;
                if (existing is null)
                {
                    if (external)
                        errors.Add(new KubeException("Pki.ExternalCAIncomplete",
                            $"{Where(caProfile.CertificateFile)} is present without {caProfile.KeyFile} (external CA mode), so {Where(leaf.CertificateFile)} and {leaf.KeyFile} must already exist, signed by that CA; they are missing.",
                            KubeErrorCategory.ObjectNotFound, Where(leaf.CertificateFile),
                            $"Have the external CA sign '{leaf.Name}' (CN {spec.CommonName}) and place the files, or provide {caProfile.KeyFile} so that KubePS can sign it."));
                    else plan.Add(new Planned(leaf, null, spec));
                    continue;
                }
                if (ca is null)
                {
                    errors.Add(CAMismatch(Where(leaf.CertificateFile), existing.Cert, $"'{caProfile.Name}' that would be made now (no {caProfile.CertificateFile} exists)"));
                    continue;
                }
                if (!CertificateSigner.VerifySignature(existing.Cert, ca.Cert, existing.Intermediates))
                {
                    errors.Add(CAMismatch(Where(leaf.CertificateFile), existing.Cert, ca.Cert.Subject));
                    continue;
                }
                if (!external)
                {
                    var missing = MissingSans(existing.Cert, spec);
                    if (missing.Count > 0)
                    {
                        errors.Add(new KubeException("Pki.SanMissing",
                            $"The existing certificate {Where(leaf.CertificateFile)} does not cover the SANs {string.Join(", ", missing)} that '{leaf.Name}' needs.",
                            KubeErrorCategory.InvalidData, Where(leaf.CertificateFile),
                            $"Remove {leaf.CertificateFile} and {leaf.KeyFile} so that a new certificate with every SAN is made (or renew it with the extra SANs)."));
                        continue;
                    }
                }
                WarnValidity(leaf, existing.Cert, Where, warnings, clock);
                plan.Add(new Planned(leaf, existing, spec));
            }
        }
        byte[]? saKey = readExisting("sa.key");
        byte[]? saPub = readExisting("sa.pub");
        KubeKey? sa = null;
        if (saKey is not null)
        {
            try
            {
                sa = KubeKey.FromPem(Encoding.UTF8.GetString(saKey), Where("sa.key"));
                if (saPub is not null && !PublicKeyMatches(sa, saPub))
                    errors.Add(new KubeException("Pki.KeyMismatch", $"{Where("sa.pub")} is not the public half of {Where("sa.key")}.",
                        KubeErrorCategory.InvalidData, Where("sa.pub"), "Remove sa.pub so that it is derived from sa.key again."));
            }
            catch (KubeException e) { errors.Add(e); }
        }
        if (errors.Count > 0) throw new KubeAggregateException(errors);

        // Pass 2: generate keys for everything new, in parallel (RSA generation dominates), then sign in order.
        var toGenerate = plan.Where(p => p.Existing is null).ToList();
        var keys = new KubeKey[toGenerate.Count + (sa is null ? 1 : 0)];
        Parallel.For(0, keys.Length, i => keys[i] = KubeKey.Generate(request.KeyAlgorithm));
        var keyQueue = new Queue<KubeKey>(keys);
        var start = clock.GetUtcNow();
        DateTimeOffset Now() => release.ConfigurableValidity ? start : clock.GetUtcNow();

        var result = new List<KubeCertificate>();
        KubeCertificate? currentCA = null;
        foreach (var p in plan)
        {
            KubeCertificate cert;
            if (p.Existing is { } e)
                cert = new KubeCertificate(p.Profile.Name, p.Profile.BaseName, p.Profile.CAName, e.Cert, e.Key,
                    e.Key is null || (currentCA is { HasPrivateKey: false }) ? CertificateOrigin.External : CertificateOrigin.Reused, e.CertText, e.KeyText);
            else if (p.Profile.IsCA)
                cert = CertificateSigner.CreateCA(p.Profile.Name, p.Profile.BaseName, p.Profile.CommonName!, release, keyQueue.Dequeue(), Now(), request.CAValidity);
            else
                cert = CertificateSigner.Sign(currentCA!, p.Profile.Name, p.Profile.BaseName, p.Spec!, release, keyQueue.Dequeue(), Now(), request.CertificateValidity);
            if (p.Profile.IsCA) currentCA = cert;
            result.Add(cert);
        }
        var saOrigin = sa is null ? CertificateOrigin.Generated : CertificateOrigin.Reused;
        string? saText = saKey is null ? null : Encoding.UTF8.GetString(saKey);
        string? saPubText = sa is not null && saPub is not null ? Encoding.UTF8.GetString(saPub) : null;
        sa ??= keyQueue.Dequeue();
        return new KubePki(result, sa, saText, saPubText, saOrigin, request.KubernetesVersion, warnings, sourceLabel);
    }

    /// <summary>A new CA for a CA profile (ca, front-proxy-ca, etcd-ca).</summary>
    public static KubeCertificate CreateCA(CertificateProfile profile, KubeVersion version, KeyAlgorithm keyAlgorithm = KeyAlgorithm.Rsa2048,
        TimeSpan? validity = null, TimeProvider? clock = null)
    {
        if (!profile.IsCA)
            throw new KubeException("Pki.NotCAProfile", $"'{profile.Name}' is not a CA profile; CA profiles are ca, front-proxy-ca and etcd-ca.",
                KubeErrorCategory.InvalidArgument, profile.Name, "Use New-KubeCertificate for leaf certificates.");
        return CertificateSigner.CreateCA(profile.Name, profile.BaseName, profile.CommonName!, VersionCatalog.Get(version),
            KubeKey.Generate(keyAlgorithm), (clock ?? TimeProvider.System).GetUtcNow(), validity);
    }

    /// <summary>
    /// One leaf certificate of a profile, signed by <paramref name="ca"/>, with its SANs from <paramref name="request"/>.
    /// The CA must be the profile's signer when its name is a kubeadm CA name (<c>Pki.WrongCA</c>).
    /// </summary>
    public static KubeCertificate CreateCertificate(CertificateProfile profile, KubeCertificate ca, PkiRequest request,
        Action<string>? warn = null, TimeProvider? clock = null)
    {
        if (profile.IsCA)
            throw new KubeException("Pki.NotLeafProfile", $"'{profile.Name}' is a CA profile; use New-KubeCA for it.", KubeErrorCategory.InvalidArgument, profile.Name, "Choose a leaf profile.");
        var known = CertificateProfiles.All.Where(p => p.IsCA).Select(p => p.Name);
        if (known.Contains(ca.Name) && ca.Name != profile.CAName)
            throw new KubeException("Pki.WrongCA",
                $"'{profile.Name}' must be signed by '{profile.CAName}', but the CA given is '{ca.Name}' ({ca.Subject}).",
                KubeErrorCategory.InvalidArgument, ca.Name, $"Pass the '{profile.CAName}' CA.");
        var release = request.Release;
        var spec = SpecFor(profile, request, release, warn);
        return CertificateSigner.Sign(ca, profile.Name, profile.BaseName, spec, release, KubeKey.Generate(request.KeyAlgorithm),
            (clock ?? TimeProvider.System).GetUtcNow(), request.CertificateValidity);
    }

    /// <summary>The subject, usages and SANs (before normalizing) kubeadm gives a leaf profile for this request.</summary>
    public static CertificateSpec SpecFor(CertificateProfile profile, PkiRequest request, ReleaseInfo release, Action<string>? warn)
    {
        var cn = profile.CommonName ?? request.NodeName;
        if (string.IsNullOrWhiteSpace(cn))
            throw new KubeException("Pki.InvalidNodeName", $"'{profile.Name}' takes the node name as its CN, and none was given.",
                KubeErrorCategory.InvalidArgument, request.NodeName, "Give the node name, e.g. -NodeName cp1.");
        (List<string> Dns, List<IPAddress> Ips) sans = profile.Sans switch
        {
            SanRule.ApiServer => SanRules.ApiServer(request, warn),
            SanRule.EtcdServer => SanRules.Etcd(request, peer: false, warn),
            SanRule.EtcdPeer => SanRules.Etcd(request, peer: true, warn),
            _ => ([], []),
        };
        return new CertificateSpec
        {
            CommonName = cn,
            Organizations = profile.Organizations(release),
            Usages = profile.Usages,
            DnsNames = sans.Dns,
            IPAddresses = sans.Ips,
        };
    }

    /// <summary>The SANs of <paramref name="spec"/> that <paramref name="certificate"/> does not accept under Go's hostname rules.</summary>
    public static IReadOnlyList<string> MissingSans(X509Certificate2 certificate, CertificateSpec spec)
    {
        var kc = new KubeCertificate("check", null, null, certificate, null, CertificateOrigin.External);
        var missing = new List<string>();
        foreach (var d in spec.DnsNames.Distinct(StringComparer.Ordinal))
            if (!SanRules.DnsCovered(kc.DnsNames, d)) missing.Add("DNS:" + d);
        foreach (var ip in spec.IPAddresses.DistinctBy(i => i.ToString()))
            if (!kc.IPAddresses.Any(c => c.Equals(ip) || (c.IsIPv4MappedToIPv6 && c.MapToIPv4().Equals(ip)))) missing.Add("IP:" + ip);
        return missing;
    }

    static KubeException CAMismatch(string file, X509Certificate2 leaf, string expectedCA) =>
        new("Pki.CAMismatch",
            $"The CA {expectedCA} did not sign the existing certificate {file} (subject {leaf.Subject}, issued by {leaf.Issuer}): it does not verify against that CA.",
            KubeErrorCategory.InvalidData, file,
            "Remove the certificate and its key so that they are signed again by the current CA, or restore the CA that signed them.");

    static void WarnValidity(CertificateProfile profile, X509Certificate2 cert, Func<string, string> where, List<string> warnings, TimeProvider clock)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (now > cert.NotAfter.ToUniversalTime())
            warnings.Add($"the existing certificate {where(profile.CertificateFile)} ('{profile.Name}') has expired ({cert.NotAfter.ToUniversalTime():u}); it is reused as kubeadm does, renew it");
        else if (now < cert.NotBefore.ToUniversalTime())
            warnings.Add($"the existing certificate {where(profile.CertificateFile)} ('{profile.Name}') is not valid yet (from {cert.NotBefore.ToUniversalTime():u}); check the clocks");
    }

    static bool PublicKeyMatches(KubeKey key, byte[] pubPem)
    {
        var block = Pem.Decode(Encoding.UTF8.GetString(pubPem)).FirstOrDefault(b => b.Label == "PUBLIC KEY");
        return block is not null && block.Der.AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo());
    }

    sealed record Existing(X509Certificate2 Cert, IReadOnlyList<X509Certificate2> Intermediates, KubeKey? Key, string CertText, string? KeyText);

    sealed record Planned(CertificateProfile Profile, Existing? Existing, CertificateSpec? Spec);

    static bool IsCA(X509Certificate2 cert) =>
        cert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()?.CertificateAuthority == true;

    static Existing? LoadExisting(CertificateProfile profile, Func<string, byte[]?> read, Func<string, string> where, List<KubeException> errors, bool requireKey, out bool failed)
    {
        failed = false;
        var crt = read(profile.CertificateFile);
        var key = read(profile.KeyFile);
        if (crt is null && key is null) return null;
        try
        {
            if (crt is null)
                throw new KubeException("Pki.InvalidCertificate",
                    $"{where(profile.KeyFile)} exists but {where(profile.CertificateFile)} does not; kubeadm cannot use a key without its certificate.",
                    KubeErrorCategory.ObjectNotFound, where(profile.CertificateFile), $"Provide {profile.CertificateFile}, or remove {profile.KeyFile} so that both are made.");
            var certText = Encoding.UTF8.GetString(crt);
            var certs = PkiFiles.ParseCertificates(certText, where(profile.CertificateFile));
            KubeKey? k = null;
            string? keyText = null;
            if (key is null)
            {
                if (requireKey)
                    throw new KubeException("Pki.InvalidKey", $"{where(profile.CertificateFile)} exists but its key {where(profile.KeyFile)} does not.",
                        KubeErrorCategory.ObjectNotFound, where(profile.KeyFile), $"Provide {profile.KeyFile}, or remove {profile.CertificateFile} so that both are made.");
            }
            else
            {
                keyText = Encoding.UTF8.GetString(key);
                k = KubeKey.FromPem(keyText, where(profile.KeyFile));
                if (!k.Matches(certs[0]))
                    throw new KubeException("Pki.KeyMismatch", $"{where(profile.KeyFile)} is not the private key of {where(profile.CertificateFile)} ({certs[0].Subject}).",
                        KubeErrorCategory.InvalidData, where(profile.KeyFile), "Put the matching key beside the certificate, or remove both so that they are made again.");
            }
            return new Existing(certs[0], certs.Skip(1).ToList(), k, certText, keyText);
        }
        catch (KubeException e)
        {
            errors.Add(e);
            failed = true;
            return null;
        }
    }
}
