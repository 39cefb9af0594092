using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KubePS.Core.Api;
using KubePS.Core.Versioning;
using static KubePS.Core.ClusterObjects.KubeObjects;

namespace KubePS.Core.ClusterObjects;

/// <summary>
/// A bootstrap token to store as a Secret (kubeadm's BootstrapToken: token, description, ttl or expires, usages,
/// groups; kubeadm-facts.md §5.3). The token secret never appears in <see cref="ToString"/> or in any error.
/// </summary>
public sealed partial class BootstrapTokenSpec
{
    /// <summary>kubeadm's default extra group of a token.</summary>
    public const string DefaultGroup = BootstrapTokenGroup;
    public static readonly IReadOnlyList<string> KnownUsages = ["signing", "authentication"];
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(24);

    readonly string _secret;

    /// <param name="token">id.secret, [a-z0-9]{6}.[a-z0-9]{16}</param>
    public BootstrapTokenSpec(string token)
    {
        var m = TokenPattern().Match(token ?? "");
        if (!m.Success)
        {
            int dot = token?.IndexOf('.') ?? -1;
            string shown = dot > 0 && IdPattern().IsMatch(token![..dot]) ? $"with id '{token[..dot]}'" : $"of {token?.Length ?? 0} characters";
            throw new KubeException("ClusterObjects.InvalidToken",
                $"The bootstrap token {shown} is not of the form [a-z0-9]{{6}}.[a-z0-9]{{16}}.",
                KubeErrorCategory.InvalidArgument, "token", "Generate a token (kubeadm token generate) such as abcdef.0123456789abcdef.");
        }
        Id = m.Groups[1].Value;
        _secret = m.Groups[2].Value;
    }

    [GeneratedRegex(@"^([a-z0-9]{6})\.([a-z0-9]{16})$", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();

    [GeneratedRegex(@"^[a-z0-9]{6}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex GroupPattern();

    /// <summary>The public token id; the Secret is named bootstrap-token-&lt;id&gt;.</summary>
    public string Id { get; }

    /// <summary>The Secret's name, bootstrap-token-&lt;id&gt;.</summary>
    public string SecretName => "bootstrap-token-" + Id;

    public string? Description { get; init; }

    /// <summary>Time to live from the render time; zero means the token never expires. Ignored when <see cref="Expires"/> is set.</summary>
    public TimeSpan? Ttl { get; init; } = DefaultTtl;

    /// <summary>An absolute expiry; wins over <see cref="Ttl"/> as in kubeadm.</summary>
    public DateTimeOffset? Expires { get; init; }

    /// <summary>Usages (signing, authentication).</summary>
    public IReadOnlyList<string> Usages { get; init; } = KnownUsages;

    /// <summary>Extra groups the token authenticates as (system:bootstrappers:...).</summary>
    public IReadOnlyList<string> Groups { get; init; } = [DefaultGroup];

    internal string Secret => _secret;

    internal void Validate()
    {
        foreach (var u in Usages)
            if (!KnownUsages.Contains(u))
                throw new KubeException("ClusterObjects.InvalidTokenUsage",
                    $"Bootstrap token {Id}: usage '{u}' is unknown. Valid usages are {string.Join(", ", KnownUsages)}.",
                    KubeErrorCategory.InvalidArgument, u, "Use signing and/or authentication.");
        foreach (var g in Groups)
            if (!GroupPattern().IsMatch(g))
                throw new KubeException("ClusterObjects.InvalidTokenGroup",
                    $"Bootstrap token {Id}: group '{g}' does not match ^system:bootstrappers:[a-z0-9:-]{{0,255}}[a-z0-9]$.",
                    KubeErrorCategory.InvalidArgument, g, $"Use a group such as {DefaultGroup}.");
        if (Ttl is { } ttl && ttl < TimeSpan.Zero)
            throw new KubeException("ClusterObjects.InvalidTokenTtl", $"Bootstrap token {Id}: the TTL {ttl} is negative.",
                KubeErrorCategory.InvalidArgument, ttl.ToString(), "Give a positive TTL such as 24h, or zero for a token that never expires.");
    }

    /// <summary><c>bootstrap-token-abcdef (secret redacted)</c>.</summary>
    public override string ToString() => $"{SecretName} (secret redacted)";
}

/// <summary>
/// Phase bootstrap-token (kubeadm-facts.md §5.1–§5.3, §2): token Secrets, the RBAC that lets token-authenticated
/// kubelets join and get their certificates approved, the cluster-info ConfigMap with its anonymous read Role, and
/// (1.29+) the kubeadm:cluster-admins binding.
/// </summary>
public static class BootstrapTokenObjects
{
    public const string TokenSecretType = "bootstrap.kubernetes.io/token";
    public const string ClusterInfoName = "cluster-info";
    public const string ClusterInfoKey = "kubeconfig";
    public const string ClusterInfoRole = "kubeadm:bootstrap-signer-clusterinfo";
    public const string GetNodesRole = "kubeadm:get-nodes";
    public const string ClusterAdminsGroup = "kubeadm:cluster-admins";

    /// <summary>
    /// The token Secret kube-system/bootstrap-token-&lt;id&gt; of type bootstrap.kubernetes.io/token with data token-id,
    /// token-secret, expiration (RFC 3339 UTC, from <see cref="BootstrapTokenSpec.Expires"/> or <paramref name="now"/> +
    /// TTL; absent for TTL 0), usage-bootstrap-&lt;usage&gt;: "true", auth-extra-groups (comma list, if any) and
    /// description (if set).
    /// </summary>
    public static JsonObject Secret(BootstrapTokenSpec token, DateTimeOffset now)
    {
        token.Validate();
        var data = new JsonObject
        {
            ["token-id"] = Base64(token.Id),
            ["token-secret"] = Base64(token.Secret),
        };
        if (!string.IsNullOrEmpty(token.Description)) data["description"] = Base64(token.Description);
        string? expiration = token.Expires is { } at ? Rfc3339(at)
            : token.Ttl is { } ttl && ttl > TimeSpan.Zero ? Rfc3339(now + ttl) : null;
        if (expiration is not null) data["expiration"] = Base64(expiration);
        foreach (var usage in token.Usages) data["usage-bootstrap-" + usage] = Base64("true");
        if (token.Groups.Count > 0) data["auth-extra-groups"] = Base64(string.Join(",", token.Groups));

        var secret = New(KubeResource.Secret, token.SecretName, KubeSystem);
        secret["type"] = TokenSecretType;
        secret["data"] = data;
        return secret;
    }

    /// <summary>Go's time.RFC3339 of a UTC time: seconds precision, Z suffix.</summary>
    internal static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The node-bootstrap RBAC (kubeadm-facts.md §5.2): ClusterRole + ClusterRoleBinding kubeadm:get-nodes, and the
    /// ClusterRoleBindings kubeadm:kubelet-bootstrap (system:node-bootstrapper), kubeadm:node-autoapprove-bootstrap
    /// (nodeclient CSRs) for the default token group, kubeadm:node-autoapprove-certificate-rotation (selfnodeclient
    /// CSRs) for system:nodes.
    /// </summary>
    public static IReadOnlyList<JsonObject> NodeBootstrapRbac() =>
    [
        ClusterRole(GetNodesRole, Rule(["get"], [""], ["nodes"])),
        ClusterRoleBinding(GetNodesRole, GetNodesRole, GroupSubject(BootstrapTokenGroup)),
        ClusterRoleBinding("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", GroupSubject(BootstrapTokenGroup)),
        ClusterRoleBinding("kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", GroupSubject(BootstrapTokenGroup)),
        ClusterRoleBinding("kubeadm:node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", GroupSubject(NodesGroup)),
    ];

    /// <summary>
    /// ConfigMap kube-public/cluster-info (key kubeconfig: one cluster named "" with the control-plane endpoint and
    /// the CA, no users or contexts), and Role + RoleBinding kubeadm:bootstrap-signer-clusterinfo letting User
    /// system:anonymous get it. The controller-manager's bootstrapsigner later adds jws-kubeconfig-&lt;id&gt; keys.
    /// </summary>
    public static IReadOnlyList<JsonObject> ClusterInfo(ClusterObjectsRequest cluster)
    {
        var r = cluster.Resolve();
        return
        [
            ConfigMap(ClusterInfoName, KubePublic, [new(ClusterInfoKey, ClusterInfoKubeconfig(r.Endpoint, cluster.CACertificatePem))]),
            GetOneRole(ClusterInfoRole, KubePublic, "configmaps", ClusterInfoName),
            RoleBinding(ClusterInfoRole, KubePublic, ClusterInfoRole, UserSubject("system:anonymous")),
        ];
    }

    /// <summary>
    /// The cluster-info kubeconfig as client-go's clientcmd writes it: keys in the order apiVersion, clusters,
    /// contexts, current-context, kind, preferences, users; one cluster named "" with certificate-authority-data
    /// (base64 of the CA PEM) and server; contexts and users null, current-context "".
    /// </summary>
    public static string ClusterInfoKubeconfig(string server, string caPem)
    {
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\n");
        sb.Append("clusters:\n");
        sb.Append("- cluster:\n");
        sb.Append("    certificate-authority-data: ").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(caPem))).Append('\n');
        sb.Append("    server: ").Append(server).Append('\n');
        sb.Append("  name: \"\"\n");
        sb.Append("contexts: null\n");
        sb.Append("current-context: \"\"\n");
        sb.Append("kind: Config\n");
        sb.Append("preferences: {}\n");
        sb.Append("users: null\n");
        return sb.ToString();
    }

    /// <summary>
    /// ClusterRoleBinding kubeadm:cluster-admins (ClusterRole cluster-admin → Group kubeadm:cluster-admins) for
    /// versions whose admin.conf is in that group (1.29+), else null. kubeadm creates it with admin.conf and, on
    /// Forbidden, with super-admin.conf; AlreadyExists counts as success.
    /// </summary>
    public static JsonObject? ClusterAdminsBinding(KubeVersion version)
    {
        var release = VersionCatalog.Get(version);
        if (release.AdminGroup != ClusterAdminsGroup) return null;
        return ClusterRoleBinding(ClusterAdminsGroup, "cluster-admin", GroupSubject(ClusterAdminsGroup));
    }
}
