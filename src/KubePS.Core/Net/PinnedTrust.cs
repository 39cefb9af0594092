using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace KubePS.Core.Net;

/// <summary>TLS trust as kubeadm's clients use it: the server must chain to a given CA (not the system store) and match the host.</summary>
internal static class PinnedTrust
{
    /// <summary>A RemoteCertificateValidationCallback body: host name must match, chain must end in one of <paramref name="ca"/>.</summary>
    public static bool Validate(X509Certificate? cert, SslPolicyErrors errors, X509Certificate2Collection ca)
    {
        if (cert is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert as X509Certificate2 ?? new X509Certificate2(cert));
    }

    /// <summary>A client certificate with its key from PEM, re-imported so that SslStream can use the key on every platform.</summary>
    public static X509Certificate2 ClientCertificate(string certPem, string keyPem)
    {
        using var pem = X509Certificate2.CreateFromPem(certPem, keyPem);
        return new X509Certificate2(pem.Export(X509ContentType.Pkcs12), (string?)null, X509KeyStorageFlags.Exportable);
    }
}
