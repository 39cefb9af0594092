using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace KubePS.Core.Bootstrap;

/// <summary>
/// kubeadm's certificate key (<c>--certificate-key</c>): 32 random bytes, written as 64 hex characters, the AES-256
/// key of the kubeadm-certs Secret. It is a secret: <see cref="ToString"/> never shows it; <see cref="Reveal"/> does,
/// for the one place that must hand it to a person or a join.
/// </summary>
public sealed partial class CertificateKey : IEquatable<CertificateKey>
{
    /// <summary>Size of the decoded key in bytes (kubeadm's CertificateKeySize).</summary>
    public const int KeySize = 32;

    readonly byte[] _key;

    CertificateKey(byte[] key) { _key = key; }

    public static CertificateKey Generate() => new(RandomNumberGenerator.GetBytes(KeySize));

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex HexPattern();

    public static bool TryParse(string? text, out CertificateKey key)
    {
        key = null!;
        if (text is null || !HexPattern().IsMatch(text)) return false;
        key = new CertificateKey(Convert.FromHexString(text));
        return true;
    }

    /// <summary>Parses 64 hex characters or throws <c>Config.InvalidCertificateKey</c>, naming only the length and shape of the value.</summary>
    public static CertificateKey Parse(string? text, string field = "certificateKey")
    {
        if (TryParse(text, out var k)) return k;
        bool hex = text is not null && text.All(Uri.IsHexDigit);
        string what = text is null ? "is empty" : hex
            ? $"has {text.Length} hex characters ({text.Length / 2} bytes)"
            : $"({text.Length} characters) is not hexadecimal";
        throw new KubeException("Config.InvalidCertificateKey",
            $"{field}: the certificate key {what}; it must be {KeySize * 2} hex characters, an AES key of {KeySize} bytes.",
            KubeErrorCategory.InvalidArgument, field,
            "Use 64 hex characters (kubeadm certs certificate-key prints one, as does Initialize-KubeControlPlane -UploadCerts), or leave the field out to have one generated.");
    }

    /// <summary>The key as 64 lower-case hex characters. Only for handing it on; never log it.</summary>
    public string Reveal() => Convert.ToHexString(_key).ToLowerInvariant();

    internal ReadOnlySpan<byte> Bytes => _key;

    /// <summary>Encrypts as kubeadm's upload-certs does: AES-256-GCM, a fresh 12-byte nonce prepended to ciphertext‖tag, no additional data.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[12 + plaintext.Length + 16];
        var nonce = output.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(_key, 16);
        gcm.Encrypt(nonce, plaintext, output.AsSpan(12, plaintext.Length), output.AsSpan(12 + plaintext.Length, 16));
        return output;
    }

    /// <summary>Decrypts a value of the kubeadm-certs Secret; a wrong key or tampered data is Bootstrap.CertificateKeyMismatch.</summary>
    public byte[] Decrypt(ReadOnlySpan<byte> data, string what)
    {
        if (data.Length < 12 + 16)
            throw new KubeException("Bootstrap.CertificateKeyMismatch", $"The encrypted value of {what} is too short ({data.Length} bytes) to be kubeadm's AES-GCM format.",
                KubeErrorCategory.InvalidData, what);
        var plain = new byte[data.Length - 28];
        try
        {
            using var gcm = new AesGcm(_key, 16);
            gcm.Decrypt(data[..12], data.Slice(12, plain.Length), data[^16..], plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new KubeException("Bootstrap.CertificateKeyMismatch",
                $"Could not decrypt {what} from the kubeadm-certs Secret: the certificate key is not the one the certificates were uploaded with.",
                KubeErrorCategory.AuthenticationError, what,
                "Upload the certificates again with a new key (Publish-KubeControlPlaneCertificate) and join with that key.");
        }
        return plain;
    }

    public bool Equals(CertificateKey? other) => other is not null && CryptographicOperations.FixedTimeEquals(_key, other._key);
    public override bool Equals(object? obj) => obj is CertificateKey k && Equals(k);
    public override int GetHashCode() => 0x5eed;

    public override string ToString() => "<redacted>";
}
