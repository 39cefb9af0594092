using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core.Bootstrap;
using Xunit;
using static KubePS.Tests.Init.InitTestSupport;

namespace KubePS.Tests.Init;

/// <summary>
/// No private key, token secret or certificate key in any stream: verbose, debug, warnings, progress, the
/// ShouldProcess text, errors, and what PowerShell shows of the result (ToString and every public property).
/// </summary>
public sealed class SecretsTests : IDisposable
{
    const string CertificateKeyHex = "5f1c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    readonly string _dir = TempDir();
    public void Dispose() => Delete(_dir);

    static string WithCertificateKey(string yaml) =>
        yaml.Replace("kind: InitConfiguration\n", $"kind: InitConfiguration\ncertificateKey: {CertificateKeyHex}\n");

    /// <summary>The secrets in a dry-run folder: every private key's base64 body lines, the token secret, the certificate key.</summary>
    IReadOnlyList<string> Secrets(string tokenSecret)
    {
        var secrets = new List<string> { tokenSecret, CertificateKeyHex, CertificateKeyHex.ToUpperInvariant() };
        var node = Path.Combine(_dir, "cp1");
        foreach (var key in Directory.GetFiles(node, "*.key", SearchOption.AllDirectories))
            secrets.AddRange(KeyLines(File.ReadAllText(key)));
        foreach (var conf in Directory.GetFiles(Path.Combine(node, "etc/kubernetes"), "*.conf"))
        {
            var json = JsonNode.Parse(Kubectl("config", "view", "--raw", "--kubeconfig", conf, "-o", "json").Output)!;
            var data = (string?)json["users"]![0]!["user"]!["client-key-data"];
            if (data is not null) secrets.AddRange(KeyLines(Encoding.UTF8.GetString(Convert.FromBase64String(data))));
        }
        Assert.True(secrets.Count >= 30, $"the judge found only {secrets.Count} secrets to look for");
        return secrets;
    }

    static IEnumerable<string> KeyLines(string pem) =>
        pem.Split('\n').Where(l => l.Length >= 40 && !l.StartsWith("-----")).Select(l => l.Trim());

    /// <summary>What PowerShell can show of an object: its ToString and, recursively, every public property's value.</summary>
    static IEnumerable<string> Shown(object? value, int depth = 0, HashSet<object>? seen = null)
    {
        if (value is null || depth > 5) yield break;
        seen ??= new HashSet<object>(ReferenceEqualityComparer.Instance);
        if (!value.GetType().IsValueType && !seen.Add(value)) yield break;
        yield return value.ToString() ?? "";
        if (value is string || value.GetType().IsPrimitive || value is byte[]) yield break;
        if (value is IEnumerable list)
        {
            foreach (var item in list) foreach (var s in Shown(item, depth + 1, seen)) yield return s;
            yield break;
        }
        if (value.GetType().Namespace?.StartsWith("KubePS") != true) yield break;
        foreach (var p in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
        {
            object? v;
            try { v = p.GetValue(value); }
            catch (TargetInvocationException) { continue; }
            if (v is byte[] bytes) { yield return Encoding.UTF8.GetString(bytes); continue; }
            foreach (var s in Shown(v, depth + 1, seen)) yield return s;
        }
    }

    [Fact]
    public async Task No_stream_and_no_shown_property_holds_a_key_the_token_secret_or_the_certificate_key()
    {
        var sink = new CapturingSink();
        var cp = await DryRunAsync(WithCertificateKey(ExampleEcdsa), _dir, sink, r => r with { UploadCerts = true });
        // A failing run's error text too.
        var failing = new CapturingSink();
        try { await DryRunAsync(WithCertificateKey(ExampleEcdsa), TempDir(), failing, r => r with { Phases = ["kubeconfig"] }); }
        catch (Core.KubeException e) { failing.WriteError(e); }
        Assert.NotEmpty(failing.Errors);

        Assert.NotNull(cp.CertificateKey);
        Assert.Equal(CertificateKeyHex, cp.CertificateKey!.Reveal());
        var text = string.Join("\n", new[] { sink.AllText(), failing.AllText() }.Concat(Shown(cp)));
        Assert.Contains("bootstrap-token-abcdef", text);      // the judge sees the output at all
        foreach (var secret in Secrets("0123456789abcdef"))
            Assert.DoesNotContain(secret, text);
    }

    [Fact]
    public async Task The_result_shows_the_token_and_the_certificate_key_redacted()
    {
        var cp = await DryRunAsync(WithCertificateKey(ExampleEcdsa), _dir, tweak: r => r with { UploadCerts = true });
        Assert.Equal("abcdef.<redacted>", cp.BootstrapToken!.ToString());
        Assert.Equal("<redacted>", cp.CertificateKey!.ToString());
        Assert.DoesNotContain("0123456789abcdef", cp.ToString());
        Assert.Equal("abcdef.0123456789abcdef", cp.BootstrapToken.Reveal());
        // The kubeadm-certs Secret holds the files encrypted with that key: the judge decrypts one with openssl's AES-GCM-free path,
        // i.e. by the format (nonce ‖ ciphertext ‖ tag) and .NET's AES-GCM, and compares with the CA on the node.
        var secret = PyYaml(Path.Combine(_dir, "cluster", "secret-kube-system-kubeadm-certs.yaml"));
        var blob = Convert.FromBase64String((string)secret["data"]!["ca.crt"]!);
        var plain = new byte[blob.Length - 28];
        using (var gcm = new System.Security.Cryptography.AesGcm(Convert.FromHexString(CertificateKeyHex), 16))
            gcm.Decrypt(blob[..12], blob[12..^16], blob[^16..], plain);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "cp1/etc/kubernetes/pki/ca.crt")), plain);
        Assert.Equal("bootstrap-token-", ((string)secret["metadata"]!["ownerReferences"]![0]!["name"]!)[..16]);
    }

    [Fact]
    public void A_bootstrap_token_prints_only_its_id()
    {
        var token = new KubeBootstrapToken(Core.Configuration.BootstrapTokenString.Parse("abcdef.0123456789abcdef"), null, ["signing"], [], null);
        Assert.Equal("abcdef.<redacted>", token.ToString());
        Assert.DoesNotContain("0123456789abcdef", string.Join("\n", Shown(token)));
    }
}
