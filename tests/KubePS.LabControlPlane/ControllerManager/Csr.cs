using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ControllerManager;

/// <summary>
/// csrapproving and csrsigning as kube-controller-manager runs them for kubelet client certificates:
/// auto-approval after a SubjectAccessReview of the requester (certificatesigningrequests/nodeclient for new nodes,
/// /selfnodeclient for renewals), and signing with the cluster signing CA for the requested duration.
/// </summary>
public static class Csr
{
    const string Base = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
    public const string KubeletClientSigner = "kubernetes.io/kube-apiserver-client-kubelet";
    const string ClientSigner = "kubernetes.io/kube-apiserver-client";
    const string ServingSigner = "kubernetes.io/kubelet-serving";

    static bool Has(JsonObject csr, string type) => csr.Arr("status", "conditions").Any(c => c.Str("type") == type);

    static CertificateRequest? Parse(JsonObject csr)
    {
        try
        {
            var pem = Encoding.UTF8.GetString(Convert.FromBase64String(csr.Str("spec", "request") ?? ""));
            return CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException) { return null; }
    }

    static bool HasSans(CertificateRequest req) =>
        req.CertificateExtensions.Any(e => e.Oid?.Value == "2.5.29.17" && e.RawData.Length > 2);

    /// <summary>CN system:node:NAME, O exactly [system:nodes], no SANs, usages client auth + digital signature (+ key encipherment).</summary>
    public static bool IsNodeClientCert(CertificateRequest req, IEnumerable<string> usages)
    {
        var (cn, orgs) = Pki.Subject(req.SubjectName);
        if (!cn.StartsWith("system:node:", StringComparison.Ordinal) || cn.Length == "system:node:".Length) return false;
        if (orgs.Count != 1 || orgs[0] != "system:nodes") return false;
        if (HasSans(req)) return false;
        var u = usages.ToHashSet();
        if (!u.Contains("client auth") || !u.Contains("digital signature")) return false;
        return u.All(x => x is "client auth" or "digital signature" or "key encipherment");
    }

    public static async Task Approve(KubeClient read, KubeClient client, CancellationToken ct)
    {
        foreach (var csr in await read.List(Base, ct))
        {
            if (Has(csr, "Approved") || Has(csr, "Denied") || Has(csr, "Failed")) continue;
            if (csr.Str("spec", "signerName") != KubeletClientSigner) continue;
            var req = Parse(csr);
            if (req is null || !IsNodeClientCert(req, csr.Arr("spec", "usages").StringItems())) continue;
            var (cn, _) = Pki.Subject(req.SubjectName);
            var self = cn == csr.Str("spec", "username");
            // Renewals (the node asking for itself) need selfnodeclient; first certificates need nodeclient.
            var checks = self ? new[] { ("selfnodeclient", "Auto approving self kubelet client certificate after SubjectAccessReview.") } : [];
            checks = [.. checks, ("nodeclient", "Auto approving kubelet client certificate after SubjectAccessReview.")];
            foreach (var (sub, message) in checks)
            {
                if (!await Allowed(client, csr, sub, ct)) continue;
                var name = csr.Str("metadata", "name")!;
                var conds = csr.Ensure("status")["conditions"] as JsonArray ?? new JsonArray();
                conds.Add(new JsonObject
                {
                    ["type"] = "Approved", ["status"] = "True", ["reason"] = "AutoApproved", ["message"] = message,
                    ["lastUpdateTime"] = J.Now(), ["lastTransitionTime"] = J.Now(),
                });
                csr.Ensure("status")["conditions"] = conds;
                try
                {
                    await client.Put($"{Base}/{name}/approval", csr, ct);
                    Log.Info($"csrapproving: approved {name} for {csr.Str("spec", "username")} ({message})");
                }
                catch (ApiException e) when (e.Code is 409 or 404) { }
                break;
            }
        }
    }

    static async Task<bool> Allowed(KubeClient client, JsonObject csr, string subresource, CancellationToken ct)
    {
        var spec = csr.Obj("spec");
        var sarSpec = new JsonObject
        {
            ["user"] = spec.Str("username"), ["groups"] = spec["groups"]?.DeepClone() ?? new JsonArray(),
            ["resourceAttributes"] = new JsonObject
            {
                ["group"] = "certificates.k8s.io", ["resource"] = "certificatesigningrequests", ["verb"] = "create", ["subresource"] = subresource,
            },
        };
        if (spec.Str("uid") is { } uid) sarSpec["uid"] = uid;
        if (spec["extra"] is JsonObject extra) sarSpec["extra"] = extra.DeepClone();
        var sar = await client.Post("/apis/authorization.k8s.io/v1/subjectaccessreviews", new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1", ["kind"] = "SubjectAccessReview", ["spec"] = sarSpec,
        }, ct);
        return sar.Bool("status", "allowed") == true;
    }

    public static async Task Sign(KubeClient read, KubeClient client, X509Certificate2 ca, TimeSpan maxDuration, CancellationToken ct)
    {
        foreach (var csr in await read.List(Base, ct))
        {
            if (!Has(csr, "Approved") || Has(csr, "Failed") || Has(csr, "Denied")) continue;
            if (csr.Str("status", "certificate") is { Length: > 0 }) continue;
            var signer = csr.Str("spec", "signerName");
            if (signer is not (KubeletClientSigner or ClientSigner or ServingSigner)) continue;
            var name = csr.Str("metadata", "name")!;
            var usages = csr.Arr("spec", "usages").StringItems().ToList();
            var req = Parse(csr);
            string? invalid = req is null ? "unable to parse csr" : signer switch
            {
                KubeletClientSigner when !IsNodeClientCert(req, usages) => "invalid usage or subject for kubelet client certificate",
                ClientSigner when !usages.Contains("client auth") || usages.Contains("server auth") => "invalid usage for client certificate",
                ServingSigner when !usages.Contains("server auth") || usages.Contains("client auth") => "invalid usage for kubelet serving certificate",
                _ => null,
            };
            if (invalid is not null)
            {
                var conds = csr.Ensure("status")["conditions"] as JsonArray ?? new JsonArray();
                conds.Add(new JsonObject
                {
                    ["type"] = "Failed", ["status"] = "True", ["reason"] = "SignerValidationFailure", ["message"] = invalid,
                    ["lastUpdateTime"] = J.Now(), ["lastTransitionTime"] = J.Now(),
                });
                csr.Ensure("status")["conditions"] = conds;
                try { await client.Put($"{Base}/{name}/status", csr, ct); } catch (ApiException e) when (e.Code is 409 or 404) { }
                continue;
            }
            var duration = csr.Long("spec", "expirationSeconds") is { } es ? TimeSpan.FromSeconds(Math.Min(es, maxDuration.TotalSeconds)) : maxDuration;
            var pem = Issue(req!, usages, ca, duration);
            csr.Ensure("status")["certificate"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));
            try
            {
                await client.Put($"{Base}/{name}/status", csr, ct);
                Log.Info($"csrsigning: signed {name} ({signer}) valid for {duration}");
            }
            catch (ApiException e) when (e.Code is 409 or 404) { }
        }
    }

    static X509KeyUsageFlags KeyUsages(IEnumerable<string> usages)
    {
        var f = X509KeyUsageFlags.None;
        foreach (var u in usages)
            f |= u switch
            {
                "digital signature" or "signing" => X509KeyUsageFlags.DigitalSignature,
                "key encipherment" => X509KeyUsageFlags.KeyEncipherment,
                "content commitment" => X509KeyUsageFlags.NonRepudiation,
                "key agreement" => X509KeyUsageFlags.KeyAgreement,
                "data encipherment" => X509KeyUsageFlags.DataEncipherment,
                _ => X509KeyUsageFlags.None,
            };
        return f;
    }

    /// <summary>Signs like the KCM local signer: backdated 5 minutes, not past the CA, usages from the request.</summary>
    public static string Issue(CertificateRequest req, List<string> usages, X509Certificate2 ca, TimeSpan duration)
    {
        var cert = new CertificateRequest(req.SubjectName, req.PublicKey, HashAlgorithmName.SHA256);
        cert.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var ku = KeyUsages(usages);
        if (ku != X509KeyUsageFlags.None) cert.CertificateExtensions.Add(new X509KeyUsageExtension(ku, true));
        var eku = new OidCollection();
        if (usages.Contains("client auth")) eku.Add(new Oid(Pki.ClientAuthOid));
        if (usages.Contains("server auth")) eku.Add(new Oid(Pki.ServerAuthOid));
        if (eku.Count > 0) cert.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(eku, false));
        // As Go's x509 does: the authority key identifier is the CA's subject key identifier, and absent when the CA has
        // none (CAs made by kubeadm before 1.19 carry no key identifiers).
        if (ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Any())
            cert.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        foreach (var e in req.CertificateExtensions.Where(e => e.Oid?.Value == "2.5.29.17")) cert.CertificateExtensions.Add(e);
        var now = DateTimeOffset.UtcNow;
        var notBefore = now.AddMinutes(-5);
        if (notBefore < ca.NotBefore) notBefore = ca.NotBefore;
        var notAfter = now + duration;
        if (notAfter > ca.NotAfter) notAfter = ca.NotAfter;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        X509SignatureGenerator gen = ca.GetRSAPrivateKey() is { } rsa
            ? X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1)
            : X509SignatureGenerator.CreateForECDsa(ca.GetECDsaPrivateKey() ?? throw new LabException("cluster signing key is neither RSA nor ECDSA"));
        using var signed = cert.Create(ca.SubjectName, gen, notBefore, notAfter, serial);
        return signed.ExportCertificatePem() + "\n";
    }
}
