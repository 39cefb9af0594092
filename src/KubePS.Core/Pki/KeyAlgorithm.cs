namespace KubePS.Core.Pki;

/// <summary>
/// The key algorithm of every key kubeadm makes (certificates, kubeconfig client keys, sa.key). The names match
/// kubeadm's v1beta4 <c>encryptionAlgorithm</c> values: RSA-2048 (the default), RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384.
/// </summary>
public enum KeyAlgorithm
{
    Rsa2048,
    Rsa3072,
    Rsa4096,
    EcdsaP256,
    EcdsaP384,
}

/// <summary>Parsing and naming of <see cref="KeyAlgorithm"/> in kubeadm's spelling.</summary>
public static class KeyAlgorithms
{
    static readonly (KeyAlgorithm Value, string Name)[] Names =
    [
        (KeyAlgorithm.Rsa2048, "RSA-2048"),
        (KeyAlgorithm.Rsa3072, "RSA-3072"),
        (KeyAlgorithm.Rsa4096, "RSA-4096"),
        (KeyAlgorithm.EcdsaP256, "ECDSA-P256"),
        (KeyAlgorithm.EcdsaP384, "ECDSA-P384"),
    ];

    /// <summary>kubeadm's name for the algorithm, e.g. <c>RSA-2048</c>.</summary>
    public static string ToKubeadmName(this KeyAlgorithm algorithm) =>
        Names.First(n => n.Value == algorithm).Name;

    /// <summary>
    /// Parses kubeadm's spelling (<c>RSA-2048</c>, <c>ECDSA-P256</c>) or the enum name (<c>Rsa2048</c>), case-insensitively.
    /// An empty value is RSA-2048, kubeadm's default. Anything else throws <c>Pki.InvalidKeyAlgorithm</c>.
    /// </summary>
    public static KeyAlgorithm Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return KeyAlgorithm.Rsa2048;
        var t = text.Trim();
        foreach (var (value, name) in Names)
            if (string.Equals(t, name, StringComparison.OrdinalIgnoreCase) || string.Equals(t, value.ToString(), StringComparison.OrdinalIgnoreCase))
                return value;
        throw new KubeException("Pki.InvalidKeyAlgorithm",
            $"'{text}' is not a key algorithm. Valid values are {string.Join(", ", Names.Select(n => n.Name))}.",
            KubeErrorCategory.InvalidArgument, text, "Use RSA-2048 (kubeadm's default) or one of the other listed values.");
    }
}
