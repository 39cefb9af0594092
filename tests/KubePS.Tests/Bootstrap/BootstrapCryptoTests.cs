using System.Text;
using KubePS.Core;
using KubePS.Core.Bootstrap;
using Xunit;

namespace KubePS.Tests.Bootstrap;

public sealed class BootstrapCryptoTests
{
    // Known-answer vectors from Kubernetes' own tests (k8s.io/cluster-bootstrap/token/jws, TestComputeDetachedSignature).
    const string Content = "Hello from the other side. I must have called a thousand times.";
    const string Secret = "my voice is my passcode";
    const string Id = "joshua";

    [Theory]
    [InlineData(Content, Secret, "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8")]
    [InlineData("", Secret, "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..7Ui1ALizW4jXphVUB7xUqC9vLYLL9RZeOFfVLoB7Tgk")]
    [InlineData(Content, "", "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..UfkqvDGiIFxrMnFseDj9LYJOLNrvjW8aHhF71mvvAs8")]
    public void Detached_JWS_matches_the_Kubernetes_known_answer_vectors(string content, string secret, string expected)
    {
        Assert.Equal(expected, DetachedJws.Compute(content, Id, secret));
        Assert.True(DetachedJws.IsValid(expected, content, Id, secret));
    }

    [Fact]
    public void Detached_JWS_with_any_other_content_id_secret_or_suffix_is_invalid()
    {
        const string sig = "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8";
        Assert.False(DetachedJws.IsValid(sig + "foo", Content, Id, Secret));
        Assert.False(DetachedJws.IsValid(sig, Content + " ", Id, Secret));
        Assert.False(DetachedJws.IsValid(sig, Content, "joshub", Secret));
        Assert.False(DetachedJws.IsValid(sig, Content, Id, Secret + "x"));
    }

    [Fact]
    public void Certificate_key_is_32_random_bytes_as_64_hex_and_never_shown_by_ToString()
    {
        var a = CertificateKey.Generate();
        var b = CertificateKey.Generate();
        Assert.Matches("^[0-9a-f]{64}$", a.Reveal());
        Assert.NotEqual(a.Reveal(), b.Reveal());
        Assert.DoesNotContain(a.Reveal(), a.ToString());
        Assert.Equal(a.Reveal(), CertificateKey.Parse(a.Reveal().ToUpperInvariant()).Reveal());
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("zz5f2c4f3f0d6e1b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a")]
    public void A_malformed_certificate_key_is_refused_without_echoing_it(string bad)
    {
        var e = Assert.Throws<KubeException>(() => CertificateKey.Parse(bad));
        Assert.Equal("Config.InvalidCertificateKey", e.ErrorId);
        if (bad.Length > 0) Assert.DoesNotContain(bad, e.Message);
    }

    [Fact]
    public void Upload_certs_ciphertext_is_AES_256_GCM_with_the_nonce_prepended_as_an_independent_implementation_reads_it()
    {
        // Judge: Python's 'cryptography' package (AESGCM), reading nonce = first 12 bytes, ciphertext||tag = the rest,
        // which is the layout kubeadm's Go code (gcm.Seal(nonce, nonce, data, nil)) produces.
        var key = CertificateKey.Generate();
        var plain = Encoding.UTF8.GetBytes("-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n");
        var sealedBytes = key.Encrypt(plain);
        Assert.Equal(12 + plain.Length + 16, sealedBytes.Length);
        var script = "import sys,binascii\nfrom cryptography.hazmat.primitives.ciphers.aead import AESGCM\n" +
                     "k=binascii.unhexlify(sys.argv[1]); d=binascii.unhexlify(sys.stdin.read().strip())\n" +
                     "sys.stdout.write(binascii.hexlify(AESGCM(k).decrypt(d[:12], d[12:], None)).decode())";
        var r = Tool.Run(PythonWithCryptography(), ["-c", script, key.Reveal()], Convert.ToHexString(sealedBytes)).OrThrow("python AESGCM");
        Assert.Equal(Convert.ToHexString(plain).ToLowerInvariant(), r.Output.Trim());

        // And the other way round: what Python seals, KubePS opens; a wrong key is a clear error.
        var enc = "import sys,os,binascii\nfrom cryptography.hazmat.primitives.ciphers.aead import AESGCM\n" +
                  "k=binascii.unhexlify(sys.argv[1]); n=os.urandom(12)\n" +
                  "sys.stdout.write(binascii.hexlify(n+AESGCM(k).encrypt(n, b'sa-key-bytes', None)).decode())";
        var sealedByPython = Convert.FromHexString(Tool.Run(PythonWithCryptography(), ["-c", enc, key.Reveal()]).OrThrow("python seal").Output.Trim());
        Assert.Equal("sa-key-bytes", Encoding.UTF8.GetString(key.Decrypt(sealedByPython, "sa.key")));
        var wrong = Assert.Throws<KubeException>(() => CertificateKey.Generate().Decrypt(sealedByPython, "sa.key"));
        Assert.Equal("Bootstrap.CertificateKeyMismatch", wrong.ErrorId);
    }

    static string PythonWithCryptography()
    {
        foreach (var p in new[] { "/usr/bin/python3", "python3" })
            if (Tool.Run("/bin/sh", ["-c", $"{p} -c 'import cryptography.hazmat.primitives.ciphers.aead'"]).ExitCode == 0) return p;
        throw new InvalidOperationException("python3 with the 'cryptography' package is needed (Debian: python3-cryptography)");
    }
}
