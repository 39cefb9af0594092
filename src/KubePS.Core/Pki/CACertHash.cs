using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KubePS.Core.Pki;

/// <summary>
/// kubeadm's CA pin (<c>--discovery-token-ca-cert-hash</c>): <c>sha256:</c> + lower-case hex SHA-256 of the CA
/// certificate's DER SubjectPublicKeyInfo.
/// </summary>
public static class CACertHash
{
    public static string Compute(X509Certificate2 certificate) =>
        "sha256:" + Convert.ToHexString(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo())).ToLowerInvariant();

    /// <summary>The pin of the first certificate in a PEM file (e.g. ca.crt).</summary>
    public static string ComputeFromFile(string path) => Compute(PkiFiles.LoadCertificates(path)[0]);
}
