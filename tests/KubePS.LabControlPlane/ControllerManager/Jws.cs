using System.Security.Cryptography;
using System.Text;

namespace KubePS.LabControlPlane.ControllerManager;

/// <summary>
/// The bootstrap signer's signature: a detached compact JWS, HS256, protected header {"alg":"HS256","kid":"TOKEN-ID"},
/// key = the token secret, payload = the exact cluster-info kubeconfig text; the payload part is left empty.
/// </summary>
public static class Jws
{
    static string B64Url(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Detached(string content, string tokenId, string tokenSecret)
    {
        var header = B64Url(Encoding.UTF8.GetBytes($"{{\"alg\":\"HS256\",\"kid\":\"{tokenId}\"}}"));
        var payload = B64Url(Encoding.UTF8.GetBytes(content));
        var sig = HMACSHA256.HashData(Encoding.UTF8.GetBytes(tokenSecret), Encoding.ASCII.GetBytes(header + "." + payload));
        return header + ".." + B64Url(sig);
    }
}
