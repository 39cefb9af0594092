using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.Kubelet;

/// <summary>
/// The kubelet's TLS bootstrap: with only a bootstrap kubeconfig, make an ECDSA P-256 key, ask for a client
/// certificate (CSR CN=system:node:NAME, O=system:nodes, signer kubernetes.io/kube-apiserver-client-kubelet), wait
/// until it is approved and issued, store cert+key as CERT-DIR/kubelet-client-DATE.pem with the
/// kubelet-client-current.pem symlink, and write the kubeconfig that points at it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class TlsBootstrap
{
    public static string CurrentPem(string certDir) => Path.Combine(certDir, "kubelet-client-current.pem");

    /// <summary>True when the kubeconfig exists and its client certificate has not expired.</summary>
    public static bool KubeconfigUsable(string path)
    {
        if (!File.Exists(path)) return false;
        try
        {
            var cfg = KubeConfig.Load(path, "--kubeconfig");
            return cfg.ClientCert is null ? cfg.Token is not null : cfg.ClientCert.NotAfter.ToUniversalTime() > DateTime.UtcNow;
        }
        catch (LabException e)
        {
            Log.Warn($"kubeconfig {path} is not usable: {e.Message}");
            return false;
        }
    }

    public static async Task Run(string bootstrapKubeconfig, string kubeconfigPath, string certDir, string nodeName, CancellationToken ct)
    {
        var boot = KubeConfig.Load(bootstrapKubeconfig, "--bootstrap-kubeconfig");
        Directory.CreateDirectory(certDir);
        // Reuse a key from an interrupted bootstrap, as the kubelet does, so the CSR name stays the same.
        var keyFile = Path.Combine(certDir, "kubelet-client.key.tmp");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(keyFile)) key.ImportFromPem(File.ReadAllText(keyFile));
        else
        {
            File.WriteAllText(keyFile, key.ExportECPrivateKeyPem());
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var subject = new X500DistinguishedName($"CN=system:node:{nodeName}, O=system:nodes");
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var csrPem = req.CreateSigningRequestPem();
        var digest = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(nodeName + "\n" + Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()))))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var csrName = "node-csr-" + digest;
        using var client = new KubeClient(boot, "kubelet/lab (linux/amd64) kubernetes/lab");
        string? certPem = null;
        var created = false;
        Log.Info($"TLS bootstrap: requesting a client certificate as {csrName}");
        while (certPem is null)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var path = $"/apis/certificates.k8s.io/v1/certificatesigningrequests/{csrName}";
                var csr = await client.Get(path, ct);
                if (csr is null && !created)
                {
                    await client.Post("/apis/certificates.k8s.io/v1/certificatesigningrequests", new JsonObject
                    {
                        ["apiVersion"] = "certificates.k8s.io/v1", ["kind"] = "CertificateSigningRequest",
                        ["metadata"] = new JsonObject { ["name"] = csrName },
                        ["spec"] = new JsonObject
                        {
                            ["request"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(csrPem)),
                            ["signerName"] = "kubernetes.io/kube-apiserver-client-kubelet",
                            ["usages"] = new JsonArray("digital signature", "client auth"),
                        },
                    }, ct);
                    created = true;
                    Log.Info($"TLS bootstrap: created CSR {csrName}, waiting for approval");
                }
                else if (csr is not null)
                {
                    var conds = csr.Arr("status", "conditions");
                    if (conds.Any(c => c.Str("type") is "Denied" or "Failed"))
                        throw new LabException($"certificate signing request {csrName} was {conds.First(c => c.Str("type") is "Denied" or "Failed").Str("type")!.ToLowerInvariant()}");
                    if (csr.Str("status", "certificate") is { Length: > 0 } cert)
                        certPem = Encoding.UTF8.GetString(Convert.FromBase64String(cert));
                }
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                Log.Warn("TLS bootstrap: " + e.Message);
            }
            if (certPem is null) await Task.Delay(1000, ct);
        }
        var stamp = DateTime.Now.ToString("yyyy-MM-dd-HH-mm-ss");
        var pemFile = Path.Combine(certDir, $"kubelet-client-{stamp}.pem");
        File.WriteAllText(pemFile, certPem.TrimEnd() + "\n" + key.ExportECPrivateKeyPem() + "\n");
        File.SetUnixFileMode(pemFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var current = CurrentPem(certDir);
        if (File.Exists(current) || new FileInfo(current).LinkTarget is not null) File.Delete(current);
        File.CreateSymbolicLink(current, pemFile);
        File.Delete(keyFile);
        var caData = boot.CaData is null ? null : Convert.ToBase64String(boot.CaData);
        var cluster = new JsonObject { ["server"] = boot.Server };
        if (caData is not null) cluster["certificate-authority-data"] = caData;
        if (boot.Insecure) cluster["insecure-skip-tls-verify"] = true;
        var kc = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["clusters"] = new JsonArray(new JsonObject { ["cluster"] = cluster, ["name"] = "default-cluster" }),
            ["contexts"] = new JsonArray(new JsonObject
            {
                ["context"] = new JsonObject { ["cluster"] = "default-cluster", ["namespace"] = "default", ["user"] = "default-auth" },
                ["name"] = "default-context",
            }),
            ["current-context"] = "default-context",
            ["kind"] = "Config",
            ["preferences"] = new JsonObject(),
            ["users"] = new JsonArray(new JsonObject
            {
                ["name"] = "default-auth",
                ["user"] = new JsonObject { ["client-certificate"] = current, ["client-key"] = current },
            }),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(kubeconfigPath))!);
        var tmp = kubeconfigPath + ".tmp";
        File.WriteAllText(tmp, Yaml.Emit(kc));
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, kubeconfigPath, true);
        Log.Info($"TLS bootstrap: certificate issued; wrote {pemFile} and {kubeconfigPath}");
    }
}
