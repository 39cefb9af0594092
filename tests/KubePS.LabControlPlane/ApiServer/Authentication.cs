using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KubePS.LabControlPlane.Common;
using Microsoft.AspNetCore.Http;

namespace KubePS.LabControlPlane.ApiServer;

public sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string Uid = "", IReadOnlyDictionary<string, string[]>? Extra = null)
{
    public bool InGroup(string g) => Groups.Contains(g);

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["username"] = Name };
        if (Uid.Length > 0) o["uid"] = Uid;
        o["groups"] = J.Strings(Groups);
        if (Extra is { Count: > 0 })
        {
            var e = new JsonObject();
            foreach (var (k, v) in Extra) e[k] = J.Strings(v);
            o["extra"] = e;
        }
        return o;
    }

    /// <summary>The node name when this is a node's identity (system:node:NAME in group system:nodes).</summary>
    public string? NodeName => Name.StartsWith("system:node:", StringComparison.Ordinal) && InGroup("system:nodes")
        ? Name["system:node:".Length..] : null;
}

/// <summary>
/// Client certificates against --client-ca-file (CN = user, O = groups), bootstrap tokens from kube-system Secrets,
/// service account tokens, and anonymous requests; any presented credential that does not verify means 401.
/// </summary>
public sealed class Authenticator(EtcdStore store, X509Certificate2Collection? clientCa, bool bootstrapTokens, bool anonymous,
    ServiceAccountTokens? saTokens)
{
    static readonly Regex BootstrapToken = new("^([a-z0-9]{6})\\.([a-z0-9]{16})$", RegexOptions.Compiled);
    static readonly Regex BootstrapGroup = new("^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$", RegexOptions.Compiled);

    /// <summary>The user, or null with the reason for a 401.</summary>
    public async Task<(UserInfo? user, string error)> Authenticate(HttpContext ctx)
    {
        var errors = new List<string>();
        var cert = ctx.Connection.ClientCertificate;
        if (cert is not null)
        {
            if (clientCa is null) errors.Add("client certificate presented but no --client-ca-file is configured");
            else if (Pki.Verify(cert, clientCa, Pki.ClientAuthOid, out var err))
            {
                var (cn, orgs) = Pki.Subject(cert);
                return (new UserInfo(cn, WithAuthenticated(orgs)), "");
            }
            else errors.Add("verifying certificate " + Describe(cert) + " failed: x509: " + err);
        }
        var auth = ctx.Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = auth[7..].Trim();
            var m = BootstrapToken.Match(token);
            if (m.Success && bootstrapTokens)
            {
                var (u, e) = await BootstrapUser(m.Groups[1].Value, m.Groups[2].Value, ctx.RequestAborted);
                if (u is not null) return (u, "");
                errors.Add(e);
            }
            else if (token.Count(c => c == '.') == 2 && saTokens is not null)
            {
                var (u, e) = await saTokens.Authenticate(token, ctx.RequestAborted);
                if (u is not null) return (u, "");
                errors.Add(e);
            }
            else errors.Add("invalid bearer token");
        }
        if (errors.Count > 0) return (null, string.Join("; ", errors));
        if (!anonymous) return (null, "anonymous requests are disabled");
        return (new UserInfo("system:anonymous", ["system:unauthenticated"]), "");
    }

    static string Describe(X509Certificate2 c) =>
        $"\"{c.Subject}\" issued by \"{c.Issuer}\" (serial {c.SerialNumber})";

    static List<string> WithAuthenticated(IEnumerable<string> groups)
    {
        var g = groups.ToList();
        if (!g.Contains("system:authenticated")) g.Add("system:authenticated");
        return g;
    }

    async Task<(UserInfo?, string)> BootstrapUser(string id, string secret, CancellationToken ct)
    {
        var kv = await store.Get(Resources.Get("", "secrets").Key("kube-system", "bootstrap-token-" + id), ct);
        if (kv is null) return (null, $"bootstrap token {id}: secret kube-system/bootstrap-token-{id} not found");
        var s = kv.Value;
        if (s.Str("metadata", "deletionTimestamp") is not null) return (null, $"bootstrap token {id}: secret is being deleted");
        if (s.Str("type") != "bootstrap.kubernetes.io/token") return (null, $"bootstrap token {id}: secret has the wrong type");
        string D(string k) => s.Str("data", k) is { } v ? Encoding.UTF8.GetString(Convert.FromBase64String(v)) : "";
        if (D("token-id") != id) return (null, $"bootstrap token {id}: token-id does not match");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(D("token-secret")), Encoding.UTF8.GetBytes(secret)))
            return (null, $"bootstrap token {id}: token secret does not match");
        if (IsExpired(D("expiration"))) return (null, $"bootstrap token {id}: expired");
        if (D("usage-bootstrap-authentication") != "true") return (null, $"bootstrap token {id}: not usable for authentication");
        var groups = new List<string> { "system:bootstrappers" };
        foreach (var g in D("auth-extra-groups").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!BootstrapGroup.IsMatch(g)) return (null, $"bootstrap token {id}: invalid extra group {g}");
            if (!groups.Contains(g)) groups.Add(g);
        }
        return (new UserInfo("system:bootstrap:" + id, WithAuthenticated(groups)), "");
    }

    /// <summary>An expiration in RFC 3339 that has passed; an unparsable one counts as expired, as in Kubernetes.</summary>
    public static bool IsExpired(string expiration)
    {
        if (expiration.Length == 0) return false;
        if (!DateTimeOffset.TryParse(expiration, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var t)) return true;
        return t <= DateTimeOffset.UtcNow;
    }
}
