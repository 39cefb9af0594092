using System.Text;
using KubePS.Core;
using KubePS.Core.Api;
using KubePS.Core.Etcd;
using KubePS.Core.KubeConfigs;
using KubePS.Core.Pki;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.Validation;

/// <summary>
/// The refusals of Connect-KubeCluster / Import-KubeConfig / New-KubeConfig and of the API and etcd clients: a
/// kubeconfig that cannot be used is refused when connecting, naming the file, the field and what would be valid.
/// </summary>
public sealed class KubeConfigValidationTests
{
    const string Token = "abcdef.0123456789abcdef";

    static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    static string Kubeconfig(string server = "https://10.0.0.10:6443", string currentContext = "admin@k", string contextCluster = "k",
        string clusterExtra = "", string user = "    token: " + Token) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: k
          cluster:
            server: {server}
        {clusterExtra}
        contexts:
        - name: admin@k
          context:
            cluster: {contextCluster}
            user: admin
        current-context: {currentContext}
        users:
        - name: admin
          user:
        {user}
        """;

    static KubeException Connect(TempDir dir, string yaml)
    {
        File.WriteAllText(dir.File("admin.conf"), yaml);
        var e = Assert.ThrowsAny<KubeException>(() => KubeClusterConnection.FromFile(dir.File("admin.conf")));
        Assert.DoesNotContain(Token, e.Message);
        Assert.DoesNotContain("0123456789abcdef", e.RecommendedAction ?? "");
        return e;
    }

    [Theory]
    [InlineData("\"\"", "has no current-context")]
    [InlineData("other@k", "'other@k'")]
    public void A_kubeconfig_whose_current_context_is_missing_is_refused(string current, string said)
    {
        using var dir = new TempDir();
        var e = Connect(dir, Kubeconfig(currentContext: current));
        Assert.Equal("KubeConfig.NoCurrentContext", e.ErrorId);
        Assert.Contains(dir.File("admin.conf"), e.Message);
        Assert.Contains(said, e.Message);
        Assert.Contains("use-context", e.RecommendedAction);
    }

    [Fact]
    public void A_context_naming_an_undefined_cluster_is_refused()
    {
        using var dir = new TempDir();
        var e = Connect(dir, Kubeconfig(contextCluster: "elsewhere"));
        Assert.Equal("KubeConfig.NoCluster", e.ErrorId);
        Assert.Contains("'elsewhere'", e.Message);
        Assert.Equal(dir.File("admin.conf"), e.Target);
    }

    [Fact]
    public void A_cluster_without_server_is_refused_with_an_example_server()
    {
        using var dir = new TempDir();
        var e = Connect(dir, Kubeconfig(server: "null"));
        Assert.Equal("KubeConfig.NoServer", e.ErrorId);
        Assert.Contains("cluster 'k'", e.Message);
        Assert.Contains("https://", e.RecommendedAction);
    }

    [Theory]
    [InlineData("10.0.0.10:6443x")]
    [InlineData("not-a-url")]
    public void A_server_that_is_not_a_URL_is_refused(string server)
    {
        using var dir = new TempDir();
        var e = Connect(dir, Kubeconfig(server: server));
        Assert.Equal("KubeConfig.InvalidServer", e.ErrorId);
        Assert.Contains($"'{server}'", e.Message);
        Assert.Contains("https://host:port", e.RecommendedAction);
    }

    [Theory]
    [InlineData("http://10.0.0.10:6443")]
    [InlineData("ftp://10.0.0.10")]
    public void A_server_that_is_not_https_is_refused(string server)
    {
        using var dir = new TempDir();
        var e = Connect(dir, Kubeconfig(server: server));
        Assert.Equal("Api.InvalidServer", e.ErrorId);
        Assert.Contains(server, e.Message);
        Assert.Contains("https://10.0.0.10:6443", e.RecommendedAction);
    }

    [Theory]
    [InlineData("    client-certificate-data: {0}", "certificate")]
    [InlineData("    client-key-data: {0}", "key")]
    public void A_client_certificate_without_its_key_or_a_key_without_its_certificate_is_refused(string line, string present)
    {
        using var dir = new TempDir();
        var e = Connect(dir, Kubeconfig(user: string.Format(line, B64("-----BEGIN X-----\nAAAA\n-----END X-----\n"))));
        Assert.Equal("KubeConfig.IncompleteClientCertificate", e.ErrorId);
        Assert.Contains($"client {present} without", e.Message);
        Assert.Contains("user 'admin'", e.Message);
        Assert.Contains("client-key", e.RecommendedAction);
    }

    [Fact]
    public void A_CA_file_that_does_not_exist_is_refused_naming_the_full_path()
    {
        using var dir = new TempDir();
        var e = Connect(dir, Kubeconfig(clusterExtra: "    certificate-authority: pki/ca.crt"));
        Assert.Equal("KubeConfig.FileNotReadable", e.ErrorId);
        Assert.Equal(KubeErrorCategory.ObjectNotFound, e.Category);
        Assert.Equal(Path.Combine(dir.Path, "pki/ca.crt"), e.Target);
        Assert.Contains("certificate-authority", e.Message);
        Assert.Contains("--flatten", e.RecommendedAction);
    }

    [Theory]
    [InlineData("clusters: [unclosed")]
    [InlineData("- just\n- a list\n")]
    public void A_file_that_is_not_a_kubeconfig_is_refused(string yaml)
    {
        using var dir = new TempDir();
        var e = Connect(dir, yaml);
        Assert.Equal("KubeConfig.Invalid", e.ErrorId);
        Assert.Equal(dir.File("admin.conf"), e.Target);
        Assert.Contains("kubectl config view", e.RecommendedAction);
    }

    [Theory]
    [InlineData("not a PEM")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n")]
    public void A_CA_that_holds_no_certificate_is_refused_when_the_client_is_made(string caText)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("admin.conf"), Kubeconfig(clusterExtra: "    certificate-authority-data: " + B64(caText)));
        var connection = KubeClusterConnection.FromFile(dir.File("admin.conf"));
        var e = Assert.ThrowsAny<KubeException>(() => { using var c = connection.CreateClient(); });
        Assert.Equal("Api.InvalidCA", e.ErrorId);
        Assert.Equal("https://10.0.0.10:6443/", e.Target);
        Assert.Contains("CERTIFICATE", e.RecommendedAction);
    }

    [Fact]
    public void Api_credentials_with_half_a_client_certificate_are_refused()
    {
        var e = Assert.Throws<KubeException>(() => new KubeApiCredentials(new Uri("https://10.0.0.10:6443"), clientCertificatePem: "-----BEGIN CERTIFICATE-----"));
        Assert.Equal("Api.IncompleteClientCertificate", e.ErrorId);
        Assert.Contains("key", e.RecommendedAction);
    }

    [Theory]
    [InlineData("cp1")]
    [InlineData("10.0.0.300")]
    [InlineData("")]
    public void A_local_URL_needs_an_IP_advertise_address(string address)
    {
        var e = Assert.Throws<KubeException>(() => KubeConfigFactory.LocalUrl(address, 6443));
        Assert.Equal("KubeConfig.InvalidAdvertiseAddress", e.ErrorId);
        Assert.Equal(address, e.Target);
        Assert.Contains($"'{address}'", e.Message);
        Assert.Contains("10.0.0.11", e.RecommendedAction);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(70000)]
    public void A_local_URL_needs_a_port_in_range(int port)
    {
        var e = Assert.Throws<KubeException>(() => KubeConfigFactory.LocalUrl("10.0.0.11", port));
        Assert.Equal("KubeConfig.InvalidBindPort", e.ErrorId);
        Assert.Equal(port, e.Target);
        Assert.Contains("1-65535", e.Message);
        Assert.Contains("6443", e.RecommendedAction);
    }

    static readonly Lazy<KubeCertificate> CA = new(() => KubePkiBuilder.CreateCA(CertificateProfiles.Ca, KubeVersion.Parse("1.32.0"), KeyAlgorithm.EcdsaP256));

    [Theory]
    [InlineData(KubeConfigRole.Kubelet, "KubeConfig.NodeNameMissing", "-NodeName")]
    [InlineData(KubeConfigRole.User, "KubeConfig.UserNameMissing", "-UserName")]
    public void A_kubeconfig_for_one_identity_needs_its_name(KubeConfigRole role, string id, string hint)
    {
        var request = new KubeConfigRequest { Role = role, AdvertiseAddress = "10.0.0.11", KubernetesVersion = KubeVersion.Parse("1.32.0"), NodeName = " ", UserName = "" };
        var e = Assert.Throws<KubeException>(() => KubeConfigFactory.Create(request, CA.Value));
        Assert.Equal(id, e.ErrorId);
        Assert.Contains(hint, e.RecommendedAction);
    }

    [Fact]
    public void A_kubeconfig_with_a_token_user_has_no_client_certificate_to_renew_and_the_token_is_not_shown()
    {
        var config = KubeConfigYaml.Parse(Kubeconfig(), "bootstrap-kubelet.conf");
        var e = Assert.Throws<KubeException>(() =>
            KubeConfigFactory.RenewClientCertificate(config, "bootstrap-kubelet.conf", CA.Value, KubeVersion.Parse("1.32.0"), DateTimeOffset.UtcNow));
        Assert.Equal("KubeConfig.NoClientCertificate", e.ErrorId);
        Assert.Equal("bootstrap-kubelet.conf", e.Target);
        Assert.Contains("client-certificate-data", e.RecommendedAction);
        Assert.DoesNotContain(Token, e.Message);
    }

    [Fact]
    public void An_existing_kubeconfig_whose_context_has_no_cluster_is_not_reused()
    {
        var config = KubeConfigYaml.Parse(Kubeconfig(contextCluster: "gone"), "admin.conf");
        var e = Assert.Throws<KubeException>(() => KubeConfigFactory.ValidateExisting(config, "admin.conf", CA.Value, "https://10.0.0.10:6443"));
        Assert.Equal("KubeConfig.Invalid", e.ErrorId);
        Assert.Contains("'admin@k'", e.Message);
        Assert.Contains("Remove the file", e.RecommendedAction);
    }

    [Fact]
    public async Task A_server_nothing_listens_on_is_unreachable_naming_it_without_the_token()
    {
        using var dir = new TempDir();
        var server = $"https://127.0.0.1:{Tool.FreePort()}";
        File.WriteAllText(dir.File("admin.conf"), Kubeconfig(server: server));
        var credentials = KubeClusterConnection.FromFile(dir.File("admin.conf")).Credentials();
        using var client = new KubeApiClient(credentials, TimeSpan.FromSeconds(5), retryBudget: TimeSpan.Zero);
        var e = await Assert.ThrowsAsync<KubeException>(() => client.GetAsync(KubeResource.Namespace, null, "kube-system", CancellationToken.None));
        Assert.Equal("Api.Unreachable", e.ErrorId);
        Assert.Equal(KubeErrorCategory.ConnectionError, e.Category);
        Assert.Equal(server + "/", e.Target);
        Assert.Contains(server, e.Message);
        Assert.Contains("API server runs", e.RecommendedAction);
        Assert.DoesNotContain(Token, e.Message);
    }

    // ---------------------------------------------------------------- etcd client

    static (string Ca, string Cert, string Key) EtcdPem()
    {
        using var dir = new TempDir();
        Tool.OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=client",
            "-days", "1", "-keyout", dir.File("k.pem"), "-out", dir.File("c.pem"));
        var cert = File.ReadAllText(dir.File("c.pem"));
        return (cert, cert, File.ReadAllText(dir.File("k.pem")));
    }

    [Fact]
    public void An_etcd_client_needs_an_endpoint()
    {
        var (ca, cert, key) = EtcdPem();
        var e = Assert.Throws<KubeException>(() => EtcdClient.FromPem([], ca, cert, key));
        Assert.Equal("Etcd.NoEndpoints", e.ErrorId);
        Assert.Contains("https://", e.RecommendedAction);
    }

    [Theory]
    [InlineData("http://10.0.0.10:2379")]
    [InlineData("unix:///run/etcd.sock")]
    public void An_etcd_endpoint_that_is_not_https_is_refused(string endpoint)
    {
        var (ca, cert, key) = EtcdPem();
        var e = Assert.Throws<KubeException>(() => EtcdClient.FromPem([new Uri(endpoint)], ca, cert, key));
        Assert.Equal("Etcd.InvalidEndpoint", e.ErrorId);
        Assert.Contains(new Uri(endpoint).ToString(), e.Message);
        Assert.Contains("https://10.0.0.10:2379", e.RecommendedAction);
    }

    [Fact]
    public void An_etcd_CA_bundle_without_a_certificate_is_refused()
    {
        var (_, cert, key) = EtcdPem();
        var e = Assert.Throws<KubeException>(() => EtcdClient.FromPem([new Uri("https://10.0.0.10:2379")], "no PEM here", cert, key));
        Assert.Equal("Etcd.InvalidCA", e.ErrorId);
        Assert.Contains("etcd/ca.crt", e.RecommendedAction);
        Assert.DoesNotContain("PRIVATE KEY", e.Message);
    }
}
