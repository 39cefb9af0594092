using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KubePS.Core.Pki;

/// <summary>
/// A private key (RSA or ECDSA) as kubeadm makes and reads them. The private key material is reachable only from
/// inside KubePS.Core (to sign and to write files); <see cref="ToString"/> and every public property show public data only.
/// </summary>
public sealed class KubeKey : IDisposable
{
    readonly AsymmetricAlgorithm _key;

    KubeKey(AsymmetricAlgorithm key, KeyAlgorithm algorithm)
    {
        _key = key;
        Algorithm = algorithm;
    }

    /// <summary>RSA-2048, ECDSA-P256, ...</summary>
    public KeyAlgorithm Algorithm { get; }

    /// <summary>The key's size in bits (2048, 256, ...).</summary>
    public int KeySize => _key.KeySize;

    internal RSA? Rsa => _key as RSA;
    internal ECDsa? Ecdsa => _key as ECDsa;

    /// <summary>
    /// A new key. RSA uses exponent 65537, as Go's rsa.GenerateKey does. The key is generated here and now (.NET
    /// would otherwise defer it to first use), so that callers can generate keys in parallel.
    /// </summary>
    public static KubeKey Generate(KeyAlgorithm algorithm)
    {
        var key = Create(algorithm);
        _ = key.ExportSubjectPublicKeyInfo();
        return key;
    }

    static KubeKey Create(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.Rsa2048 => new(RSA.Create(2048), algorithm),
        KeyAlgorithm.Rsa3072 => new(RSA.Create(3072), algorithm),
        KeyAlgorithm.Rsa4096 => new(RSA.Create(4096), algorithm),
        KeyAlgorithm.EcdsaP256 => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), algorithm),
        KeyAlgorithm.EcdsaP384 => new(ECDsa.Create(ECCurve.NamedCurves.nistP384), algorithm),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>
    /// Reads a private key from PEM: <c>RSA PRIVATE KEY</c> (PKCS#1), <c>EC PRIVATE KEY</c> (SEC1) or <c>PRIVATE KEY</c>
    /// (PKCS#8, RSA or ECDSA). The first key block counts, as in client-go's keyutil. Anything else throws
    /// <c>Pki.InvalidKey</c> naming <paramref name="source"/> (never the key).
    /// </summary>
    public static KubeKey FromPem(string pem, string source)
    {
        foreach (var block in Pem.Decode(pem))
        {
            try
            {
                switch (block.Label)
                {
                    case "RSA PRIVATE KEY":
                    {
                        var rsa = RSA.Create();
                        rsa.ImportRSAPrivateKey(block.Der, out _);
                        return new(rsa, RsaAlgorithm(rsa.KeySize, source));
                    }
                    case "EC PRIVATE KEY":
                    {
                        var ec = ECDsa.Create();
                        ec.ImportECPrivateKey(block.Der, out _);
                        return new(ec, EcAlgorithm(ec, source));
                    }
                    case "PRIVATE KEY":
                        return FromPkcs8(block.Der, source);
                }
            }
            catch (CryptographicException e)
            {
                throw Invalid(source, $"its {block.Label} block could not be parsed ({e.Message})", e);
            }
        }
        throw Invalid(source, "it holds no RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY block", null);
    }

    static KubeKey FromPkcs8(byte[] der, string source)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportPkcs8PrivateKey(der, out _);
            return new(rsa, RsaAlgorithm(rsa.KeySize, source));
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
        }
        var ec = ECDsa.Create();
        try
        {
            ec.ImportPkcs8PrivateKey(der, out _);
            return new(ec, EcAlgorithm(ec, source));
        }
        catch (CryptographicException e)
        {
            ec.Dispose();
            throw Invalid(source, "its PKCS#8 key is neither RSA nor ECDSA", e);
        }
    }

    static KeyAlgorithm RsaAlgorithm(int bits, string source) => bits switch
    {
        2048 => KeyAlgorithm.Rsa2048,
        3072 => KeyAlgorithm.Rsa3072,
        4096 => KeyAlgorithm.Rsa4096,
        _ => throw Invalid(source, $"its RSA key has {bits} bits; KubePS uses 2048, 3072 or 4096", null),
    };

    static KeyAlgorithm EcAlgorithm(ECDsa ec, string source)
    {
        var oid = ec.ExportParameters(false).Curve.Oid;
        return oid.Value switch
        {
            "1.2.840.10045.3.1.7" => KeyAlgorithm.EcdsaP256,
            "1.3.132.0.34" => KeyAlgorithm.EcdsaP384,
            _ => throw Invalid(source, $"its ECDSA curve {oid.FriendlyName ?? oid.Value} is not P-256 or P-384", null),
        };
    }

    static KubeException Invalid(string source, string why, Exception? inner) =>
        new("Pki.InvalidKey", $"The private key file {source} cannot be used: {why}.", KubeErrorCategory.InvalidData, source,
            "Provide an RSA (PKCS#1 'RSA PRIVATE KEY' or PKCS#8 'PRIVATE KEY') or ECDSA P-256/P-384 ('EC PRIVATE KEY') key in PEM form, or remove the file so that a new key is made.", inner);

    /// <summary>The private key in kubeadm's PEM form: <c>RSA PRIVATE KEY</c> (PKCS#1) or <c>EC PRIVATE KEY</c> (SEC1). Secret.</summary>
    internal string ExportPrivateKeyPem() => _key switch
    {
        RSA rsa => Pem.Encode("RSA PRIVATE KEY", rsa.ExportRSAPrivateKey()),
        ECDsa ec => Pem.Encode("EC PRIVATE KEY", ec.ExportECPrivateKey()),
        _ => throw new InvalidOperationException("unsupported key type"),
    };

    /// <summary>The DER SubjectPublicKeyInfo of the public key.</summary>
    public byte[] ExportSubjectPublicKeyInfo() => _key switch
    {
        RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
        ECDsa ec => ec.ExportSubjectPublicKeyInfo(),
        _ => throw new InvalidOperationException("unsupported key type"),
    };

    /// <summary>The public key as <c>PUBLIC KEY</c> PEM (PKIX SubjectPublicKeyInfo), the form of sa.pub.</summary>
    public string ExportPublicKeyPem() => Pem.Encode("PUBLIC KEY", ExportSubjectPublicKeyInfo());

    /// <summary>True when this key is the private half of <paramref name="certificate"/>'s public key.</summary>
    public bool Matches(X509Certificate2 certificate) =>
        certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(ExportSubjectPublicKeyInfo());

    /// <summary>The signature generator Go's x509 would pick for this key as issuer: SHA-256 with RSA PKCS#1 v1.5; ECDSA with SHA-256 (P-256) or SHA-384 (P-384).</summary>
    internal X509SignatureGenerator SignatureGenerator() => _key switch
    {
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
        _ => throw new InvalidOperationException("unsupported key type"),
    };

    internal HashAlgorithmName SignatureHash => Algorithm == KeyAlgorithm.EcdsaP384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    /// <summary>The public half, for a CertificateRequest.</summary>
    internal PublicKey PublicKey => new(_key);

    /// <summary>Attaches this key to a public certificate.</summary>
    internal X509Certificate2 Attach(X509Certificate2 certificate) => _key switch
    {
        RSA rsa => certificate.CopyWithPrivateKey(rsa),
        ECDsa ec => certificate.CopyWithPrivateKey(ec),
        _ => throw new InvalidOperationException("unsupported key type"),
    };

    public void Dispose() => _key.Dispose();

    /// <summary>The algorithm only, e.g. <c>RSA-2048 private key</c>; never key material.</summary>
    public override string ToString() => $"{Algorithm.ToKubeadmName()} private key";
}
