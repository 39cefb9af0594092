using System.Security.Cryptography;
using System.Text;

namespace KubePS.Core.Manifests;

/// <summary>
/// The <c>kubeadm.kubernetes.io/component-config.hash</c> annotation kubeadm puts on the kubelet-config and kube-proxy
/// ConfigMaps it generated (not on ones the user supplied), so that a later upgrade can tell whether an administrator
/// edited them. The input, as kubeadm's componentconfigs checksum code computes it: SHA-256 over the <c>data</c> values
/// in order of their keys (byte-wise), then the <c>binaryData</c> values in order of their keys; the keys themselves and
/// all metadata are not hashed. Written as <c>sha256:</c> and 64 lower-case hex digits.
/// </summary>
public static class ComponentConfigHash
{
    public const string AnnotationKey = "kubeadm.kubernetes.io/component-config.hash";

    public static string Compute(IReadOnlyDictionary<string, string>? data, IReadOnlyDictionary<string, byte[]>? binaryData = null)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (data is not null)
            foreach (var key in data.Keys.OrderBy(k => k, StringComparer.Ordinal))
                sha.AppendData(Encoding.UTF8.GetBytes(data[key]));
        if (binaryData is not null)
            foreach (var key in binaryData.Keys.OrderBy(k => k, StringComparer.Ordinal))
                sha.AppendData(binaryData[key]);
        return "sha256:" + Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>True when the annotation is present and matches the data (kubeadm's "not modified by the user" check).</summary>
    public static bool Matches(string? annotation, IReadOnlyDictionary<string, string>? data, IReadOnlyDictionary<string, byte[]>? binaryData = null) =>
        annotation is not null && string.Equals(annotation, Compute(data, binaryData), StringComparison.Ordinal);
}
