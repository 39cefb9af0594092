using System.Security.Cryptography;
using System.Text;

namespace KubePS.Core.Bootstrap;

/// <summary>
/// The detached JWS that kube-controller-manager's bootstrap signer adds to kube-public/cluster-info as
/// <c>jws-kubeconfig-&lt;token-id&gt;</c>, and that token discovery checks (kubeadm-facts §6.1 step 4):
/// protected header <c>{"alg":"HS256","kid":"&lt;id&gt;"}</c>, HMAC-SHA256 keyed with the token secret over the
/// exact kubeconfig text, base64url without padding, payload left out (<c>header..signature</c>).
/// </summary>
public static class DetachedJws
{
    public static string Compute(string content, string tokenId, string tokenSecret)
    {
        string header = Base64Url(Encoding.UTF8.GetBytes($"{{\"alg\":\"HS256\",\"kid\":\"{tokenId}\"}}"));
        string payload = Base64Url(Encoding.UTF8.GetBytes(content));
        byte[] mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(tokenSecret), Encoding.ASCII.GetBytes(header + "." + payload));
        return header + ".." + Base64Url(mac);
    }

    /// <summary>True when <paramref name="signature"/> is the detached JWS of the content for this token (constant-time compare).</summary>
    public static bool IsValid(string signature, string content, string tokenId, string tokenSecret)
    {
        var expected = Encoding.ASCII.GetBytes(Compute(content, tokenId, tokenSecret));
        var actual = Encoding.ASCII.GetBytes(signature ?? "");
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
