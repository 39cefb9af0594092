using System.Globalization;
using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.Bootstrap;
using KubePS.Core.Configuration;
using KubePS.Tests.LabControlPlane;
using Xunit;

namespace KubePS.Tests.Join;

/// <summary>
/// Bootstrap tokens created, listed and deleted through the API, judged by kubectl (the Secret kubeadm would write:
/// type, data, expiry) and by the lab controller-manager (it signs cluster-info for them, so discovery works with a
/// KubePS-made token); join commands and certificate uploads judged by openssl's pin and Python's AES-GCM. The token
/// secret and the certificate key never reach a stream.
/// </summary>
[Collection(JoinLabCollection.Name)]
public sealed class BootstrapTokenLifecycleTests(JoinLab join)
{
    LabCluster Lab => join.Lab;

    [Fact]
    public async Task A_created_token_is_the_Secret_kubeadm_writes_as_kubectl_reads_it()
    {
        var token = BootstrapTokenString.Parse("lif001.0123456789abcdef");
        var sink = new CapturingSink();
        using var api = join.AdminApi();
        var before = DateTimeOffset.UtcNow;
        var created = await BootstrapTokens.CreateAsync(api, new NewBootstrapTokenRequest { Token = token, Ttl = TimeSpan.FromHours(2), Description = "rack 7" },
            sink, CancellationToken.None);
        Assert.NotNull(created);

        var json = JsonNode.Parse(Lab.KubectlOk("-n", "kube-system", "get", "secret", "bootstrap-token-lif001", "-o", "json"))!;
        Assert.Equal("bootstrap.kubernetes.io/token", (string?)json["type"]);
        var data = join.SecretData("bootstrap-token-lif001")!;
        Assert.Equal("lif001", data["token-id"]);
        Assert.Equal("0123456789abcdef", data["token-secret"]);
        Assert.Equal("true", data["usage-bootstrap-signing"]);
        Assert.Equal("true", data["usage-bootstrap-authentication"]);
        Assert.Equal("system:bootstrappers:kubeadm:default-node-token", data["auth-extra-groups"]);
        Assert.Equal("rack 7", data["description"]);
        var expires = DateTimeOffset.ParseExact(data["expiration"], "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.InRange(expires, before.AddHours(2).AddSeconds(-2), DateTimeOffset.UtcNow.AddHours(2).AddSeconds(2));
        Assert.Equal(expires, created!.Expires);
        Assert.Equal(["authentication", "signing"], created.Usages);

        Assert.Equal("lif001.<redacted>", created.ToString());
        Assert.Single(sink.Questions);
        Assert.DoesNotContain("0123456789abcdef", sink.AllText() + CapturingSink.PublicText(created));

        // The same id again is refused, as kubeadm token create refuses it.
        var again = await Assert.ThrowsAsync<KubeException>(() => BootstrapTokens.CreateAsync(api, new NewBootstrapTokenRequest { Token = token }, sink, CancellationToken.None));
        Assert.Equal("Token.AlreadyExists", again.ErrorId);
        Assert.DoesNotContain("0123456789abcdef", CapturingSink.Describe(again));
    }

    [Fact]
    public async Task Listed_tokens_are_the_token_Secrets_kubectl_lists_and_their_secret_is_not_shown()
    {
        using var api = join.AdminApi();
        var sink = new CapturingSink();
        var made = await BootstrapTokens.CreateAsync(api, new NewBootstrapTokenRequest { Ttl = TimeSpan.Zero, Usages = ["authentication"], Description = "forever" },
            sink, CancellationToken.None);
        Assert.Null(made!.Expires);
        Assert.False(join.SecretData("bootstrap-token-" + made.Id)!.ContainsKey("expiration"));
        // A Secret of the token type that is not a valid token is skipped with a warning.
        Lab.Apply("""
            apiVersion: v1
            kind: Secret
            metadata: {name: bootstrap-token-broken, namespace: kube-system}
            type: bootstrap.kubernetes.io/token
            stringData: {token-id: broken}
            """);

        var listed = await BootstrapTokens.ListAsync(api, sink, CancellationToken.None);
        var kubectlNames = Lab.KubectlOk("-n", "kube-system", "get", "secrets", "--field-selector", "type=bootstrap.kubernetes.io/token", "-o", "name")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(n => n.Replace("secret/bootstrap-token-", "")).Where(n => n != "broken").Order().ToList();
        Assert.Equal(kubectlNames, listed.Select(t => t.Id).Order().ToList());
        var mine = Assert.Single(listed, t => t.Id == made.Id);
        Assert.Equal("forever", mine.Description);
        Assert.Equal(["authentication"], mine.Usages);
        Assert.Equal(made.Token, mine.Token);
        Assert.Contains(sink.Warnings, w => w.Contains("bootstrap-token-broken"));
        Assert.Equal("<forever>", BootstrapTokens.TimeToLive(mine.Expires, DateTimeOffset.UtcNow));
        var text = sink.AllText() + string.Concat(listed.Select(CapturingSink.PublicText));
        foreach (var t in listed) Assert.DoesNotContain(t.Reveal(), text);
        Lab.KubectlOk("-n", "kube-system", "delete", "secret", "bootstrap-token-broken");
    }

    [Fact]
    public async Task A_deleted_token_is_gone_for_kubectl_and_deleting_it_again_is_NotFound()
    {
        using var api = join.AdminApi();
        var sink = new CapturingSink();
        var made = await BootstrapTokens.CreateAsync(api, new NewBootstrapTokenRequest(), sink, CancellationToken.None);
        Assert.Equal(0, Lab.Kubectl("-n", "kube-system", "get", "secret", "bootstrap-token-" + made!.Id).ExitCode);
        Assert.True(await BootstrapTokens.DeleteAsync(api, made.Reveal(), sink, CancellationToken.None));   // a whole token names its id
        Assert.Contains("NotFound", Lab.Kubectl("-n", "kube-system", "get", "secret", "bootstrap-token-" + made.Id).All);
        var again = await Assert.ThrowsAsync<KubeException>(() => BootstrapTokens.DeleteAsync(api, made.Id, sink, CancellationToken.None));
        Assert.Equal("Token.NotFound", again.ErrorId);
        Assert.DoesNotContain(made.Reveal(), sink.AllText());
        Assert.Equal("Token.InvalidId", Assert.Throws<KubeException>(() => BootstrapTokens.ParseId("abc.def")).ErrorId);
    }

    [Fact]
    public async Task A_token_KubePS_creates_is_signed_by_the_controller_manager_and_its_join_command_discovers_the_cluster()
    {
        using var api = join.AdminApi();
        var sink = new CapturingSink();
        var made = await BootstrapTokens.CreateAsync(api, new NewBootstrapTokenRequest { Ttl = TimeSpan.FromMinutes(30) }, sink, CancellationToken.None);
        join.WaitSigned(made!.Id);

        var command = await JoinCommands.GetAsync(api, new JoinCommandRequest { Token = made }, sink, CancellationToken.None);
        var pin = JoinLab.OpenSslPin(join.CAPath);
        Assert.Equal($"kubeadm join 127.0.0.1:{Lab.ApiPort} --token {made.Reveal()} --discovery-token-ca-cert-hash {pin}", command.Reveal());
        Assert.Equal($"kubeadm join 127.0.0.1:{Lab.ApiPort} --token {made.Id}.<redacted> --discovery-token-ca-cert-hash {pin}", command.CommandLine);
        Assert.Equal(command.CommandLine, command.ToString());
        Assert.Equal(made.Expires, command.TokenExpires);
        Assert.DoesNotContain(made.Reveal(), sink.AllText() + CapturingSink.PublicText(command));

        // What the revealed line says is enough to discover the cluster, as kubeadm join would.
        var args = command.Reveal().Split(' ');
        var found = await TokenDiscovery.DiscoverAsync(new TokenDiscoveryRequest
        {
            ApiServerEndpoint = args[2],
            Token = BootstrapTokenString.Parse(args[Array.IndexOf(args, "--token") + 1]),
            CACertHashes = [args[Array.IndexOf(args, "--discovery-token-ca-cert-hash") + 1]],
            Timeout = TimeSpan.FromSeconds(5),
        }, sink, CancellationToken.None);
        Assert.Equal(Lab.Server, found.Server);

        // Without a token named, the usable token that lives longest is chosen; a token that cannot join is refused.
        var chosen = await JoinCommands.GetAsync(api, new JoinCommandRequest(), sink, CancellationToken.None);
        Assert.True(BootstrapTokens.UsableForJoin(await BootstrapTokens.GetAsync(api, chosen.TokenId, CancellationToken.None) ?? throw new InvalidOperationException(),
            DateTimeOffset.UtcNow, TimeSpan.Zero));
        var authOnly = await BootstrapTokens.CreateAsync(api, new NewBootstrapTokenRequest { Usages = ["authentication"] }, sink, CancellationToken.None);
        Assert.Equal("Token.NotUsableForJoin",
            (await Assert.ThrowsAsync<KubeException>(() => JoinCommands.GetAsync(api, new JoinCommandRequest { Token = authOnly }, sink, CancellationToken.None))).ErrorId);
    }

    [Fact]
    public void Bad_token_requests_fail_before_the_cluster_is_contacted()
    {
        var now = DateTimeOffset.UtcNow;
        Assert.Equal("Token.GroupsNeedAuthentication",
            Assert.Throws<KubeException>(() => BootstrapTokens.Render(new NewBootstrapTokenRequest { Usages = ["signing"] }, now)).ErrorId);
        Assert.Equal("Token.InvalidTtl", Assert.Throws<KubeException>(() => BootstrapTokens.Render(new NewBootstrapTokenRequest { Ttl = TimeSpan.FromHours(-1) }, now)).ErrorId);
        Assert.Equal("ClusterObjects.InvalidTokenUsage",
            Assert.Throws<KubeException>(() => BootstrapTokens.Render(new NewBootstrapTokenRequest { Usages = ["authentication", "sudo"] }, now)).ErrorId);
        Assert.Equal("ClusterObjects.InvalidTokenGroup",
            Assert.Throws<KubeException>(() => BootstrapTokens.Render(new NewBootstrapTokenRequest { Groups = ["system:masters"] }, now)).ErrorId);
        Assert.Equal("23h", BootstrapTokens.TimeToLive(now.AddHours(23).AddMinutes(59), now));
        Assert.Equal("<invalid>", BootstrapTokens.TimeToLive(now.AddSeconds(-1), now));
    }

    [Fact]
    public async Task Uploaded_certificates_decrypt_with_the_key_as_Python_reads_them_and_a_new_upload_retires_the_old_key()
    {
        using var api = join.AdminApi();
        var sink = new CapturingSink();
        var upload = await ControlPlaneCertificates.PublishFromDirectoryAsync(api, Lab.Pki, null, sink, CancellationToken.None);
        Assert.NotNull(upload);
        Assert.Equal(["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub", "etcd-ca.crt", "etcd-ca.key"], upload!.Files);

        // Judge: kubectl for the Secret and its owner token, Python's AESGCM for the values.
        var secret = JsonNode.Parse(Lab.KubectlOk("-n", "kube-system", "get", "secret", "kubeadm-certs", "-o", "json"))!;
        var owner = secret["metadata"]!["ownerReferences"]![0]!;
        Assert.Equal("Secret", (string?)owner["kind"]);
        Assert.Equal("bootstrap-token-" + upload.OwnerTokenId, (string?)owner["name"]);
        Assert.True((bool?)owner["controller"]);
        var ownerData = join.SecretData("bootstrap-token-" + upload.OwnerTokenId)!;
        Assert.Equal("Proxy for managing TTL for the kubeadm-certs secret", ownerData["description"]);
        Assert.DoesNotContain(ownerData.Keys, k => k.StartsWith("usage-bootstrap-", StringComparison.Ordinal));
        var expires = DateTimeOffset.ParseExact(ownerData["expiration"], "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(118), TimeSpan.FromMinutes(121));
        var files = new Dictionary<string, string>
        {
            ["ca.crt"] = "ca.crt", ["ca.key"] = "ca.key", ["sa.key"] = "sa.key", ["front-proxy-ca.key"] = "front-proxy-ca.key", ["etcd-ca.key"] = "etcd/ca.key",
        };
        foreach (var (key, file) in files)
        {
            var value = Convert.FromBase64String((string)secret["data"]![key]!);
            Assert.Equal(File.ReadAllBytes(Path.Combine(Lab.Pki, file)), PythonDecrypt(upload.CertificateKey.Reveal(), value));
        }
        Assert.DoesNotContain(upload.CertificateKey.Reveal(), sink.AllText() + CapturingSink.PublicText(upload));
        Assert.Contains("<redacted>", upload.ToString());

        // The key works for a control-plane join command, and shows up only in Reveal().
        var made = await BootstrapTokens.CreateAsync(api, new NewBootstrapTokenRequest(), sink, CancellationToken.None);
        var cp = await JoinCommands.GetAsync(api, new JoinCommandRequest { Token = made, AsControlPlane = true, CertificateKey = upload.CertificateKey }, sink, CancellationToken.None);
        Assert.EndsWith($" --control-plane --certificate-key {upload.CertificateKey.Reveal()}", cp.Reveal());
        Assert.EndsWith(" --control-plane --certificate-key <redacted>", cp.CommandLine);

        // A second upload with a new key replaces the Secret: the old key no longer decrypts it, the new one does.
        var second = await ControlPlaneCertificates.PublishFromDirectoryAsync(api, Lab.Pki, null, sink, CancellationToken.None);
        Assert.NotEqual(upload.CertificateKey, second!.CertificateKey);
        var old = await Assert.ThrowsAsync<KubeException>(() => JoinCommands.CheckUploadedCertificatesAsync(api, upload.CertificateKey, DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Equal("Bootstrap.CertificateKeyMismatch", old.ErrorId);
        await JoinCommands.CheckUploadedCertificatesAsync(api, second.CertificateKey, DateTimeOffset.UtcNow, CancellationToken.None);
        var refs = JsonNode.Parse(Lab.KubectlOk("-n", "kube-system", "get", "secret", "kubeadm-certs", "-o", "json"))!["metadata"]!["ownerReferences"]!.AsArray();
        Assert.Equal("bootstrap-token-" + second.OwnerTokenId, (string?)Assert.Single(refs)!["name"]);

        // Once the owner token has expired, the upload is refused for joins.
        Lab.KubectlOk("-n", "kube-system", "delete", "secret", "bootstrap-token-" + second.OwnerTokenId);
        var expired = await Assert.ThrowsAsync<KubeException>(() => JoinCommands.CheckUploadedCertificatesAsync(api, second.CertificateKey, DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Equal("Join.UploadedCertificatesExpired", expired.ErrorId);
    }

    static byte[] PythonDecrypt(string hexKey, byte[] data)
    {
        var script = "import sys,binascii\nfrom cryptography.hazmat.primitives.ciphers.aead import AESGCM\n" +
                     "k=binascii.unhexlify(sys.argv[1]); d=binascii.unhexlify(sys.stdin.read().strip())\n" +
                     "sys.stdout.write(binascii.hexlify(AESGCM(k).decrypt(d[:12], d[12:], None)).decode())";
        var r = LabTools.Run("python3", ["-c", script, hexKey], stdin: Convert.ToHexString(data));
        Assert.True(r.ExitCode == 0, r.ToString());
        return Convert.FromHexString(r.Stdout.Trim());
    }
}
