using System.Text.Json.Nodes;
using KubePS.Core;
using KubePS.Core.Bootstrap;
using KubePS.Core.Configuration;
using KubePS.Tests.LabControlPlane;
using Xunit;

namespace KubePS.Tests.Join;

/// <summary>
/// Token discovery (kubeadm-facts §6.1) against the lab control plane: the cluster-info it trusts is the one the lab's
/// controller-manager signed, the CA is judged by openssl's pin, and every way of lying to it (wrong pin, wrong
/// secret, expired token, a man in the middle with another CA, answers that change, several clusters) is refused
/// with its own error id, without the token secret showing up anywhere.
/// </summary>
[Collection(JoinLabCollection.Name)]
public sealed class TokenDiscoveryTests(JoinLab join)
{
    const string Id = "dsc001", Secret = "0123456789abcdef";
    static readonly BootstrapTokenString Token = BootstrapTokenString.Parse($"{Id}.{Secret}");

    LabCluster Lab => join.Lab;

    void EnsureSignedToken()
    {
        join.CreateToken(Id, Secret);
        join.WaitSigned(Id);
    }

    TokenDiscoveryRequest Request(string? endpoint = null, BootstrapTokenString? token = null, string[]? pins = null, bool unsafeSkip = false, double timeoutSeconds = 3) => new()
    {
        ApiServerEndpoint = endpoint ?? join.Endpoint,
        Token = token ?? Token,
        CACertHashes = pins ?? [JoinLab.OpenSslPin(join.CAPath)],
        UnsafeSkipCAVerification = unsafeSkip,
        Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        RetryInterval = TimeSpan.FromMilliseconds(300),
    };

    static async Task<KubeException> Refused(TokenDiscoveryRequest request, CapturingSink? sink = null)
    {
        sink ??= new CapturingSink();
        var e = await Assert.ThrowsAsync<KubeException>(() => TokenDiscovery.DiscoverAsync(request, sink, CancellationToken.None));
        Assert.DoesNotContain(Secret, CapturingSink.Describe(e));
        Assert.DoesNotContain(Secret, sink.AllText());
        return e;
    }

    [Fact]
    public async Task Discovery_with_the_right_pin_trusts_the_server_and_CA_that_cluster_info_names()
    {
        EnsureSignedToken();
        var pin = JoinLab.OpenSslPin(join.CAPath);
        var sink = new CapturingSink();
        var found = await TokenDiscovery.DiscoverAsync(Request(pins: [pin]), sink, CancellationToken.None);
        Assert.Equal(Lab.Server, found.Server);
        Assert.Equal(File.ReadAllBytes(join.CAPath), found.CAData);
        Assert.Equal(pin, found.MatchedCACertHash);
        Assert.True(found.CAVerified);
        Assert.Equal(DiscoveryMethod.Token, found.Method);
        Assert.Empty(sink.Warnings);
        Assert.DoesNotContain(Secret, sink.AllText());
        Assert.DoesNotContain(Secret, CapturingSink.PublicText(found));
    }

    [Fact]
    public async Task Several_pins_pass_when_one_of_them_matches()
    {
        EnsureSignedToken();
        var other = JoinLab.OpenSslPin(Path.Combine(Lab.Pki, "other", "ca.crt"));
        var right = JoinLab.OpenSslPin(join.CAPath);
        var found = await TokenDiscovery.DiscoverAsync(Request(pins: [other, "SHA256:" + new string('a', 64), right.ToUpperInvariant().Replace("SHA256:", "sha256:")]),
            new CapturingSink(), CancellationToken.None);
        Assert.Equal(right, found.MatchedCACertHash);
    }

    [Fact]
    public async Task A_wrong_pin_is_refused_and_the_error_names_the_served_CA()
    {
        EnsureSignedToken();
        var other = JoinLab.OpenSslPin(Path.Combine(Lab.Pki, "other", "ca.crt"));
        var e = await Refused(Request(pins: [other]));
        Assert.Equal("Discovery.CAPinMismatch", e.ErrorId);
        Assert.Contains(JoinLab.OpenSslPin(join.CAPath), e.Message);
        Assert.Equal(KubeErrorCategory.SecurityError, e.Category);
    }

    [Fact]
    public async Task A_wrong_token_secret_is_refused_as_a_bad_signature()
    {
        EnsureSignedToken();
        var e = await Refused(Request(token: BootstrapTokenString.Parse($"{Id}.fedcba9876543210")));
        Assert.Equal("Discovery.BadSignature", e.ErrorId);
        Assert.DoesNotContain("fedcba9876543210", CapturingSink.Describe(e));
    }

    [Fact]
    public async Task An_expired_token_is_refused_after_the_discovery_timeout()
    {
        EnsureSignedToken();       // the signer runs and signs valid tokens
        join.CreateToken("exp001", "abcdef0123456789", expires: DateTimeOffset.UtcNow.AddMinutes(-1));
        var sink = new CapturingSink();
        var e = await Refused(Request(token: BootstrapTokenString.Parse("exp001.abcdef0123456789"), timeoutSeconds: 2), sink);
        Assert.Equal("Discovery.TokenExpired", e.ErrorId);
        Assert.Contains("exp001", e.Message);
        Assert.Contains(sink.Verbose, v => v.Contains("asking again"));
        Assert.DoesNotContain("abcdef0123456789", CapturingSink.Describe(e) + sink.AllText());
    }

    [Fact]
    public async Task An_unknown_token_is_refused_like_an_expired_one()
    {
        EnsureSignedToken();
        var e = await Refused(Request(token: BootstrapTokenString.Parse("nosuch.abcdef0123456789"), timeoutSeconds: 1));
        Assert.Equal("Discovery.TokenExpired", e.ErrorId);
    }

    [Fact]
    public async Task Discovery_with_the_pin_skipped_warns_and_marks_the_CA_as_unverified()
    {
        EnsureSignedToken();
        var sink = new CapturingSink();
        var found = await TokenDiscovery.DiscoverAsync(Request(pins: [], unsafeSkip: true), sink, CancellationToken.None);
        Assert.False(found.CAVerified);
        Assert.Null(found.MatchedCACertHash);
        var warning = Assert.Single(sink.Warnings);
        Assert.Contains("UnsafeSkipCAVerification", warning);
        Assert.Contains(JoinLab.OpenSslPin(join.CAPath), warning);
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_refused_after_the_timeout()
    {
        var e = await Refused(Request(endpoint: $"127.0.0.1:{LabTools.FreePort()}", timeoutSeconds: 1));
        Assert.Equal("Discovery.Unreachable", e.ErrorId);
        Assert.Equal(KubeErrorCategory.ConnectionError, e.Category);
    }

    // ------------------------------------------------------------------ a man in the middle (another CA)

    string WorkDir(string name) => Path.Combine(Lab.Root, "mitm-" + name);

    TlsTestServer Mitm(string name, Func<int, JsonObject> clusterInfo, bool genuineCA = false) =>
        new(TlsTestServer.IssueServerCertificate(genuineCA ? Lab.Pki : Path.Combine(Lab.Pki, "other"), WorkDir(name), name),
            (path, n) => path.EndsWith("/configmaps/cluster-info", StringComparison.Ordinal) ? (200, clusterInfo(n).ToJsonString()) : (404, "{}"));

    static JsonObject ConfigMap(string kubeconfig, string id, string jws) => new()
    {
        ["apiVersion"] = "v1", ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = "cluster-info", ["namespace"] = "kube-public" },
        ["data"] = new JsonObject { ["kubeconfig"] = kubeconfig, ["jws-kubeconfig-" + id] = jws },
    };

    /// <summary>A cluster-info kubeconfig as client-go writes it, with the given CA and server.</summary>
    string ForgedKubeconfig(string caFile, string? server = null, bool twoClusters = false)
    {
        var ca = Convert.ToBase64String(File.ReadAllBytes(caFile));
        var second = twoClusters ? $"- cluster:\n    certificate-authority-data: {ca}\n    server: https://10.9.9.9:6443\n  name: second\n" : "";
        return "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: " + ca + "\n    server: " + (server ?? Lab.Server) +
               "\n  name: \"\"\n" + second + "contexts: null\ncurrent-context: \"\"\nkind: Config\npreferences: {}\nusers: null\n";
    }

    [Fact]
    public async Task A_man_in_the_middle_passing_the_genuine_cluster_info_through_is_refused_on_the_verified_fetch()
    {
        EnsureSignedToken();
        var genuine = join.ClusterInfo();
        using var mitm = Mitm("passthrough", _ => genuine);
        var e = await Refused(Request(endpoint: mitm.Endpoint));
        Assert.Equal("Discovery.ServerNotTrusted", e.ErrorId);
        // The signed, pinned answer of the first fetch was taken; the second connection was refused in the TLS handshake.
        Assert.Equal(1, mitm.Requests);
        Assert.Equal(2, mitm.Connections);
    }

    [Fact]
    public async Task A_man_in_the_middle_that_swaps_in_its_own_CA_without_the_token_secret_is_refused_as_a_bad_signature()
    {
        var forged = ForgedKubeconfig(Path.Combine(Lab.Pki, "other", "ca.crt"));
        using var mitm = Mitm("forged", _ => ConfigMap(forged, Id, DetachedJws.Compute(forged, Id, "guessedsecret000")));
        var e = await Refused(Request(endpoint: mitm.Endpoint));
        Assert.Equal("Discovery.BadSignature", e.ErrorId);

        // Keeping the genuine signature over the changed content fails the same way.
        EnsureSignedToken();
        var genuineJws = join.WaitSigned(Id);
        using var replay = Mitm("replayed", _ => ConfigMap(forged, Id, genuineJws));
        Assert.Equal("Discovery.BadSignature", (await Refused(Request(endpoint: replay.Endpoint))).ErrorId);
    }

    [Fact]
    public async Task A_man_in_the_middle_that_knows_the_token_and_swaps_in_its_own_CA_is_refused_by_the_pin()
    {
        var forged = ForgedKubeconfig(Path.Combine(Lab.Pki, "other", "ca.crt"), server: "https://" + "127.0.0.1:1");
        using var mitm = Mitm("insider", _ => ConfigMap(forged, Id, DetachedJws.Compute(forged, Id, Secret)));
        var e = await Refused(Request(endpoint: mitm.Endpoint));
        Assert.Equal("Discovery.CAPinMismatch", e.ErrorId);
        Assert.Contains(JoinLab.OpenSslPin(Path.Combine(Lab.Pki, "other", "ca.crt")), e.Message);
        Assert.Equal(1, mitm.Requests);
    }

    [Fact]
    public async Task Cluster_info_that_differs_on_the_verified_second_fetch_is_refused()
    {
        // A server with a certificate from the cluster CA (so TLS passes) whose second answer is another, validly signed kubeconfig.
        var first = ForgedKubeconfig(join.CAPath);
        var second = ForgedKubeconfig(join.CAPath, server: "https://10.9.9.9:6443");
        using var server = Mitm("changing", n => n == 1
            ? ConfigMap(first, Id, DetachedJws.Compute(first, Id, Secret))
            : ConfigMap(second, Id, DetachedJws.Compute(second, Id, Secret)), genuineCA: true);
        var e = await Refused(Request(endpoint: server.Endpoint));
        Assert.Equal("Discovery.ClusterInfoChanged", e.ErrorId);
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task Cluster_info_with_two_clusters_is_refused()
    {
        var two = ForgedKubeconfig(join.CAPath, twoClusters: true);
        Assert.Equal(2, KubePS.Core.KubeConfigs.KubeConfigYaml.Parse(two, "test").Clusters.Count);
        using var server = Mitm("two", _ => ConfigMap(two, Id, DetachedJws.Compute(two, Id, Secret)), genuineCA: true);
        var e = await Refused(Request(endpoint: server.Endpoint));
        Assert.Equal("Discovery.MultipleClusters", e.ErrorId);
    }

    [Fact]
    public async Task Cluster_info_without_any_signature_is_refused_as_NoSignature()
    {
        var kubeconfig = ForgedKubeconfig(join.CAPath);
        var unsigned = ConfigMap(kubeconfig, Id, "x");
        ((JsonObject)unsigned["data"]!).Remove("jws-kubeconfig-" + Id);
        using var server = Mitm("unsigned", _ => unsigned, genuineCA: true);
        var e = await Refused(Request(endpoint: server.Endpoint, timeoutSeconds: 1));
        Assert.Equal("Discovery.NoSignature", e.ErrorId);
        Assert.True(server.Requests >= 2, "absent signatures are retried until the timeout");
    }

    // ------------------------------------------------------------------ bad input, before any contact

    [Fact]
    public async Task Bad_discovery_input_fails_before_anything_is_contacted()
    {
        var unused = $"127.0.0.1:{LabTools.FreePort()}";
        async Task<string> Id_(TokenDiscoveryRequest r) => (await Refused(r)).ErrorId;
        Assert.Equal("Discovery.CAHashRequired", await Id_(Request(endpoint: unused, pins: [])));
        Assert.Equal("Discovery.InvalidCACertHash", await Id_(Request(endpoint: unused, pins: ["md5:abcd"])));
        Assert.Equal("Discovery.InvalidCACertHash", await Id_(Request(endpoint: unused, pins: ["sha256:" + new string('g', 64)])));
        Assert.Equal("Discovery.InvalidEndpoint", await Id_(Request(endpoint: "https://127.0.0.1:6443")));
        Assert.Equal("Discovery.InvalidEndpoint", await Id_(Request(endpoint: "127.0.0.1")));
        Assert.Equal("Discovery.InvalidEndpoint", await Id_(Request(endpoint: "no_such host:6443")));
        Assert.Equal("Discovery.TokenExpired", await Id_(new TokenDiscoveryRequest
        {
            ApiServerEndpoint = unused, Token = Token, CACertHashes = [JoinLab.OpenSslPin(join.CAPath)], TokenExpires = DateTimeOffset.UtcNow.AddSeconds(-1),
            Timeout = TimeSpan.FromSeconds(30),
        }));
    }
}
