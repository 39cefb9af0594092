using System.Globalization;
using KubePS.Core;
using KubePS.Core.Nodes;
using KubePS.Core.Pki;
using KubePS.Tests.LabControlPlane;
using Xunit;

namespace KubePS.Tests.Day2;

/// <summary>
/// Get-KubeCertificate -Session and Update-KubeCertificate on the lab control plane (loopback, openssl-made PKI, the
/// lab kubelet running etcd and the stand-ins), through a local session pointed at the lab's folders. Judged with
/// openssl (dates, serials, SANs, usages, the chain, the certificate the API server serves) and kubectl (the refreshed
/// admin.conf still works).
/// </summary>
[Collection(Day2ClusterCollection.Name)]
public sealed class CertificateRenewalLabTests(LabCluster lab)
{
    NodeCertificatePaths Paths => new()
    {
        CertificatesDir = lab.Pki,
        KubeConfigDir = Path.Combine(lab.Root, "etc/kubernetes"),
        KubeletPkiDir = Path.Combine(lab.Root, "var/lib/kubelet/pki"),
    };

    static async Task<KubeNodeSession> Local(string name) =>
        await NodeSessionFactory.OpenAsync(new NodeSessionOptions { Local = true, HostName = name });

    string Ossl(string args) => lab.Openssl("openssl " + args) is var r && r.ExitCode == 0 ? r.Stdout.Trim() : throw new InvalidOperationException(r.ToString());

    DateTime EndDate(string file) => DateTime.ParseExact(Ossl($"x509 -in {file} -noout -enddate")["notAfter=".Length..].Replace("  ", " "),
        "MMM d HH:mm:ss yyyy 'GMT'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    /// <summary>The SAN entries as a set, and key usage / extended key usage as openssl prints them.</summary>
    (string[] Sans, string KeyUsage, string Eku, string Subject) Profile(string file)
    {
        var sans = Ossl($"x509 -in {file} -noout -ext subjectAltName").Split('\n').Skip(1).SelectMany(l => l.Split(',')).Select(s => s.Trim())
            .Where(s => s.Length > 0).Order(StringComparer.Ordinal).ToArray();
        return (sans, Ossl($"x509 -in {file} -noout -ext keyUsage"), Ossl($"x509 -in {file} -noout -ext extendedKeyUsage"),
            Ossl($"x509 -in {file} -noout -subject -nameopt RFC2253"));
    }

    [Fact]
    public async Task Inventory_over_a_session_lists_every_certificate_with_openssls_dates()
    {
        await using var session = await Local("lab-cp1");

        var rows = await NodeCertificateInventory.GetAsync(session, Paths, default);

        Assert.All(rows, r => Assert.Equal("lab-cp1", r.HostName));
        Assert.Equal(["admin.conf", "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client", "controller-manager.conf", "etcd-healthcheck-client",
            "etcd-peer", "etcd-server", "front-proxy-client", "kubelet.conf", "scheduler.conf", "ca", "etcd-ca", "front-proxy-ca"], rows.Select(r => r.Name));
        foreach (var r in rows.Where(r => r.Path.EndsWith(".crt", StringComparison.Ordinal)))
            Assert.Equal(EndDate(r.Path), r.NotAfter);
        Assert.True(rows.Single(r => r.Name == "kubelet.conf").ExternallyManaged);
        Assert.False(rows.Single(r => r.Name == "apiserver").ExternallyManaged);
    }

    [Fact]
    public async Task A_worker_lists_only_its_kubelet_client_certificate()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "etc/kubernetes/pki"));
            Directory.CreateDirectory(Path.Combine(dir, "var/lib/kubelet/pki"));
            File.Copy(Path.Combine(lab.Pki, "ca.crt"), Path.Combine(dir, "etc/kubernetes/pki/ca.crt"));
            var pem = Path.Combine(dir, "var/lib/kubelet/pki/kubelet-client-2026.pem");
            File.WriteAllText(pem, File.ReadAllText(Path.Combine(lab.Pki, "kubelet.crt")) + File.ReadAllText(Path.Combine(lab.Pki, "kubelet.key")));
            File.CreateSymbolicLink(Path.Combine(dir, "var/lib/kubelet/pki/kubelet-client-current.pem"), pem);
            File.WriteAllText(Path.Combine(dir, "etc/kubernetes/kubelet.conf"), $"""
                apiVersion: v1
                clusters:
                - cluster:
                    certificate-authority-data: {Convert.ToBase64String(File.ReadAllBytes(Path.Combine(lab.Pki, "ca.crt")))}
                    server: {lab.Server}
                  name: default-cluster
                contexts:
                - context:
                    cluster: default-cluster
                    user: default-auth
                  name: default-context
                current-context: default-context
                kind: Config
                users:
                - name: default-auth
                  user:
                    client-certificate: {dir}/var/lib/kubelet/pki/kubelet-client-current.pem
                    client-key: {dir}/var/lib/kubelet/pki/kubelet-client-current.pem
                """);
            await using var session = await Local("w1");
            var rows = await NodeCertificateInventory.GetAsync(session, new NodeCertificatePaths
            {
                CertificatesDir = dir + "/etc/kubernetes/pki", KubeConfigDir = dir + "/etc/kubernetes", KubeletPkiDir = dir + "/var/lib/kubelet/pki",
            }, default);

            var row = Assert.Single(rows);
            Assert.Equal("kubelet.conf", row.Name);
            Assert.Equal(EndDate(Path.Combine(lab.Pki, "kubelet.crt")), row.NotAfter);
            Assert.Contains("system:node:lab-cp1", row.Subject);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task Renewing_what_expires_soon_keeps_SANs_and_usages_restarts_the_API_server_and_admin_conf_still_works()
    {
        // apiserver.crt re-signed by openssl to expire in 5 days (same key, same extensions): the one row under 30 days.
        var r = lab.Openssl("""
            set -e
            openssl x509 -in apiserver.crt -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//; s/IP Address:/IP:/g; s/^/subjectAltName=/' > short.ext
            printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >> short.ext
            openssl x509 -x509toreq -in apiserver.crt -signkey apiserver.key -out short.csr 2>/dev/null
            openssl x509 -req -in short.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 5 -extfile short.ext -out apiserver.crt 2>/dev/null
            rm -f short.csr short.ext
            """);
        Assert.True(r.ExitCode == 0, r.ToString());
        var apiserver = Path.Combine(lab.Pki, "apiserver.crt");
        var before = Profile(apiserver);
        var serialBefore = Ossl($"x509 -in {apiserver} -noout -serial");
        Assert.True(EndDate(apiserver) < DateTime.UtcNow.AddDays(6));
        var adminBefore = File.ReadAllText(lab.AdminConf);
        await using var session = await Local("lab-cp1");

        var soon = (await NodeCertificateInventory.GetAsync(session, Paths, default)).Where(c => c.ResidualTime < TimeSpan.FromDays(30)).ToList();
        Assert.Equal(["apiserver"], soon.Select(c => c.Name));
        var sink = new CapturingSink();
        var renewed = await CertificateRenewal.RenewAsync(session, new CertificateRenewalOptions
        {
            Names = [.. soon.Select(c => c.Name), "admin.conf"], Paths = Paths,
            RestartStopTimeout = TimeSpan.FromSeconds(20), RestartStartTimeout = TimeSpan.FromSeconds(60),
        }, sink, default);

        Assert.Empty(sink.Errors);
        Assert.Equal(["apiserver", "admin.conf"], renewed.Select(x => x.Name));
        Assert.Equal("kube-apiserver", renewed[0].Restarted);
        var after = Profile(apiserver);
        Assert.Equal(before.Sans, after.Sans);
        Assert.Equal(before.KeyUsage, after.KeyUsage);
        Assert.Equal(before.Eku, after.Eku);
        Assert.Equal(before.Subject, after.Subject);
        Assert.NotEqual(serialBefore, Ossl($"x509 -in {apiserver} -noout -serial"));
        Assert.InRange(EndDate(apiserver), DateTime.UtcNow.AddDays(364), DateTime.UtcNow.AddDays(366));
        Assert.Equal($"{apiserver}: OK", Ossl($"verify -CAfile ca.crt {apiserver}"));
        Assert.Equal(Ossl($"x509 -in {apiserver} -noout -pubkey"), Ossl("pkey -in apiserver.key -pubout"));
        Assert.Equal("600", lab.Openssl("stat -c %a apiserver.key").Stdout.Trim());
        // The restarted API server serves the renewed certificate.
        var served = lab.Openssl($"echo | openssl s_client -connect 127.0.0.1:{lab.ApiPort} 2>/dev/null | openssl x509 -noout -serial");
        Assert.Equal(Ossl($"x509 -in {apiserver} -noout -serial"), served.Stdout.Trim());

        // admin.conf: a new client certificate, same identity, and kubectl works with it.
        Assert.NotEqual(adminBefore, File.ReadAllText(lab.AdminConf));
        Assert.Equal("600", lab.Openssl($"stat -c %a {lab.AdminConf}").Stdout.Trim());
        var cert = lab.Openssl($"grep client-certificate-data {lab.AdminConf} | awk '{{print $2}}' | base64 -d | openssl x509 -noout -subject -enddate -nameopt RFC2253");
        Assert.Contains("CN=kubernetes-admin,O=system:masters", cert.Stdout);
        Assert.Contains(DateTime.UtcNow.AddDays(365).ToString("yyyy", CultureInfo.InvariantCulture), cert.Stdout);
        LabTools.WaitFor("kubectl with the renewed admin.conf", TimeSpan.FromSeconds(30), () =>
        {
            var k = lab.Kubectl("get", "nodes", "-o", "name");
            return (k.ExitCode == 0 && k.Stdout.Contains("node/lab-cp1"), k.ToString());
        });
    }

    [Fact]
    public async Task A_CA_or_an_unknown_name_is_refused_and_WhatIf_writes_nothing()
    {
        await using var session = await Local("lab-cp1");
        var unknown = await Assert.ThrowsAsync<KubeException>(() => CertificateRenewal.RenewAsync(session,
            new CertificateRenewalOptions { Names = ["apiserver-typo"], Paths = Paths }, new CapturingSink(), default));
        Assert.Equal("Certificates.UnknownName", unknown.ErrorId);

        var sink = new CapturingSink();
        var none = await CertificateRenewal.RenewAsync(session, new CertificateRenewalOptions { Names = ["ca"], Paths = Paths }, sink, default);
        Assert.Empty(none);
        Assert.Equal("Pki.CannotRenewCA", Assert.Single(sink.Errors).ErrorId);

        var front = Path.Combine(lab.Pki, "front-proxy-client.crt");
        var bytes = File.ReadAllBytes(front);
        var declined = await CertificateRenewal.RenewAsync(session, new CertificateRenewalOptions { Names = ["front-proxy-client"], Paths = Paths },
            new CapturingSink(answer: false), default);
        Assert.Empty(declined);
        Assert.Equal(bytes, File.ReadAllBytes(front));
    }
}
