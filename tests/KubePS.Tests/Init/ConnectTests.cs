using KubePS.Core;
using KubePS.Core.KubeConfigs;
using Xunit;
using static KubePS.Tests.Init.InitTestSupport;

namespace KubePS.Tests.Init;

/// <summary>
/// Connect-KubeCluster's current cluster and kubectl's order for finding a kubeconfig (-KubeConfig, the current
/// cluster, $KUBECONFIG, ~/.kube/config), judged by kubectl itself where it reads the same files.
/// </summary>
public sealed class ConnectTests : IDisposable
{
    readonly string _dir = TempDir();

    public void Dispose()
    {
        KubeClusterConnection.Disconnect();
        Delete(_dir);
    }

    string Kubeconfig(string name, string server, string context, string? current, string cluster = "c", string user = "u")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: {cluster}
              cluster:
                server: {server}
            contexts:
            - name: {context}
              context:
                cluster: {cluster}
                user: {user}
            users:
            - name: {user}
              user:
                token: not-a-real-token
            current-context: {current ?? ""}
            """);
        return path;
    }

    string KubectlServer(string kubeconfigVariable, string? home = null)
    {
        var env = new Dictionary<string, string> { ["KUBECONFIG"] = kubeconfigVariable };
        if (home is not null) env["HOME"] = home;
        var r = Infrastructure.Tool.Run("kubectl", ["config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"], env: env);
        Assert.True(r.ExitCode == 0, r.Error);
        return r.Output.Trim();
    }

    [Fact]
    public void KUBECONFIG_files_are_merged_as_kubectl_merges_them()
    {
        // a sets no current context; b sets one whose cluster a defines first (first file wins for a named entry).
        var a = Kubeconfig("a.conf", "https://a.example:6443", "ctx-a", current: null, cluster: "shared");
        var b = Kubeconfig("b.conf", "https://b.example:6443", "ctx-b", current: "ctx-b", cluster: "shared");
        var variable = $"{a}:{b}";
        var c = KubeClusterConnection.Resolve(kubeconfigVariable: variable, home: _dir);
        Assert.Equal(KubectlServer(variable), c.Server);
        Assert.Equal("https://a.example:6443", c.Server);
        Assert.Equal("ctx-b", c.Context);
        Assert.Equal("bearer token", c.AuthenticationKind);
    }

    [Fact]
    public void The_order_is_explicit_then_connected_then_KUBECONFIG_then_home()
    {
        var home = Path.Combine(_dir, "home");
        Directory.CreateDirectory(Path.Combine(home, ".kube"));
        File.Copy(Kubeconfig("h.conf", "https://home.example:6443", "h", "h"), Path.Combine(home, ".kube", "config"));
        var env = Kubeconfig("e.conf", "https://env.example:6443", "e", "e");
        var connected = KubeClusterConnection.FromFile(Kubeconfig("k.conf", "https://connected.example:6443", "k", "k"));
        var explicitOne = KubeClusterConnection.FromFile(Kubeconfig("x.conf", "https://explicit.example:6443", "x", "x"));

        Assert.Equal("https://home.example:6443", KubeClusterConnection.Resolve(kubeconfigVariable: Path.Combine(_dir, "missing.conf"), home: home).Server);
        Assert.Equal(KubectlServer("", home), KubeClusterConnection.Resolve(kubeconfigVariable: "", home: home).Server);
        Assert.Equal("https://env.example:6443", KubeClusterConnection.Resolve(kubeconfigVariable: env, home: home).Server);
        KubeClusterConnection.Connect(connected);
        Assert.Same(connected, KubeClusterConnection.Current);
        Assert.Equal("https://connected.example:6443", KubeClusterConnection.Resolve(kubeconfigVariable: env, home: home).Server);
        Assert.Same(explicitOne, KubeClusterConnection.Resolve(explicitOne, env, home));
        KubeClusterConnection.Disconnect();
        Assert.Null(KubeClusterConnection.Current);
    }

    [Fact]
    public void Without_any_kubeconfig_the_error_says_how_to_connect()
    {
        var e = Assert.Throws<KubeException>(() => KubeClusterConnection.Resolve(kubeconfigVariable: "", home: Path.Combine(_dir, "nohome")));
        Assert.Equal("KubeConfig.NotFound", e.ErrorId);
        Assert.Contains("Connect-KubeCluster", e.RecommendedAction);
    }

    [Fact]
    public void A_context_can_be_chosen_and_an_unknown_one_is_refused_with_the_known_ones()
    {
        var path = Kubeconfig("two.conf", "https://one.example:6443", "one", "one");
        var c = KubeClusterConnection.FromFile(path, "one");
        Assert.Equal("one", c.Context);
        var e = Assert.Throws<KubeException>(() => KubeClusterConnection.FromFile(path, "two"));
        Assert.Equal("KubeConfig.NoSuchContext", e.ErrorId);
        Assert.Contains("one", e.Message);
    }

    [Fact]
    public async Task A_control_planes_admin_conf_connects_with_its_client_certificate()
    {
        var cp = await DryRunAsync(ExampleEcdsa, _dir, tweak: r => r with { Phases = ["certs/ca", "kubeconfig/admin"] });
        var c = KubeClusterConnection.FromControlPlane(cp);
        Assert.Equal("https://k8s-api.example.internal:6443", c.Server);
        Assert.Equal("kubernetes-admin@kubernetes", c.Context);
        Assert.Equal("client certificate", c.AuthenticationKind);
        var credentials = c.Credentials();
        Assert.Equal(cp.CACertificatePem, credentials.CAPem);
        Assert.DoesNotContain("PRIVATE KEY", c.ToString());
        Assert.Contains("admin.conf of cp1 (dry run)", c.Source);
    }

    [Fact]
    public void Relative_file_references_are_taken_from_the_kubeconfigs_folder()
    {
        var sub = Path.Combine(_dir, "sub");
        Directory.CreateDirectory(sub);
        File.WriteAllText(Path.Combine(sub, "token"), "from-a-file\n");
        var path = Path.Combine(sub, "rel.conf");
        File.WriteAllText(path, Kubeconfig_WithTokenFile("https://rel.example:6443"));
        Assert.Equal("bearer token", KubeClusterConnection.FromFile(path).AuthenticationKind);
        // Resolved through $KUBECONFIG from elsewhere, the reference still points into sub/.
        Assert.Equal("bearer token", KubeClusterConnection.Resolve(kubeconfigVariable: path, home: _dir).AuthenticationKind);
    }

    static string Kubeconfig_WithTokenFile(string server) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster:
            server: {server}
        contexts:
        - name: t
          context:
            cluster: c
            user: u
        users:
        - name: u
          user:
            tokenFile: token
        current-context: t
        """;
}
