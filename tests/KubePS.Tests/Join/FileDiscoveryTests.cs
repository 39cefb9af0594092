using System.Security.Cryptography.X509Certificates;
using KubePS.Core;
using KubePS.Core.Bootstrap;
using KubePS.Core.Configuration;
using KubePS.Tests.LabControlPlane;
using Xunit;

namespace KubePS.Tests.Join;

/// <summary>
/// File discovery (kubeadm-facts §6.2) against the lab control plane: a kubeconfig with only a server and the CA is
/// trusted once the API server proves itself with that CA; a file with another CA is refused; an https URL is fetched
/// only when its certificate is trusted (the system trust store by default).
/// </summary>
[Collection(JoinLabCollection.Name)]
public sealed class FileDiscoveryTests(JoinLab join)
{
    LabCluster Lab => join.Lab;

    string WriteDiscoveryFile(string name, string caFile, string? server = null)
    {
        var ca = Convert.ToBase64String(File.ReadAllBytes(caFile));
        return Lab.WriteFile($"discovery/{name}.conf", $"""
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: {ca}
                server: {server ?? Lab.Server}
              name: kubernetes
            contexts:
            - context:
                cluster: kubernetes
                user: ""
              name: discovery
            current-context: discovery
            kind: Config
            preferences: {LabCluster.Braces}
            users: null

            """);
    }

    static Task<DiscoveredCluster> Discover(string pathOrUrl, CapturingSink sink, X509Certificate2Collection? urlTrust = null) =>
        DiscoveryFile.DiscoverAsync(pathOrUrl, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(300), sink, CancellationToken.None, urlTrust);

    [Fact]
    public async Task A_file_with_the_server_and_its_CA_is_trusted_and_needs_a_token_for_the_TLS_bootstrap()
    {
        var sink = new CapturingSink();
        var found = await Discover(WriteDiscoveryFile("good", join.CAPath), sink);
        Assert.Equal(Lab.Server, found.Server);
        Assert.Equal(File.ReadAllBytes(join.CAPath), found.CAData);
        Assert.Equal(DiscoveryMethod.File, found.Method);
        Assert.True(found.CAVerified);
        Assert.Equal(JoinLab.OpenSslPin(join.CAPath), Assert.Single(found.CACertHashes));
        Assert.False(found.HasCredentials);
        Assert.Equal("Discovery.NoCredentials", Assert.Throws<KubeException>(() => found.BootstrapKubeConfig(null)).ErrorId);

        // With a token, bootstrap-kubelet.conf is kubeadm's: cluster kubernetes, user tls-bootstrap-token-user; kubectl reads it.
        var token = BootstrapTokenString.Parse("fil001.0123456789abcdef");
        var path = Lab.WriteFile("discovery/bootstrap-kubelet.conf", KubePS.Core.KubeConfigs.KubeConfigYaml.Serialize(found.BootstrapKubeConfig(token)));
        var view = Lab.KubectlAs(path, null, "config", "view", "--raw", "-o", "jsonpath={.contexts[0].name} {.users[0].user.token} {.clusters[0].cluster.server}");
        Assert.Equal($"tls-bootstrap-token-user@kubernetes {token.Reveal()} {Lab.Server}", view.Stdout.Trim());
    }

    [Fact]
    public async Task A_file_whose_CA_is_not_the_servers_is_refused()
    {
        var e = await Assert.ThrowsAsync<KubeException>(() => Discover(WriteDiscoveryFile("other-ca", Path.Combine(Lab.Pki, "other", "ca.crt")), new CapturingSink()));
        Assert.Equal("Discovery.ServerNotTrusted", e.ErrorId);
    }

    [Fact]
    public async Task A_file_without_a_CA_or_with_a_plain_http_URL_is_refused_before_contact()
    {
        var noCa = Lab.WriteFile("discovery/no-ca.conf", $"apiVersion: v1\nclusters:\n- cluster:\n    server: {Lab.Server}\n  name: x\nkind: Config\n");
        Assert.Equal("Discovery.InvalidFile", (await Assert.ThrowsAsync<KubeException>(() => Discover(noCa, new CapturingSink()))).ErrorId);
        Assert.Equal("Discovery.InvalidFile", (await Assert.ThrowsAsync<KubeException>(() => Discover("http://127.0.0.1:1/x.conf", new CapturingSink()))).ErrorId);
        Assert.Equal("Discovery.FileNotFound", (await Assert.ThrowsAsync<KubeException>(() => Discover(Path.Combine(Lab.Root, "none.conf"), new CapturingSink()))).ErrorId);
    }

    [Fact]
    public async Task An_https_URL_is_fetched_only_with_a_trusted_certificate()
    {
        var content = File.ReadAllText(WriteDiscoveryFile("served", join.CAPath));
        using var server = new TlsTestServer(TlsTestServer.IssueServerCertificate(Path.Combine(Lab.Pki, "other"), Path.Combine(Lab.Root, "discovery-https"), "files"),
            (path, _) => path == "/cluster.conf" ? (200, content) : (404, ""));
        var url = $"https://127.0.0.1:{server.Port}/cluster.conf";

        // The system trust store does not know the lab's "other" CA: refused.
        var refused = await Assert.ThrowsAsync<KubeException>(() => Discover(url, new CapturingSink()));
        Assert.Equal("Discovery.FileNotTrusted", refused.ErrorId);
        Assert.Equal(0, server.Requests);

        // Trusting that root, the file is read and the cluster verified as for a local file.
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(Path.Combine(Lab.Pki, "other", "ca.crt"));
        var found = await Discover(url, new CapturingSink(), roots);
        Assert.Equal(Lab.Server, found.Server);
        Assert.Equal(url, found.Source);
    }
}
