using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using KubePS.Core.Pki;

namespace KubePS.Core.Bootstrap;

/// <summary>
/// The CA public-key pins of a token discovery (kubeadm's <c>--discovery-token-ca-cert-hash</c>, any number of them):
/// each <c>sha256:</c> + 64 hex characters, the SHA-256 of a CA certificate's DER SubjectPublicKeyInfo. The format
/// name is matched case-insensitively and the hex is lower-cased, as kubeadm's pin set does. A discovered CA bundle
/// passes when any of its certificates matches any pin.
/// </summary>
public sealed class CAPinSet
{
    readonly HashSet<string> _hashes = new(StringComparer.Ordinal);

    CAPinSet() { }

    /// <summary>The pins, normalized to <c>sha256:&lt;lower-case hex&gt;</c>.</summary>
    public IReadOnlyCollection<string> Pins => _hashes;

    public bool IsEmpty => _hashes.Count == 0;

    /// <summary>
    /// Parses the pins or throws <c>Discovery.InvalidCACertHash</c> naming the offending value (a pin is public) and
    /// the expected form. Duplicates are folded.
    /// </summary>
    public static CAPinSet Parse(IEnumerable<string>? hashes)
    {
        var set = new CAPinSet();
        foreach (var raw in hashes ?? [])
        {
            var value = raw?.Trim() ?? "";
            var parts = value.Split(':');
            string? problem =
                parts.Length != 2 ? "it is not of the form format:hex-value" :
                !parts[0].Equals("sha256", StringComparison.OrdinalIgnoreCase) ? $"the hash format '{parts[0]}' is unknown (only sha256 is)" :
                parts[1].Length != 64 ? $"a SHA-256 hash has 64 hex characters, this one has {parts[1].Length}" :
                !parts[1].All(Uri.IsHexDigit) ? "the hash is not hexadecimal" :
                null;
            if (problem is not null)
                throw new KubeException("Discovery.InvalidCACertHash",
                    $"The CA certificate hash '{value}' is not valid: {problem}. A pin looks like sha256:<64 hex characters>.",
                    KubeErrorCategory.InvalidArgument, value,
                    "Copy the hash Get-KubeJoinCommand (or kubeadm token create --print-join-command) prints, or compute it with Get-KubeCACertHash on the cluster's ca.crt.");
            set._hashes.Add("sha256:" + parts[1].ToLower(CultureInfo.InvariantCulture));
        }
        return set;
    }

    /// <summary>The pin of the first certificate of <paramref name="certificates"/> that is pinned, or null.</summary>
    public string? FirstMatch(IEnumerable<X509Certificate2> certificates) =>
        certificates.Select(CACertHash.Compute).FirstOrDefault(_hashes.Contains);

    public override string ToString() => string.Join(", ", _hashes);
}
