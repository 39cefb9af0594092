using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;

namespace KubePS.Tests.Pki;

/// <summary>
/// A real etcd (Debian's etcd-server, 3.4) serves the generated etcd/server.crt with client-certificate auth and the
/// peer certificates; etcdctl reaches it with the healthcheck and apiserver-etcd-client certificates, and a client
/// certificate from another CA is refused.
/// </summary>
public sealed class EtcdServesGeneratedCertificatesTests
{
    static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Theory]
    [InlineData("1.30.14", "RSA-2048")]
    [InlineData("1.18.2", "ECDSA-P256")]
    public void Etcd_serves_the_generated_certificates_and_accepts_only_its_CAs_clients(string version, string algorithm)
    {
        if (!File.Exists("/usr/bin/etcd") || !File.Exists("/usr/bin/etcdctl"))
            throw new InvalidOperationException("etcd and etcdctl (Debian etcd-server, etcd-client) are required for this test");
        using var dir = new TempDir();
        var request = new PkiRequest
        {
            NodeName = "etcd-node", AdvertiseAddress = "127.0.0.1", KubernetesVersion = KubeVersion.Parse(version), KeyAlgorithm = KeyAlgorithms.Parse(algorithm),
        };
        KubePkiBuilder.Create(request).Export(dir.File("pki"));
        // A client certificate from an unrelated etcd CA, for the refusal.
        var stranger = KubePkiBuilder.CreateCertificate(CertificateProfiles.ApiServerEtcdClient,
            KubePkiBuilder.CreateCA(CertificateProfiles.EtcdCa, request.KubernetesVersion), request);
        new KubePki([stranger], null, null, null, CertificateOrigin.Generated, null, []).Export(dir.File("stranger"));

        int client = FreePort(), peer = FreePort();
        string pki = dir.File("pki");
        var psi = new ProcessStartInfo("/usr/bin/etcd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "--name=etcd-node", $"--data-dir={dir.File("data")}",
                     $"--listen-client-urls=https://127.0.0.1:{client}", $"--advertise-client-urls=https://127.0.0.1:{client}",
                     $"--listen-peer-urls=https://127.0.0.1:{peer}", $"--initial-advertise-peer-urls=https://127.0.0.1:{peer}",
                     $"--initial-cluster=etcd-node=https://127.0.0.1:{peer}",
                     $"--cert-file={pki}/etcd/server.crt", $"--key-file={pki}/etcd/server.key", "--client-cert-auth=true",
                     $"--trusted-ca-file={pki}/etcd/ca.crt",
                     $"--peer-cert-file={pki}/etcd/peer.crt", $"--peer-key-file={pki}/etcd/peer.key", "--peer-client-cert-auth=true",
                     $"--peer-trusted-ca-file={pki}/etcd/ca.crt", "--snapshot-count=10000", "--listen-metrics-urls=http://127.0.0.1:0",
                 })
            psi.ArgumentList.Add(a);
        psi.Environment["ETCD_UNSUPPORTED_ARCH"] = "";
        using var etcd = Process.Start(psi)!;
        var log = new System.Text.StringBuilder();
        etcd.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        etcd.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        etcd.BeginOutputReadLine();
        etcd.BeginErrorReadLine();
        try
        {
            Tool.Result Ctl(string certBase, params string[] args)
            {
                var all = new List<string>
                {
                    $"--endpoints=https://127.0.0.1:{client}", $"--cacert={pki}/etcd/ca.crt",
                    $"--cert={certBase}.crt", $"--key={certBase}.key", "--dial-timeout=3s", "--command-timeout=5s",
                };
                all.AddRange(args);
                return Tool.Run("/usr/bin/etcdctl", all, env: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
            }

            Tool.Result health = new(1, "", "");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                health = Ctl($"{pki}/etcd/healthcheck-client", "endpoint", "health");
                if (health.ExitCode == 0 || etcd.HasExited) break;
                Thread.Sleep(300);
            }
            Assert.True(health.ExitCode == 0, $"etcd health failed: {health.All}\netcd log:\n{log}");
            Assert.Contains("is healthy", health.All);

            var put = Ctl($"{pki}/apiserver-etcd-client", "put", "/registry/kubeps", "works");
            Assert.True(put.ExitCode == 0, put.All);
            var get = Ctl($"{pki}/apiserver-etcd-client", "get", "/registry/kubeps", "--print-value-only");
            Assert.Equal("works", get.Output.Trim());

            var refused = Ctl($"{dir.File("stranger")}/apiserver-etcd-client", "get", "/registry/kubeps");
            Assert.NotEqual(0, refused.ExitCode);
            Assert.DoesNotContain("works", refused.Output);
        }
        finally
        {
            if (!etcd.HasExited) { etcd.Kill(entireProcessTree: true); etcd.WaitForExit(10_000); }
        }
    }
}
