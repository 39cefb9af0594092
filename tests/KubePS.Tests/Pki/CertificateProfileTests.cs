#pragma warning disable CA1416 // these tests run on Linux: file modes are part of what they judge
using Xunit;
namespace KubePS.Tests.Pki;

/// <summary>
/// Every kubeadm certificate, per version, judged by openssl against kubeadm's facts (kubeadm-facts §1.1-1.3, §11):
/// CN/O, key usage, extended key usage, basic constraints, SANs and their order, key identifiers, serials, validity.
/// Node "node-a1" sorts after "kubernetes..." and "localhost", so sorted and build-order SAN lists differ.
/// </summary>
[Collection("pki")]
public sealed class CertificateProfileTests(PkiFixture fixture)
{
    const string Node = "node-a1";
    const string Adv = "10.0.1.171";

    // file, signer file, subject (DER order, by era), EKU, SANs (by era)
    public sealed record Row(string File, string? CAFile, string Subject118, string Subject130, string? Eku, string[] Sans118, string[] Sans130);

    static readonly string[] ApiSans118 =
        [$"DNS:{Node}", "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local", "IP Address:10.96.0.1", $"IP Address:{Adv}"];
    static readonly string[] ApiSans130 =
        ["DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local", $"DNS:{Node}", "IP Address:10.96.0.1", $"IP Address:{Adv}"];
    static readonly string[] EtcdSans118 = [$"DNS:{Node}", "DNS:localhost", $"IP Address:{Adv}", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"];
    static readonly string[] EtcdSans130 = ["DNS:localhost", $"DNS:{Node}", $"IP Address:{Adv}", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"];
    const string Server = "TLS Web Server Authentication";
    const string Client = "TLS Web Client Authentication";
    const string ServerClient = "TLS Web Server Authentication, TLS Web Client Authentication";

    public static readonly Row[] Rows =
    [
        new("ca.crt", null, "/CN=kubernetes", "/CN=kubernetes", null, [], ["DNS:kubernetes"]),
        new("apiserver.crt", "ca.crt", "/CN=kube-apiserver", "/CN=kube-apiserver", Server, ApiSans118, ApiSans130),
        new("apiserver-kubelet-client.crt", "ca.crt", "/O=system:masters/CN=kube-apiserver-kubelet-client", "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client", Client, [], []),
        new("front-proxy-ca.crt", null, "/CN=front-proxy-ca", "/CN=front-proxy-ca", null, [], ["DNS:front-proxy-ca"]),
        new("front-proxy-client.crt", "front-proxy-ca.crt", "/CN=front-proxy-client", "/CN=front-proxy-client", Client, [], []),
        new("etcd/ca.crt", null, "/CN=etcd-ca", "/CN=etcd-ca", null, [], ["DNS:etcd-ca"]),
        new("etcd/server.crt", "etcd/ca.crt", $"/CN={Node}", $"/CN={Node}", ServerClient, EtcdSans118, EtcdSans130),
        new("etcd/peer.crt", "etcd/ca.crt", $"/CN={Node}", $"/CN={Node}", ServerClient, EtcdSans118, EtcdSans130),
        new("etcd/healthcheck-client.crt", "etcd/ca.crt", "/O=system:masters/CN=kube-etcd-healthcheck-client", "/CN=kube-etcd-healthcheck-client", Client, [], []),
        new("apiserver-etcd-client.crt", "etcd/ca.crt", "/O=system:masters/CN=kube-apiserver-etcd-client", "/CN=kube-apiserver-etcd-client", Client, [], []),
    ];

    public static IEnumerable<object[]> Cases()
    {
        foreach (var v in new[] { "1.18.2", "1.30.14", "1.31" })
            foreach (var r in Rows)
                yield return [v, r.File];
    }

    static bool Old(string v) => v.StartsWith("1.18", StringComparison.Ordinal);

    (string Dir, Row Row) Load(string version, string file) =>
        (fixture.Get(version, Node, Adv).Dir, Rows.Single(r => r.File == file));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Leaf_verifies_against_its_CA_with_openssl(string version, string file)
    {
        var (dir, row) = Load(version, file);
        var ca = Path.Combine(dir, row.CAFile ?? row.File);
        var r = Tool.Run("openssl", "verify", "-CAfile", ca, Path.Combine(dir, file));
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains(": OK", r.Output);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Subject_and_issuer_match_kubeadm(string version, string file)
    {
        var (dir, row) = Load(version, file);
        var path = Path.Combine(dir, file);
        Assert.Equal(Old(version) ? row.Subject118 : row.Subject130, Tool.Subject(path));
        var issuerFile = Path.Combine(dir, row.CAFile ?? row.File);
        Assert.Equal(Tool.Subject(issuerFile), Tool.Issuer(path));
        // Subject attributes are PrintableString, O before CN.
        Assert.All(Tool.SubjectAsn1(path), a => Assert.EndsWith("(PrintableString)", a));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Extensions_are_kubeadms_in_kubeadms_order(string version, string file)
    {
        var (dir, row) = Load(version, file);
        var ext = Tool.ExtensionLines(Path.Combine(dir, file));
        bool isCA = row.CAFile is null;
        var expected = new List<string> { "X509v3 Key Usage: critical" };
        if (isCA)
        {
            expected.Add("X509v3 Basic Constraints: critical");
            if (!Old(version)) { expected.Add("X509v3 Subject Key Identifier:"); expected.Add("X509v3 Subject Alternative Name:"); }
        }
        else
        {
            expected.Add("X509v3 Extended Key Usage:");
            if (!Old(version)) { expected.Add("X509v3 Basic Constraints: critical"); expected.Add("X509v3 Authority Key Identifier:"); }
            if ((Old(version) ? row.Sans118 : row.Sans130).Length > 0) expected.Add("X509v3 Subject Alternative Name:");
        }
        Assert.Equal(expected, ext);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Key_usage_extended_usage_and_basic_constraints_match_kubeadm(string version, string file)
    {
        var (dir, row) = Load(version, file);
        var path = Path.Combine(dir, file);
        var cert = Tool.Cert(path);
        var ku = cert.Extension("Key Usage");
        Assert.Equal(row.CAFile is null ? "Digital Signature, Key Encipherment, Certificate Sign" : "Digital Signature, Key Encipherment", ku);
        var eku = cert.Extension("Extended Key Usage");
        Assert.Equal(row.Eku ?? "", eku);
        var bc = cert.Extension("Basic Constraints");
        if (row.CAFile is null) Assert.Equal("CA:TRUE", bc);
        else if (Old(version)) Assert.Equal("", bc);
        else Assert.Equal("CA:FALSE", bc);
        Assert.DoesNotContain("pathlen", bc);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SANs_and_their_order_match_kubeadm(string version, string file)
    {
        var (dir, row) = Load(version, file);
        Assert.Equal(Old(version) ? row.Sans118 : row.Sans130, Tool.Sans(Path.Combine(dir, file)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Serial_is_zero_for_old_CAs_and_random_below_2_pow_63_otherwise(string version, string file)
    {
        var (dir, row) = Load(version, file);
        var serial = System.Numerics.BigInteger.Parse("0" + Tool.Serial(Path.Combine(dir, file)), System.Globalization.NumberStyles.HexNumber);
        if (row.CAFile is null && Old(version)) Assert.Equal(0, serial);
        else
        {
            Assert.True(serial > 0);
            Assert.True(serial < System.Numerics.BigInteger.Pow(2, 63));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validity_follows_kubeadms_arithmetic(string version, string file)
    {
        var (dir, row) = Load(version, file);
        var path = Path.Combine(dir, file);
        var nb = Tool.Date(path, "startdate");
        var na = Tool.Date(path, "enddate");
        if (row.CAFile is null)
        {
            var backdate = Old(version) ? TimeSpan.Zero : TimeSpan.FromMinutes(5);
            Assert.Equal(TimeSpan.FromDays(3650) + backdate, na - nb);
            return;
        }
        var caNb = Tool.Date(Path.Combine(dir, row.CAFile), "startdate");
        var span = na - nb;
        if (version == "1.31")
        {
            // v1beta4: one start time for the whole run; NotBefore = start - 5m, NotAfter = start + 8760h.
            Assert.Equal(caNb, nb);
            Assert.Equal(TimeSpan.FromDays(365) + TimeSpan.FromMinutes(5), span);
        }
        else
        {
            // leaf NotBefore = its CA's NotBefore; NotAfter = own signing second + 365d.
            Assert.Equal(caNb, nb);
            var min = TimeSpan.FromDays(365) + (Old(version) ? TimeSpan.Zero : TimeSpan.FromMinutes(5));
            Assert.InRange(span, min, min + TimeSpan.FromSeconds(30));
        }
    }

    [Theory]
    [InlineData("1.30.14")]
    [InlineData("1.18.2")]
    public void CA_subject_key_id_is_sha1_of_the_pkcs1_public_key_and_leaves_carry_it_as_authority_key_id(string version)
    {
        var dir = fixture.Get(version, Node, Adv).Dir;
        var ca = Path.Combine(dir, "ca.crt");
        // SHA-1 over the subjectPublicKey BIT STRING contents (the PKCS#1 RSAPublicKey), computed by openssl.
        var rsaPub = Tool.Run("openssl", "x509", "-noout", "-pubkey", "-in", ca).Output;
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("pub.pem"), rsaPub);
        Tool.OpenSsl("rsa", "-pubin", "-in", tmp.File("pub.pem"), "-RSAPublicKey_out", "-outform", "DER", "-out", tmp.File("pkcs1.der"));
        var sha1 = Tool.OpenSsl("dgst", "-sha1", "-r", tmp.File("pkcs1.der")).Split(' ')[0].ToUpperInvariant();
        var skid = Tool.Run("openssl", "x509", "-noout", "-ext", "subjectKeyIdentifier", "-in", ca).Output;
        var akid = Tool.Run("openssl", "x509", "-noout", "-ext", "authorityKeyIdentifier", "-in", Path.Combine(dir, "apiserver.crt")).Output;
        if (Old(version))
        {
            Assert.DoesNotContain("Key Identifier", skid);
            Assert.DoesNotContain("Key Identifier", akid);
            return;
        }
        var skidHex = skid.Split('\n')[1].Trim().Replace(":", "");
        Assert.Equal(sha1, skidHex);
        var akidLine = akid.Split('\n')[1].Trim().Replace("keyid:", "").Replace(":", "");
        Assert.Equal(sha1, akidLine);
        Assert.DoesNotContain("DirName", akid);
        Assert.DoesNotContain("serial", akid);
        var leafSkid = Tool.Run("openssl", "x509", "-noout", "-ext", "subjectKeyIdentifier", "-in", Path.Combine(dir, "apiserver.crt")).Output;
        Assert.DoesNotContain("Subject Key Identifier", leafSkid);
    }

    [Theory]
    [InlineData("1.18.2")]
    [InlineData("1.30.14")]
    public void Keys_are_pkcs1_rsa_2048_with_exponent_65537_and_sa_pub_is_spki_of_sa_key(string version)
    {
        var dir = fixture.Get(version, Node, Adv).Dir;
        foreach (var key in Directory.GetFiles(dir, "*.key", SearchOption.AllDirectories))
        {
            Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----\n", File.ReadAllText(key));
            var text = Tool.OpenSsl("rsa", "-noout", "-text", "-in", key);
            Assert.Contains("Private-Key: (2048 bit", text);
            Assert.Contains("publicExponent: 65537", text);
        }
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----\n", File.ReadAllText(Path.Combine(dir, "sa.pub")));
        var derived = Tool.OpenSsl("rsa", "-in", Path.Combine(dir, "sa.key"), "-pubout");
        Assert.Equal(derived, File.ReadAllText(Path.Combine(dir, "sa.pub")));
    }

    [Fact]
    public void Files_have_kubeadms_modes()
    {
        var dir = fixture.Get("1.30.14", Node, Adv).Dir;
        foreach (var f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
        {
            var expected = f.EndsWith(".crt", StringComparison.Ordinal) ? Convert.ToInt32("644", 8) : Convert.ToInt32("600", 8);
            Assert.True((int)File.GetUnixFileMode(f) == expected, $"{f}: {Convert.ToString((int)File.GetUnixFileMode(f), 8)}");
        }
        Assert.Equal(Convert.ToInt32("755", 8), (int)File.GetUnixFileMode(Path.Combine(dir, "etcd")));
    }

    [Fact]
    public void Apiserver_cert_has_first_service_IP_as_SAN()
    {
        var dir = fixture.Get("1.30.14", Node, Adv).Dir;
        Assert.Contains("IP Address:10.96.0.1", Tool.Sans(Path.Combine(dir, "apiserver.crt")));
    }
}
