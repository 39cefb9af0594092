using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KubePS.Core;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Configuration;
using KubePS.Core.Versioning;
using Xunit;

namespace KubePS.Tests.ClusterObjects;

public sealed class BootstrapTokenTests : ClusterObjectsTestBase
{
    const string Token = "abcdef.0123456789abcdef";
    static readonly DateTimeOffset Now = new(2024, 5, 6, 7, 8, 9, 123, TimeSpan.FromHours(2));

    [Fact]
    public void Token_secret_has_kubeadms_name_type_and_data()
    {
        // Facts §5.3: bootstrap-token-<id> in kube-system, type bootstrap.kubernetes.io/token, data token-id,
        // token-secret, expiration (RFC 3339 UTC, now + TTL; default 24h), usage-bootstrap-signing/authentication
        // "true", auth-extra-groups (comma list; default the default-node-token group), description if set.
        var secret = BootstrapTokenObjects.Secret(new BootstrapTokenSpec(Token) { Description = "for workers" }, Now);
        Assert.Equal("bootstrap-token-abcdef", (string?)secret["metadata"]!["name"]);
        Assert.Equal("kube-system", (string?)secret["metadata"]!["namespace"]);
        Assert.Equal("bootstrap.kubernetes.io/token", (string?)secret["type"]);

        // kubectl's secret generator, fed the same literal facts, is the judge of keys and encoding.
        var expected = Kubectl.Run("create", "secret", "generic", "bootstrap-token-abcdef", "-n", "kube-system",
            "--type=bootstrap.kubernetes.io/token",
            "--from-literal=token-id=abcdef", "--from-literal=token-secret=0123456789abcdef",
            "--from-literal=expiration=2024-05-07T05:08:09Z",
            "--from-literal=usage-bootstrap-signing=true", "--from-literal=usage-bootstrap-authentication=true",
            "--from-literal=auth-extra-groups=system:bootstrappers:kubeadm:default-node-token",
            "--from-literal=description=for workers", "--dry-run=client", "-o", "json");
        Assert.True(JsonNode.DeepEquals(expected["data"], secret["data"]), secret["data"]!.ToJsonString());
        Assert.Equal((string?)expected["type"], (string?)secret["type"]);

        var exp = DateTimeOffset.ParseExact(DecodeData(secret, "expiration"), "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal);
        Assert.Equal(Now.AddHours(24).ToUnixTimeSeconds(), exp.ToUnixTimeSeconds());
    }

    [Fact]
    public void Ttl_zero_never_expires_expires_wins_over_ttl_and_extra_groups_join_with_commas()
    {
        var forever = BootstrapTokenObjects.Secret(new BootstrapTokenSpec(Token) { Ttl = TimeSpan.Zero, Usages = ["authentication"] }, Now);
        var data = (JsonObject)forever["data"]!;
        Assert.False(data.ContainsKey("expiration"));
        Assert.False(data.ContainsKey("usage-bootstrap-signing"));
        Assert.False(data.ContainsKey("description"));
        Assert.Equal("true", DecodeData(forever, "usage-bootstrap-authentication"));

        var fixedExpiry = BootstrapTokenObjects.Secret(new BootstrapTokenSpec(Token)
        {
            Expires = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(-5)),
            Groups = ["system:bootstrappers:kubeadm:default-node-token", "system:bootstrappers:edge"],
        }, Now);
        Assert.Equal("2030-01-02T08:04:05Z", DecodeData(fixedExpiry, "expiration"));
        Assert.Equal("system:bootstrappers:kubeadm:default-node-token,system:bootstrappers:edge", DecodeData(fixedExpiry, "auth-extra-groups"));

        Assert.Equal("ClusterObjects.InvalidTokenGroup",
            Assert.Throws<KubeException>(() => BootstrapTokenObjects.Secret(new BootstrapTokenSpec(Token) { Groups = ["admins"] }, Now)).ErrorId);
        Assert.Equal("ClusterObjects.InvalidTokenUsage",
            Assert.Throws<KubeException>(() => BootstrapTokenObjects.Secret(new BootstrapTokenSpec(Token) { Usages = ["signing", "root"] }, Now)).ErrorId);
    }

    [Theory]
    [InlineData("abcdef.0123456789abcdeF")]
    [InlineData("abcdef0123456789abcdef")]
    [InlineData("abcdef.0123456789")]
    [InlineData("ABCDEF.0123456789abcdef")]
    public void Malformed_token_is_refused_without_echoing_its_secret(string token)
    {
        var ex = Assert.Throws<KubeException>(() => new BootstrapTokenSpec(token));
        Assert.Equal("ClusterObjects.InvalidToken", ex.ErrorId);
        Assert.DoesNotContain("0123456789", ex.Message);
        Assert.DoesNotContain("0123456789", ex.Target?.ToString() ?? "");
    }

    [Fact]
    public void Token_spec_ToString_never_shows_the_secret()
    {
        var spec = new BootstrapTokenSpec(Token) { Description = "d" };
        Assert.Equal("bootstrap-token-abcdef (secret redacted)", spec.ToString());
        Assert.DoesNotContain("0123456789abcdef", spec.ToString());
    }

    [Fact]
    public void Generated_tokens_are_kubeadm_shaped_and_do_not_repeat()
    {
        // Facts §5.3: ^([a-z0-9]{6})\.([a-z0-9]{16})$ from a crypto RNG over [0-9a-z].
        var tokens = Enumerable.Range(0, 2000).Select(_ => BootstrapTokenString.Generate().Reveal()).ToList();
        Assert.All(tokens, t => Assert.Matches(new Regex(@"^[a-z0-9]{6}\.[a-z0-9]{16}$"), t));
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        // Every one of the 36 characters shows up in 44,000 draws (a biased or narrowed alphabet would not).
        Assert.Equal(36, tokens.SelectMany(t => t.Replace(".", "")).Distinct().Count());
    }

    [Fact]
    public void Node_bootstrap_RBAC_matches_kubeadm()
    {
        // Facts §5.2, judged against kubectl's clusterrolebinding generator for roleRef and subjects.
        var objs = BootstrapTokenObjects.NodeBootstrapRbac();
        const string tokens = "system:bootstrappers:kubeadm:default-node-token";
        foreach (var (name, role, group) in new[]
        {
            ("kubeadm:get-nodes", "kubeadm:get-nodes", tokens),
            ("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", tokens),
            ("kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", tokens),
            ("kubeadm:node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "system:nodes"),
        })
        {
            var crb = Find(objs, "ClusterRoleBinding", name);
            var expected = Kubectl.Run("create", "clusterrolebinding", name, "--clusterrole=" + role, "--group=" + group, "--dry-run=client", "-o", "json");
            Assert.True(JsonNode.DeepEquals(expected["roleRef"], crb["roleRef"]), $"{name}: {crb["roleRef"]!.ToJsonString()}");
            Assert.True(JsonNode.DeepEquals(expected["subjects"], crb["subjects"]), $"{name}: {crb["subjects"]!.ToJsonString()}");
            Kubectl.AssertTypedRoundTrip(crb, Dir);
        }
        Assert.Equal(5, objs.Count);

        using var discovery = new DiscoveryStub();
        var getNodes = Find(objs, "ClusterRole", "kubeadm:get-nodes");
        var kubectlRole = Kubectl.RunWithServer(discovery.Url, "create", "clusterrole", "kubeadm:get-nodes", "--verb=get", "--resource=nodes", "--dry-run=client", "-o", "json");
        Assert.True(JsonNode.DeepEquals(Sorted(kubectlRole["rules"]), Sorted(getNodes["rules"])), getNodes["rules"]!.ToJsonString());
    }

    [Fact]
    public void Cluster_info_holds_a_kubeconfig_with_exactly_one_unnamed_cluster_and_anonymous_may_read_it()
    {
        // Facts §5.1: cluster-info/kube-public, key kubeconfig, one cluster named "" with admin.conf's server and CA,
        // no users or contexts. Facts §2: client-go key order apiVersion, clusters, contexts, current-context, kind,
        // preferences, users. Facts §5.2: Role/RoleBinding kubeadm:bootstrap-signer-clusterinfo for User system:anonymous.
        var objs = BootstrapTokenObjects.ClusterInfo(Cluster("1.30.14", endpoint: "https://10.0.1.171:6443"));
        var cm = Find(objs, "ConfigMap", "cluster-info");
        Assert.Equal("kube-public", (string?)cm["metadata"]!["namespace"]);
        string kubeconfig = (string)cm["data"]!["kubeconfig"]!;
        Assert.Equal(["apiVersion", "clusters", "contexts", "current-context", "kind", "preferences", "users"],
            kubeconfig.Split('\n').Where(l => l.Length > 0 && char.IsLetter(l[0])).Select(l => l[..l.IndexOf(':')]));

        var file = Kubectl.WriteTemp(Dir, "cluster-info.conf", kubeconfig);
        var parsed = Kubectl.Run("config", "view", "--raw", "-o", "json", "--kubeconfig", file);
        var cluster = Assert.Single((JsonArray)parsed["clusters"]!)!;
        Assert.Equal("", (string?)cluster["name"]);
        Assert.Equal("https://10.0.1.171:6443", (string?)cluster["cluster"]!["server"]);
        Assert.Equal(CaPem, Encoding.UTF8.GetString(Convert.FromBase64String((string)cluster["cluster"]!["certificate-authority-data"]!)));
        Assert.Empty(((JsonArray?)parsed["users"]) ?? []);
        Assert.Empty(((JsonArray?)parsed["contexts"]) ?? []);
        Assert.Equal("", (string?)parsed["current-context"] ?? "");

        var role = Find(objs, "Role", "kubeadm:bootstrap-signer-clusterinfo");
        Assert.Equal("kube-public", (string?)role["metadata"]!["namespace"]);
        Assert.Equal(["cluster-info"], StringList(role["rules"]![0]!["resourceNames"]));
        var rb = Find(objs, "RoleBinding", "kubeadm:bootstrap-signer-clusterinfo");
        var expected = Kubectl.Run("create", "rolebinding", "kubeadm:bootstrap-signer-clusterinfo", "-n", "kube-public",
            "--role=kubeadm:bootstrap-signer-clusterinfo", "--user=system:anonymous", "--dry-run=client", "-o", "json");
        Assert.True(JsonNode.DeepEquals(expected["subjects"], rb["subjects"]), rb["subjects"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(expected["roleRef"], rb["roleRef"]), rb["roleRef"]!.ToJsonString());

        using var discovery = new DiscoveryStub();
        var kubectlRole = Kubectl.RunWithServer(discovery.Url, "create", "role", "kubeadm:bootstrap-signer-clusterinfo", "-n", "kube-public",
            "--verb=get", "--resource=configmaps", "--resource-name=cluster-info", "--dry-run=client", "-o", "json");
        Assert.True(JsonNode.DeepEquals(Sorted(kubectlRole["rules"]), Sorted(role["rules"])), role["rules"]!.ToJsonString());
    }

    [Theory]
    [InlineData("1.28.15", false)]
    [InlineData("1.29.0", true)]
    [InlineData("1.30.14", true)]
    public void Cluster_admins_binding_exists_from_1_29(string version, bool exists)
    {
        // Facts §2: 1.29+ ClusterRoleBinding kubeadm:cluster-admins (cluster-admin → Group kubeadm:cluster-admins).
        var crb = BootstrapTokenObjects.ClusterAdminsBinding(KubeVersion.Parse(version));
        if (!exists) { Assert.Null(crb); return; }
        var expected = Kubectl.Run("create", "clusterrolebinding", "kubeadm:cluster-admins", "--clusterrole=cluster-admin",
            "--group=kubeadm:cluster-admins", "--dry-run=client", "-o", "json");
        Assert.Equal("kubeadm:cluster-admins", (string?)crb!["metadata"]!["name"]);
        Assert.True(JsonNode.DeepEquals(expected["roleRef"], crb["roleRef"]));
        Assert.True(JsonNode.DeepEquals(expected["subjects"], crb["subjects"]));
    }

    /// <summary>kubectl's role generator writes rule keys in its own order; compare as sorted JSON.</summary>
    internal static JsonNode? Sorted(JsonNode? n) => n switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        _ => n?.DeepClone(),
    };
}
