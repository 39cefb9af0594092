using KubePS.Core;
using KubePS.Core.Configuration;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.Validation;

/// <summary>
/// The refusals of the PKI cmdlets (New-KubePki, New-KubeCA, New-KubeCertificate, Export-KubePki, Import-KubePki):
/// each names the offending value and what would be valid, and comes before any key is made or file written.
/// </summary>
public sealed class PkiValidationTests
{
    static readonly KubeVersion V132 = KubeVersion.Parse("1.32.0");

    /// <summary>The one error with <paramref name="id"/> among those thrown (aggregate or single).</summary>
    internal static KubeException Only(KubeException e, string id)
    {
        var all = e is KubeAggregateException agg ? agg.Errors : [e];
        return Assert.Single(all, x => x.ErrorId == id);
    }

    static PkiRequest Good => Req();

    static PkiRequest Req(string nodeName = "cp1", int bindPort = 6443, TimeSpan? caValidity = null, TimeSpan? certificateValidity = null,
        IReadOnlyList<string>? apiServerCertSANs = null) => new()
    {
        NodeName = nodeName, AdvertiseAddress = "10.0.0.11", BindPort = bindPort, KubernetesVersion = V132, KeyAlgorithm = KeyAlgorithm.EcdsaP256,
        CAValidity = caValidity, CertificateValidity = certificateValidity, ApiServerCertSANs = apiServerCertSANs ?? [],
    };

    static KubeCertificate NewCA(CertificateProfile profile) => KubePkiBuilder.CreateCA(profile, V132, KeyAlgorithm.EcdsaP256);

    [Theory]
    [InlineData("cp 1")]
    [InlineData("cp,1")]
    [InlineData("nöde")]
    [InlineData("\t")]
    public void New_pki_refuses_a_node_name_a_certificate_cannot_carry_before_writing(string name)
    {
        using var dir = new TempDir();
        var request = new PkiRequest { NodeName = name, AdvertiseAddress = "10.0.0.11", KubernetesVersion = V132 };
        var e = Only(Assert.ThrowsAny<KubeException>(() => KubePkiBuilder.CreateOrReuse(request, dir.Path)), "Pki.InvalidNodeName");
        Assert.Equal(name, e.Target);
        Assert.Contains($"'{name}'", e.Message);
        Assert.Contains("ASCII", e.Message);
        Assert.Contains("cp1", e.RecommendedAction);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void New_pki_refuses_a_node_name_longer_than_a_DNS_name()
    {
        var name = new string('a', 254);
        var e = Only(Assert.ThrowsAny<KubeException>(() => KubePkiBuilder.Create(Req(nodeName: name))), "Pki.InvalidNodeName");
        Assert.Equal(name, e.Target);
        Assert.Contains("253", e.Message);
    }

    [Fact]
    public void A_node_certificate_without_a_node_name_is_refused_naming_the_profile()
    {
        var ca = NewCA(CertificateProfiles.EtcdCa);
        var e = Assert.Throws<KubeException>(() => KubePkiBuilder.CreateCertificate(CertificateProfiles.EtcdServer, ca, Req(nodeName: "")));
        Assert.Equal("Pki.InvalidNodeName", e.ErrorId);
        Assert.Contains("etcd-server", e.Message);
        Assert.Contains("-NodeName", e.RecommendedAction);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    public void New_pki_refuses_a_bind_port_outside_the_port_range(int port)
    {
        var e = Only(Assert.ThrowsAny<KubeException>(() => KubePkiBuilder.Create(Req(bindPort: port))), "Pki.InvalidBindPort");
        Assert.Equal(port, e.Target);
        Assert.Contains(port.ToString(), e.Message);
        Assert.Contains("1-65535", e.Message);
        Assert.Contains("6443", e.RecommendedAction);
    }

    [Theory]
    [InlineData(true, 9)]
    [InlineData(false, 0)]
    [InlineData(false, -60)]
    public void New_pki_refuses_a_validity_shorter_than_ten_minutes(bool ca, int minutes)
    {
        var v = TimeSpan.FromMinutes(minutes);
        var request = ca ? Req(caValidity: v) : Req(certificateValidity: v);
        var e = Only(Assert.ThrowsAny<KubeException>(() => KubePkiBuilder.Create(request)), "Pki.InvalidValidity");
        Assert.Equal(v, e.Target);
        Assert.Contains(v.ToString(), e.Message);
        Assert.Contains("10 minutes", e.Message);
        Assert.Contains("8760h", e.RecommendedAction);
    }

    [Fact]
    public void Every_bad_value_of_one_request_is_reported_together()
    {
        var e = Assert.IsType<KubeAggregateException>(Assert.ThrowsAny<KubeException>(() =>
            KubePkiBuilder.Create(Req(nodeName: "a b", bindPort: 0, certificateValidity: TimeSpan.FromMinutes(1)))));
        Assert.Equal(["Pki.InvalidNodeName", "Pki.InvalidBindPort", "Pki.InvalidValidity"], e.Errors.Select(x => x.ErrorId));
    }

    [Theory]
    [InlineData("RSA-1024")]
    [InlineData("ed25519")]
    [InlineData("ECDSA")]
    public void An_unknown_key_algorithm_is_refused_listing_the_valid_ones(string text)
    {
        var e = Assert.Throws<KubeException>(() => KeyAlgorithms.Parse(text));
        Assert.Equal("Pki.InvalidKeyAlgorithm", e.ErrorId);
        Assert.Equal(text, e.Target);
        Assert.Contains($"'{text}'", e.Message);
        Assert.Contains("RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384", e.Message);
        Assert.Contains("RSA-2048", e.RecommendedAction);
    }

    [Theory]
    [InlineData("apiserver-kubelet")]
    [InlineData("kubelet")]
    [InlineData("")]
    public void An_unknown_certificate_profile_is_refused_listing_the_known_ones(string name)
    {
        var e = Assert.Throws<KubeException>(() => CertificateProfiles.Get(name));
        Assert.Equal("Pki.UnknownProfile", e.ErrorId);
        Assert.Equal(name, e.Target);
        Assert.Contains($"'{name}'", e.Message);
        Assert.Contains("ca, apiserver, apiserver-kubelet-client, front-proxy-ca", e.Message);
    }

    [Fact]
    public void A_leaf_profile_is_not_made_as_a_CA()
    {
        var e = Assert.Throws<KubeException>(() => KubePkiBuilder.CreateCA(CertificateProfiles.ApiServer, V132, KeyAlgorithm.EcdsaP256));
        Assert.Equal("Pki.NotCAProfile", e.ErrorId);
        Assert.Equal("apiserver", e.Target);
        Assert.Contains("ca, front-proxy-ca and etcd-ca", e.Message);
        Assert.Contains("New-KubeCertificate", e.RecommendedAction);
    }

    [Fact]
    public void A_CA_profile_is_not_signed_as_a_leaf()
    {
        var ca = NewCA(CertificateProfiles.Ca);
        var e = Assert.Throws<KubeException>(() => KubePkiBuilder.CreateCertificate(CertificateProfiles.EtcdCa, ca, Good));
        Assert.Equal("Pki.NotLeafProfile", e.ErrorId);
        Assert.Equal("etcd-ca", e.Target);
        Assert.Contains("New-KubeCA", e.Message);
        Assert.Contains("leaf", e.RecommendedAction);
    }

    [Theory]
    [InlineData("etcd-server", "ca")]
    [InlineData("apiserver", "etcd-ca")]
    [InlineData("front-proxy-client", "ca")]
    public void A_certificate_signed_by_another_kubeadm_CA_is_refused(string profile, string caName)
    {
        var ca = NewCA(CertificateProfiles.Get(caName));
        var p = CertificateProfiles.Get(profile);
        var e = Assert.Throws<KubeException>(() => KubePkiBuilder.CreateCertificate(p, ca, Good));
        Assert.Equal("Pki.WrongCA", e.ErrorId);
        Assert.Equal(caName, e.Target);
        Assert.Contains($"'{caName}'", e.Message);
        Assert.Contains($"'{p.CAName}'", e.RecommendedAction);
    }

    [Fact]
    public void A_CA_read_without_its_key_cannot_sign_and_says_where_a_key_comes_from()
    {
        using var dir = new TempDir();
        NewCA(CertificateProfiles.Ca).ToPkiFilesForTest(dir.Path);
        var ca = KubePki.Import(dir.Path)["ca"]!;
        var spec = new CertificateSpec { CommonName = "jane", Usages = [CertificateUsage.ClientAuth] };
        var e = Assert.Throws<KubeException>(() =>
            CertificateSigner.Sign(ca, "jane", "jane", spec, VersionCatalog.Get(V132), KubeKey.Generate(KeyAlgorithm.EcdsaP256), DateTimeOffset.UtcNow));
        Assert.Equal("Pki.CAKeyMissing", e.ErrorId);
        Assert.Equal("ca", e.Target);
        Assert.Contains("'jane'", e.Message);
        Assert.Contains("ca.key", e.RecommendedAction);
    }

    [Theory]
    [InlineData("", "ClientAuth", "Pki.CommonNameMissing")]
    [InlineData("jane", "", "Pki.UsageMissing")]
    public void A_free_form_certificate_needs_a_common_name_and_a_usage(string cn, string usage, string id)
    {
        var ca = NewCA(CertificateProfiles.Ca);
        var spec = new CertificateSpec { CommonName = cn, Usages = usage == "" ? [] : [Enum.Parse<CertificateUsage>(usage)] };
        var e = Assert.Throws<KubeException>(() =>
            CertificateSigner.Sign(ca, "my-cert", "my-cert", spec, VersionCatalog.Get(V132), KubeKey.Generate(KeyAlgorithm.EcdsaP256), DateTimeOffset.UtcNow));
        Assert.Equal(id, e.ErrorId);
        Assert.Equal("my-cert", e.Target);
        Assert.Contains("'my-cert'", e.Message);
        Assert.False(string.IsNullOrEmpty(e.RecommendedAction));
        if (id == "Pki.UsageMissing") Assert.Contains("ServerAuth", e.RecommendedAction);
    }

    [Theory]
    [InlineData("bücher.example")]
    [InlineData("例え.jp")]
    public void A_non_ASCII_DNS_name_is_refused_with_the_punycode_hint(string dns)
    {
        var ca = NewCA(CertificateProfiles.Ca);
        var spec = new CertificateSpec { CommonName = "web", Usages = [CertificateUsage.ServerAuth], DnsNames = [dns] };
        var e = Assert.Throws<KubeException>(() =>
            CertificateSigner.Sign(ca, "web", "web", spec, VersionCatalog.Get(V132), KubeKey.Generate(KeyAlgorithm.EcdsaP256), DateTimeOffset.UtcNow));
        Assert.Equal("Pki.InvalidSan", e.ErrorId);
        Assert.Equal(dns, e.Target);
        Assert.Contains(dns, e.Message);
        Assert.Contains("xn--", e.RecommendedAction);
    }

    [Fact]
    public void An_apiserver_cert_SAN_that_is_not_a_DNS_name_is_dropped_with_a_warning_as_kubeadm_does()
    {
        var ca = NewCA(CertificateProfiles.Ca);
        var warnings = new List<string>();
        var cert = KubePkiBuilder.CreateCertificate(CertificateProfiles.ApiServer, ca, Req(apiServerCertSANs: ["bücher.example"]), warnings.Add);
        Assert.Contains(warnings, w => w.Contains("'bücher.example'") && w.Contains("RFC-1123"));
        Assert.DoesNotContain("bücher.example", cert.DnsNames);
    }

    [Theory]
    [InlineData("10.0.0.300")]
    [InlineData("cp1.example")]
    [InlineData("10.0.0.0/24")]
    public void A_free_form_IP_SAN_that_is_not_an_address_is_refused_not_dropped(string text)
    {
        var e = Assert.Throws<KubeException>(() => SanRules.ParseIPAddresses(["10.0.0.11", text]));
        Assert.Equal("Pki.InvalidIPAddress", e.ErrorId);
        Assert.Equal(text, e.Target);
        Assert.Contains($"'{text}'", e.Message);
        Assert.Contains("10.0.0.11", e.RecommendedAction);
    }

    [Fact]
    public void Signing_before_an_old_release_CA_starts_is_refused_with_both_dates()
    {
        // Up to 1.30 a leaf starts at its CA's NotBefore: signing a year before the CA with a 1-day validity would end first.
        var v130 = KubeVersion.Parse("1.30.0");
        var ca = KubePkiBuilder.CreateCA(CertificateProfiles.Ca, v130, KeyAlgorithm.EcdsaP256);
        var spec = new CertificateSpec { CommonName = "jane", Usages = [CertificateUsage.ClientAuth] };
        var e = Assert.Throws<KubeException>(() => CertificateSigner.Sign(ca, "jane", "jane", spec, VersionCatalog.Get(v130),
            KubeKey.Generate(KeyAlgorithm.EcdsaP256), DateTimeOffset.UtcNow.AddYears(-1), TimeSpan.FromDays(1)));
        Assert.Equal("Pki.InvalidValidity", e.ErrorId);
        Assert.Equal("jane", e.Target);
        Assert.Contains(ca.NotBefore.ToString("yyyy-MM-dd"), e.Message);
        Assert.Contains("longer validity", e.RecommendedAction);
    }

    [Fact]
    public void A_configuration_without_advertise_address_needs_one_given()
    {
        var cfg = KubeClusterConfiguration.Parse("""
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            kubernetesVersion: v1.32.0
            """);
        var e = Assert.Throws<KubeException>(() => PkiRequest.FromConfiguration(cfg, "cp1", null));
        Assert.Equal("Pki.AdvertiseAddressRequired", e.ErrorId);
        Assert.Contains("localAPIEndpoint.advertiseAddress", e.Message);
        Assert.Contains("-AdvertiseAddress", e.RecommendedAction);
    }

    [Theory]
    [InlineData("not a certificate\n")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    public void A_certificates_folder_with_a_broken_ca_crt_is_refused_and_left_alone(string content)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("ca.crt"), content);
        var e = Only(Assert.ThrowsAny<KubeException>(() => KubePkiBuilder.CreateOrReuse(Good, dir.Path)), "Pki.InvalidCertificate");
        Assert.Equal(dir.File("ca.crt"), e.Target);
        Assert.Contains(dir.File("ca.crt"), e.Message);
        Assert.Contains("PEM certificate", e.RecommendedAction);
        Assert.Equal(["ca.crt"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
        Assert.Equal(content, File.ReadAllText(dir.File("ca.crt")));
    }

    [Fact]
    public void A_key_without_its_certificate_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("ca.key"), Tool.OpenSsl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"));
        var e = Only(Assert.ThrowsAny<KubeException>(() => KubePkiBuilder.CreateOrReuse(Good, dir.Path)), "Pki.InvalidCertificate");
        Assert.Contains("ca.crt", e.Message);
        Assert.Contains("ca.key", e.RecommendedAction);
    }

    [Fact]
    public void A_missing_certificate_file_is_a_read_failure_naming_the_path()
    {
        using var dir = new TempDir();
        var path = dir.File("nope/ca.crt");
        var e = Assert.Throws<KubeException>(() => PkiFiles.LoadCertificates(path));
        Assert.Equal("Pki.ReadFailed", e.ErrorId);
        Assert.Equal(path, e.Target);
        Assert.Contains(path, e.Message);
        Assert.Contains("path", e.RecommendedAction);
    }

    [Fact]
    public void A_leaf_certificate_in_place_of_the_CA_is_refused_before_anything_is_made()
    {
        using var dir = new TempDir();
        // openssl makes the impostor: a self-signed certificate with CA:FALSE.
        Tool.OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=kubernetes",
            "-addext", "basicConstraints=critical,CA:FALSE", "-days", "30", "-keyout", dir.File("ca.key"), "-out", dir.File("ca.crt"));
        var before = Directory.EnumerateFileSystemEntries(dir.Path).Order().ToList();
        var e = Only(Assert.ThrowsAny<KubeException>(() => KubePkiBuilder.CreateOrReuse(Good, dir.Path)), "Pki.NotCA");
        Assert.Equal(dir.File("ca.crt"), e.Target);
        Assert.Contains("not a CA certificate", e.Message);
        Assert.Contains("'ca'", e.Message);
        Assert.Contains("remove it", e.RecommendedAction);
        Assert.Equal(before, Directory.EnumerateFileSystemEntries(dir.Path).Order().ToList());
    }

    [Fact]
    public void Export_into_a_folder_blocked_by_a_file_is_a_write_failure_naming_the_path()
    {
        using var dir = new TempDir();
        var pki = KubePkiBuilder.Create(Good);
        File.WriteAllText(dir.File("etcd"), "a file where the etcd folder goes");
        var e = Assert.ThrowsAny<KubeException>(() => pki.Export(dir.Path));
        Assert.Equal("Pki.WriteFailed", e.ErrorId);
        Assert.Equal(dir.File("etcd"), e.Target);
        Assert.Contains(dir.File("etcd"), e.Message);
        Assert.Contains("Move the file away", e.RecommendedAction);
        Assert.Equal(["etcd"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Export_to_a_path_that_is_a_file_writes_nothing()
    {
        using var dir = new TempDir();
        var pki = KubePkiBuilder.Create(Good);
        File.WriteAllText(dir.File("pki"), "x");
        var e = Assert.ThrowsAny<KubeException>(() => pki.Export(dir.File("pki")));
        Assert.Equal("Pki.WriteFailed", e.ErrorId);
        Assert.Equal(dir.File("pki"), e.Target);
        Assert.Equal("x", File.ReadAllText(dir.File("pki")));
    }

    [Fact]
    public void A_folder_that_cannot_be_made_is_a_write_failure_not_a_raw_IO_error()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("blocker"), "x");
        var e = Assert.Throws<KubeException>(() => PkiFiles.WriteAll(dir.Path, [new PkiFile("blocker/sub/ca.crt", [1], Modes.Public)]));
        Assert.Equal("Pki.WriteFailed", e.ErrorId);
        Assert.Contains(dir.File("blocker"), e.Message);
    }
}

static class PkiValidationFiles
{
    /// <summary>Writes a CA's certificate without its key, the way a folder of an external CA holds them.</summary>
    public static void ToPkiFilesForTest(this KubeCertificate ca, string dir)
    {
        File.WriteAllText(Path.Combine(dir, "ca.crt"), ca.CertificatePem);
    }
}
