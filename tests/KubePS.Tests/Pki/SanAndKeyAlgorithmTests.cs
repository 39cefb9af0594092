using Xunit;
using KubePS.Core;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;

namespace KubePS.Tests.Pki;

/// <summary>SAN computation rules (kubeadm-facts §1.2), key algorithms (§1.4), the CA pin and the expiry inventory, judged by openssl.</summary>
public sealed class SanAndKeyAlgorithmTests
{
    // ECDSA keys where the algorithm is not the point: RSA generation would dominate the test time.
    static KubeCertificate ApiServer(PkiRequest request, List<string> warnings) =>
        KubePkiBuilder.CreateCertificate(CertificateProfiles.ApiServer,
            KubePkiBuilder.CreateCA(CertificateProfiles.Ca, request.KubernetesVersion, KeyAlgorithm.EcdsaP256),
            new PkiRequest
            {
                NodeName = request.NodeName, AdvertiseAddress = request.AdvertiseAddress, ServiceSubnet = request.ServiceSubnet, DnsDomain = request.DnsDomain,
                ControlPlaneEndpoint = request.ControlPlaneEndpoint, ApiServerCertSANs = request.ApiServerCertSANs, KubernetesVersion = request.KubernetesVersion,
                KeyAlgorithm = KeyAlgorithm.EcdsaP256,
            }, warnings.Add);

    static IReadOnlyList<string> SansByOpenSsl(KubeCertificate cert)
    {
        using var t = new TempDir();
        File.WriteAllText(t.File("c.crt"), cert.CertificatePem);
        return Tool.Sans(t.File("c.crt"));
    }

    [Fact]
    public void CertSANs_take_IPs_names_and_wildcards_and_drop_the_rest_with_a_warning()
    {
        var warnings = new List<string>();
        var cert = ApiServer(new PkiRequest
        {
            NodeName = "cp1", AdvertiseAddress = "10.0.0.11", KubernetesVersion = KubeVersion.Parse("1.30.14"),
            ControlPlaneEndpoint = "lb.example.com:6443",
            ApiServerCertSANs = ["*.apps.example.com", "192.168.0.10", "Bad_Name", "fd00::10", "kubernetes", "10.0.0.11", "::ffff:10.1.2.3"],
        }, warnings);
        Assert.Equal(
            [
                "DNS:*.apps.example.com", "DNS:cp1", "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc",
                "DNS:kubernetes.default.svc.cluster.local", "DNS:lb.example.com",
                "IP Address:10.96.0.1", "IP Address:10.0.0.11", "IP Address:192.168.0.10", "IP Address:FD00:0:0:0:0:0:0:10", "IP Address:10.1.2.3",
            ],
            SansByOpenSsl(cert));
        Assert.Equal("'Bad_Name' was not added to the 'apiserver' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry", Assert.Single(warnings));
    }

    [Fact]
    public void Version_1_18_keeps_build_order_and_duplicates()
    {
        var cert = ApiServer(new PkiRequest
        {
            NodeName = "cp1", AdvertiseAddress = "10.0.0.11", KubernetesVersion = KubeVersion.Parse("1.18.2"),
            ControlPlaneEndpoint = "10.0.0.100", ApiServerCertSANs = ["kubernetes", "10.0.0.11"],
        }, []);
        Assert.Equal(
            [
                "DNS:cp1", "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local", "DNS:kubernetes",
                "IP Address:10.96.0.1", "IP Address:10.0.0.11", "IP Address:10.0.0.100", "IP Address:10.0.0.11",
            ],
            SansByOpenSsl(cert));
    }

    [Fact]
    public void IPv6_service_subnet_and_advertise_address_give_IPv6_SANs()
    {
        var cert = ApiServer(new PkiRequest
        {
            NodeName = "cp1", AdvertiseAddress = "fd00::11", ServiceSubnet = "fd00:10:96::/112,10.96.0.0/12", KubernetesVersion = KubeVersion.Parse("1.30.14"),
            DnsDomain = "corp.local",
        }, []);
        var sans = SansByOpenSsl(cert);
        Assert.Contains("DNS:kubernetes.default.svc.corp.local", sans);
        Assert.Equal(["IP Address:FD00:10:96:0:0:0:0:1", "IP Address:FD00:0:0:0:0:0:0:11"], sans.Where(s => s.StartsWith("IP", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("not-an-ip", "Pki.InvalidAdvertiseAddress")]
    [InlineData("10.0.0.999", "Pki.InvalidAdvertiseAddress")]
    public void Bad_advertise_address_fails_before_anything_is_made(string adv, string id)
    {
        var e = Assert.ThrowsAny<KubeException>(() => KubePkiBuilder.Create(new PkiRequest { NodeName = "cp1", AdvertiseAddress = adv }));
        var errors = e is KubeAggregateException a ? a.Errors : [e];
        Assert.Contains(errors, x => x.ErrorId == id && x.Message.Contains(adv));
    }

    [Fact]
    public void Bad_inputs_are_reported_together()
    {
        var e = Assert.Throws<KubeAggregateException>(() => KubePkiBuilder.Create(new PkiRequest
        {
            NodeName = "cp1", AdvertiseAddress = "10.0.0.11", ServiceSubnet = "10.96.0.0", ControlPlaneEndpoint = "lb:99999",
        }));
        Assert.Equal(["Pki.InvalidControlPlaneEndpoint", "Pki.InvalidServiceSubnet"], e.Errors.Select(x => x.ErrorId).Order());
    }

    [Theory]
    [InlineData("ECDSA-P256", "EC PRIVATE KEY", "ecdsa-with-SHA256", "prime256v1")]
    [InlineData("ECDSA-P384", "EC PRIVATE KEY", "ecdsa-with-SHA384", "secp384r1")]
    [InlineData("RSA-3072", "RSA PRIVATE KEY", "sha256WithRSAEncryption", "3072 bit")]
    public void Key_algorithms_give_kubeadms_key_encodings_and_signature_algorithms(string algorithm, string pemType, string signature, string keyText)
    {
        using var t = new TempDir();
        var request = new PkiRequest
        {
            NodeName = "cp1", AdvertiseAddress = "10.0.0.11", KubernetesVersion = KubeVersion.Parse("1.31"), KeyAlgorithm = KeyAlgorithms.Parse(algorithm), ExternalEtcd = true,
        };
        if (algorithm.StartsWith("RSA", StringComparison.Ordinal))
        {
            // a whole RSA-3072 set takes seconds; the CA, one leaf and the sa key show the same
            var ca = KubePkiBuilder.CreateCA(CertificateProfiles.Ca, request.KubernetesVersion, request.KeyAlgorithm);
            var leaf = KubePkiBuilder.CreateCertificate(CertificateProfiles.ApiServer, ca, request);
            var sa = KubeKey.Generate(request.KeyAlgorithm);
            new KubePki([ca, leaf], sa, null, null, CertificateOrigin.Generated, null, []).Export(t.Path);
        }
        else KubePkiBuilder.Create(request).Export(t.Path);
        foreach (var key in new[] { "ca.key", "apiserver.key", "sa.key" })
            Assert.StartsWith($"-----BEGIN {pemType}-----\n", File.ReadAllText(t.File(key)));
        var text = Tool.OpenSsl("x509", "-noout", "-text", "-in", t.File("apiserver.crt"));
        Assert.Contains("Signature Algorithm: " + signature, text);
        Assert.Contains(keyText, text);
        Assert.Contains(": OK", Tool.OpenSsl("verify", "-CAfile", t.File("ca.crt"), t.File("apiserver.crt")));
        // The key loads back and matches its certificate (openssl's view of the public key).
        var certPub = Tool.OpenSsl("x509", "-noout", "-pubkey", "-in", t.File("apiserver.crt"));
        var keyPub = Tool.OpenSsl("pkey", "-pubout", "-in", t.File("apiserver.key"));
        Assert.Equal(certPub, keyPub);
        Assert.Equal(Tool.OpenSsl("pkey", "-pubout", "-in", t.File("sa.key")), File.ReadAllText(t.File("sa.pub")));
    }

    [Theory]
    [InlineData("1.30.14", "sha1")]
    [InlineData("1.34", "sha1")]
    [InlineData("1.35", "sha256")] // Go 1.25's default (x509sha256skid): first 160 bits of SHA-256
    public void ECDSA_CA_subject_key_id_hashes_the_public_point_as_the_releases_Go_does(string version, string digest)
    {
        using var t = new TempDir();
        var ca = KubePkiBuilder.CreateCA(CertificateProfiles.Ca, KubeVersion.Parse(version), KeyAlgorithm.EcdsaP256);
        File.WriteAllText(t.File("ca.crt"), ca.CertificatePem);
        Tool.OpenSsl("x509", "-noout", "-pubkey", "-in", t.File("ca.crt"), "-out", t.File("pub.pem"));
        Tool.OpenSsl("pkey", "-pubin", "-in", t.File("pub.pem"), "-outform", "DER", "-out", t.File("spki.der"));
        var spki = File.ReadAllBytes(t.File("spki.der"));
        File.WriteAllBytes(t.File("point.bin"), spki[^65..]); // uncompressed P-256 point: 0x04 || X || Y
        var hash = Tool.OpenSsl("dgst", "-" + digest, "-r", t.File("point.bin")).Split(' ')[0].ToUpperInvariant()[..40];
        var skid = Tool.OpenSsl("x509", "-noout", "-ext", "subjectKeyIdentifier", "-in", t.File("ca.crt")).Split('\n')[1].Trim().Replace(":", "");
        Assert.Equal(hash, skid);
    }

    [Fact]
    public void CA_pin_equals_openssls_sha256_of_the_public_key_info()
    {
        using var t = new TempDir();
        var ca = KubePkiBuilder.CreateCA(CertificateProfiles.Ca, KubeVersion.Parse("1.30.14"));
        File.WriteAllText(t.File("ca.crt"), ca.CertificatePem);
        var r = Tool.Run("bash", "-c", $"openssl x509 -pubkey -noout -in '{t.File("ca.crt")}' | openssl pkey -pubin -outform der | sha256sum");
        Assert.Equal(0, r.ExitCode);
        var expected = "sha256:" + r.Output.Split(' ')[0];
        Assert.Equal(expected, CACertHash.Compute(ca.Certificate));
        Assert.Equal(expected, CACertHash.ComputeFromFile(t.File("ca.crt")));
        Assert.Equal(expected, ca.PublicKeyPin);
    }

    [Fact]
    public void Renewal_keeps_subject_SANs_and_usages_and_gets_a_new_serial_and_key()
    {
        using var t = new TempDir();
        var version = KubeVersion.Parse("1.30.14");
        var request = new PkiRequest { NodeName = "cp1", AdvertiseAddress = "10.0.0.11", KubernetesVersion = version, ApiServerCertSANs = ["api.example.com"], KeyAlgorithm = KeyAlgorithm.EcdsaP256 };
        var ca = KubePkiBuilder.CreateCA(CertificateProfiles.Ca, version, KeyAlgorithm.EcdsaP256);
        var old = KubePkiBuilder.CreateCertificate(CertificateProfiles.ApiServer, ca, request);
        var renewed = CertificateSigner.Renew(old, ca, VersionCatalog.Get(version), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(t.File("ca.crt"), ca.CertificatePem);
        File.WriteAllText(t.File("old.crt"), old.CertificatePem);
        File.WriteAllText(t.File("new.crt"), renewed.CertificatePem);
        Assert.Equal(Tool.Subject(t.File("old.crt")), Tool.Subject(t.File("new.crt")));
        Assert.Equal(Tool.Sans(t.File("old.crt")), Tool.Sans(t.File("new.crt")));
        Assert.Equal(Tool.ExtensionLines(t.File("old.crt")), Tool.ExtensionLines(t.File("new.crt")));
        Assert.NotEqual(Tool.Serial(t.File("old.crt")), Tool.Serial(t.File("new.crt")));
        Assert.NotEqual(Tool.OpenSsl("x509", "-noout", "-pubkey", "-in", t.File("old.crt")), Tool.OpenSsl("x509", "-noout", "-pubkey", "-in", t.File("new.crt")));
        Assert.Contains(": OK", Tool.OpenSsl("verify", "-CAfile", t.File("ca.crt"), t.File("new.crt")));
        Assert.True(renewed.NotAfter > old.NotAfter);
    }
}
