#pragma warning disable CA1416 // these tests run on Linux: file modes are part of what they judge
using Xunit;
using KubePS.Core;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;

namespace KubePS.Tests.Pki;

/// <summary>kubeadm's reuse rules for an existing certificates folder (kubeadm-facts §1.6), judged by openssl and the file system.</summary>
public sealed class ReuseRulesTests : IClassFixture<ReuseRulesTests.Base>
{
    /// <summary>One set for cp1 made once and copied into each test's own folder.</summary>
    public sealed class Base : IDisposable
    {
        public readonly TempDir Dir = new();
        // ECDSA keys: the rules do not depend on the algorithm, and RSA generation would dominate the test time.
        public readonly PkiRequest Request = new() { NodeName = "cp1", AdvertiseAddress = "10.0.0.11", KubernetesVersion = KubeVersion.Parse("1.30.14"), KeyAlgorithm = KeyAlgorithm.EcdsaP256 };
        public Base() => KubePkiBuilder.Create(Request).Export(Dir.Path);
        public void Dispose() => Dir.Dispose();

        public TempDir Copy()
        {
            var t = new TempDir();
            foreach (var f in Directory.GetFiles(Dir.Path, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(t.Path, Path.GetRelativePath(Dir.Path, f));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(f, target);
                File.SetUnixFileMode(target, File.GetUnixFileMode(f));
            }
            return t;
        }
    }

    readonly Base _base;
    public ReuseRulesTests(Base b) => _base = b;

    static Dictionary<string, (string Hash, UnixFileMode Mode)> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(dir, f),
            f => (Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))), File.GetUnixFileMode(f)));

    static KubeException SingleError(Action a, string id)
    {
        var e = Assert.ThrowsAny<KubeException>(a);
        var all = e is KubeAggregateException agg ? agg.Errors : [e];
        return Assert.Single(all, x => x.ErrorId == id);
    }

    [Fact]
    public void Existing_set_is_reused_and_export_writes_nothing()
    {
        using var t = _base.Copy();
        var before = Snapshot(t.Path);
        var pki = KubePkiBuilder.CreateOrReuse(_base.Request, t.Path);
        Assert.All(pki.Certificates, c => Assert.Equal(CertificateOrigin.Reused, c.Origin));
        Assert.Equal(CertificateOrigin.Reused, pki.ServiceAccountKeyOrigin);
        Assert.Empty(pki.Export(t.Path));
        Assert.Equal(before, Snapshot(t.Path));
    }

    [Fact]
    public void Missing_leaf_is_signed_again_by_the_existing_CA()
    {
        using var t = _base.Copy();
        File.Delete(t.File("apiserver.crt"));
        File.Delete(t.File("apiserver.key"));
        var caBefore = File.ReadAllBytes(t.File("ca.crt"));
        var pki = KubePkiBuilder.CreateOrReuse(_base.Request, t.Path);
        Assert.Equal(CertificateOrigin.Generated, pki.Get("apiserver").Origin);
        var written = pki.Export(t.Path);
        Assert.Equal(new[] { "apiserver.crt", "apiserver.key" }, written.Select(Path.GetFileName).Order());
        Assert.Equal(caBefore, File.ReadAllBytes(t.File("ca.crt")));
        Assert.Contains(": OK", Tool.OpenSsl("verify", "-CAfile", t.File("ca.crt"), t.File("apiserver.crt")));
    }

    [Fact]
    public void Leaf_signed_by_another_CA_is_refused_with_CAMismatch_before_anything_is_written()
    {
        using var t = _base.Copy();
        using var other = new TempDir();
        KubePkiBuilder.Create(_base.Request).Export(other.Path);
        // the folder's CA is replaced: its leaves were signed by a CA that is not there any more
        File.Copy(other.File("ca.crt"), t.File("ca.crt"), true);
        File.Copy(other.File("ca.key"), t.File("ca.key"), true);
        var before = Snapshot(t.Path);
        var e = Assert.ThrowsAny<KubeException>(() => KubePkiBuilder.CreateOrReuse(_base.Request, t.Path).Export(t.Path));
        var errors = e is KubeAggregateException agg ? agg.Errors : [e];
        var mismatch = errors.Where(x => x.ErrorId == "Pki.CAMismatch").ToList();
        Assert.Equal(2, mismatch.Count); // apiserver and apiserver-kubelet-client
        Assert.Contains(mismatch, m => m.Message.Contains(t.File("apiserver.crt")) && m.Message.Contains("CN=kube-apiserver") && m.Message.Contains("CN=kubernetes"));
        Assert.Equal(before, Snapshot(t.Path));
        // openssl agrees that the leaf does not verify against the folder's CA
        Assert.NotEqual(0, Tool.Run("openssl", "verify", "-CAfile", t.File("ca.crt"), t.File("apiserver.crt")).ExitCode);
    }

    [Fact]
    public void Leaf_missing_a_needed_SAN_is_refused_with_SanMissing_before_anything_is_written()
    {
        using var t = _base.Copy();
        var before = Snapshot(t.Path);
        var request = new PkiRequest
        {
            NodeName = "cp1", AdvertiseAddress = "10.0.0.11", KubernetesVersion = KubeVersion.Parse("1.30.14"),
            ControlPlaneEndpoint = "api.example.com:6443", ApiServerCertSANs = ["10.0.0.100"],
        };
        var e = SingleError(() => KubePkiBuilder.CreateOrReuse(request, t.Path).Export(t.Path), "Pki.SanMissing");
        Assert.Contains(t.File("apiserver.crt"), e.Message);
        Assert.Contains("DNS:api.example.com", e.Message);
        Assert.Contains("IP:10.0.0.100", e.Message);
        Assert.Equal(before, Snapshot(t.Path));
    }

    [Fact]
    public void CA_cert_without_key_is_external_CA_mode_and_every_leaf_must_exist()
    {
        using var t = _base.Copy();
        File.Delete(t.File("ca.key"));
        var pki = KubePkiBuilder.CreateOrReuse(_base.Request, t.Path);
        Assert.True(pki.IsExternalCA);
        Assert.Equal(CertificateOrigin.External, pki.Get("apiserver").Origin);
        Assert.False(pki.CA.HasPrivateKey);

        File.Delete(t.File("apiserver-kubelet-client.crt"));
        File.Delete(t.File("apiserver-kubelet-client.key"));
        var before = Snapshot(t.Path);
        var e = SingleError(() => KubePkiBuilder.CreateOrReuse(_base.Request, t.Path), "Pki.ExternalCAIncomplete");
        Assert.Contains("apiserver-kubelet-client.crt", e.Message);
        Assert.Equal(before, Snapshot(t.Path));
    }

    [Fact]
    public void Unreadable_key_is_InvalidKey_and_names_the_file_but_not_the_content()
    {
        using var t = _base.Copy();
        File.WriteAllText(t.File("front-proxy-client.key"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        var e = SingleError(() => KubePkiBuilder.CreateOrReuse(_base.Request, t.Path), "Pki.InvalidKey");
        Assert.Contains(t.File("front-proxy-client.key"), e.Message);
        Assert.DoesNotContain("AAAA", e.Message);
    }

    [Fact]
    public void PKCS8_keys_are_accepted_and_kept_byte_for_byte()
    {
        using var t = _base.Copy();
        Tool.OpenSsl("pkcs8", "-topk8", "-nocrypt", "-in", t.File("apiserver.key"), "-out", t.File("apiserver.key.p8"));
        File.Move(t.File("apiserver.key.p8"), t.File("apiserver.key"), true);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(t.File("apiserver.key")));
        var before = Snapshot(t.Path);
        var pki = KubePkiBuilder.CreateOrReuse(_base.Request, t.Path);
        Assert.Equal(CertificateOrigin.Reused, pki.Get("apiserver").Origin);
        Assert.Empty(pki.Export(t.Path));
        Assert.Equal(before, Snapshot(t.Path));
    }

    [Fact]
    public void Export_over_different_files_is_refused_without_Force_and_writes_nothing()
    {
        using var t = _base.Copy();
        var before = Snapshot(t.Path);
        var fresh = KubePkiBuilder.Create(_base.Request);
        var e = Assert.Throws<KubeException>(() => fresh.Export(t.Path));
        Assert.Equal("Pki.FileExists", e.ErrorId);
        Assert.Equal(before, Snapshot(t.Path));
        fresh.Export(t.Path, force: true);
        Assert.Equal(Convert.ToInt32("600", 8), (int)File.GetUnixFileMode(t.File("ca.key")));
        Assert.Contains(": OK", Tool.OpenSsl("verify", "-CAfile", t.File("ca.crt"), t.File("apiserver.crt")));
    }

    [Fact]
    public void Expired_reused_certificate_is_only_a_warning()
    {
        using var t = _base.Copy();
        var fp = KubePki.Import(t.Path).Get("front-proxy-ca");
        var expired = CertificateSigner.Sign(fp, "front-proxy-client", "front-proxy-client",
            new CertificateSpec { CommonName = "front-proxy-client", Usages = [CertificateUsage.ClientAuth] },
            // 1.31's rule (NotBefore = signing time - 5m) lets a certificate be signed in the past.
            VersionCatalog.Get(KubeVersion.Parse("1.31")), KubeKey.Generate(KeyAlgorithm.EcdsaP256), DateTimeOffset.UtcNow.AddDays(-400));
        new KubePki([expired], null, null, null, CertificateOrigin.Generated, null, []).Export(t.Path, force: true);
        var pki = KubePkiBuilder.CreateOrReuse(_base.Request, t.Path);
        Assert.Equal(CertificateOrigin.Reused, pki.Get("front-proxy-client").Origin);
        Assert.Contains(pki.Warnings, w => w.Contains("front-proxy-client.crt") && w.Contains("expired"));
        Assert.True(expired.NotAfter < DateTime.UtcNow);
    }

    [Fact]
    public void No_private_key_material_appears_in_any_ToString()
    {
        using var t = _base.Copy();
        var pki = KubePki.Import(t.Path);
        var keyBodies = Directory.GetFiles(t.Path, "*.key", SearchOption.AllDirectories)
            .Select(f => File.ReadAllLines(f)[1]).ToList();
        var texts = new List<string> { pki.ToString()! };
        texts.AddRange(pki.Certificates.Select(c => c.ToString()));
        texts.AddRange(pki.Certificates.Select(c => c.Certificate.ToString(true)));
        texts.Add(KubeKey.FromPem(File.ReadAllText(t.File("sa.key")), "sa.key").ToString());
        foreach (var text in texts)
        {
            Assert.DoesNotContain("PRIVATE KEY", text);
            foreach (var body in keyBodies) Assert.DoesNotContain(body[..40], text);
        }
    }

    [Fact]
    public void Reused_1_18_CA_without_key_identifier_gives_leaves_without_authority_key_id()
    {
        using var t = new TempDir();
        var old = new PkiRequest { NodeName = "cp1", AdvertiseAddress = "10.0.0.11", KubernetesVersion = KubeVersion.Parse("1.18.2"), ExternalEtcd = true, KeyAlgorithm = KeyAlgorithm.EcdsaP256 };
        KubePkiBuilder.Create(old).Export(t.Path);
        File.Delete(t.File("apiserver.crt"));
        File.Delete(t.File("apiserver.key"));
        var newer = new PkiRequest { NodeName = "cp1", AdvertiseAddress = "10.0.0.11", KubernetesVersion = KubeVersion.Parse("1.30.14"), ExternalEtcd = true, KeyAlgorithm = KeyAlgorithm.EcdsaP256 };
        var pki = KubePkiBuilder.CreateOrReuse(newer, t.Path);
        pki.Export(t.Path);
        var ext = Tool.ExtensionLines(t.File("apiserver.crt"));
        Assert.DoesNotContain("X509v3 Authority Key Identifier:", ext);
        Assert.Contains("X509v3 Basic Constraints: critical", ext);
        Assert.False(File.Exists(t.File("etcd/ca.crt")));
    }

    [Fact]
    public void A_missing_reuse_folder_is_an_error_not_a_new_set()
    {
        var missing = Path.Combine(Path.GetTempPath(), "kubeps-test-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<KubeException>(() => KubePkiBuilder.CreateOrReuse(_base.Request, missing));
        Assert.Equal("Pki.NotFound", e.ErrorId);
        Assert.Contains(missing, e.Message);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public void Import_refuses_a_key_that_does_not_match_its_certificate()
    {
        using var t = _base.Copy();
        File.Copy(t.File("front-proxy-ca.key"), t.File("ca.key"), true);
        var e = Assert.Throws<KubeException>(() => KubePki.Import(t.Path));
        Assert.Equal("Pki.KeyMismatch", e.ErrorId);
        Assert.Contains("ca.key", e.Message);
    }
}
