using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KubePS.Core.Api;
using KubePS.Core.ClusterObjects;
using KubePS.Core.Configuration;
using KubePS.Core.Operations;

namespace KubePS.Core.Bootstrap;

/// <summary>A token to create (kubeadm token create): all optional, kubeadm's defaults otherwise.</summary>
public sealed class NewBootstrapTokenRequest
{
    /// <summary>The token to store; null: a new random one (kubeadm token generate).</summary>
    public BootstrapTokenString? Token { get; init; }

    /// <summary>Time to live (24 h by default); zero: the token never expires.</summary>
    public TimeSpan Ttl { get; init; } = BootstrapTokenSpec.DefaultTtl;

    /// <summary>signing (cluster-info signatures, for discovery) and/or authentication (TLS bootstrap).</summary>
    public IReadOnlyList<string> Usages { get; init; } = BootstrapTokenSpec.KnownUsages;

    /// <summary>Extra groups (system:bootstrappers:...); kubeadm's default node-token group by default.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [BootstrapTokenSpec.DefaultGroup];

    public string? Description { get; init; }
}

/// <summary>
/// Bootstrap tokens in a cluster, as kubeadm token create / list / delete handle them: Secrets
/// kube-system/bootstrap-token-&lt;id&gt; of type bootstrap.kubernetes.io/token (kubeadm-facts §5.3). The token secret
/// goes to the API server and into the returned <see cref="KubeBootstrapToken"/> (whose ToString is redacted) and
/// nowhere else: no message, verbose line or error of this class contains it.
/// </summary>
public static class BootstrapTokens
{
    /// <summary>kube-system, where token Secrets live.</summary>
    public const string Namespace = "kube-system";

    /// <summary>The Secret for a request, validated (usages, groups, TTL; groups need the authentication usage, as kubeadm insists).</summary>
    public static (BootstrapTokenString Token, JsonObject Secret) Render(NewBootstrapTokenRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var token = request.Token ?? BootstrapTokenString.Generate();
        if (request.Ttl < TimeSpan.Zero)
            throw new KubeException("Token.InvalidTtl", $"The token TTL {request.Ttl} is negative.", KubeErrorCategory.InvalidArgument, request.Ttl,
                "Give a positive TTL such as 24:00:00, or 0 for a token that never expires.");
        if (request.Groups.Count > 0 && !request.Usages.Contains("authentication"))
            throw new KubeException("Token.GroupsNeedAuthentication",
                $"Groups ({string.Join(", ", request.Groups)}) only matter for a token that authenticates; the usages are {(request.Usages.Count == 0 ? "none" : string.Join(", ", request.Usages))}.",
                KubeErrorCategory.InvalidArgument, string.Join(",", request.Groups), "Add the authentication usage, or leave -Group out.");
        var spec = new BootstrapTokenSpec(token.Reveal())
        {
            Description = request.Description,
            Ttl = request.Ttl,
            Usages = request.Usages,
            Groups = request.Groups,
        };
        return (token, BootstrapTokenObjects.Secret(spec, now));
    }

    /// <summary>
    /// Creates the token Secret (after ShouldChange). A token with the same id that exists already is Token.AlreadyExists,
    /// as kubeadm token create refuses it. Returns null when ShouldChange said no.
    /// </summary>
    public static async Task<KubeBootstrapToken?> CreateAsync(KubeApiClient api, NewBootstrapTokenRequest request, IOperationSink sink, CancellationToken ct)
    {
        var (token, secret) = Render(request, DateTimeOffset.UtcNow);
        var parsed = FromSecret(secret, out _)!;
        string target = $"Secret {Namespace}/bootstrap-token-{token.Id}";
        if (!await sink.ShouldChangeAsync(target, $"Create bootstrap token {token.Id}", ct).ConfigureAwait(false)) return null;
        try
        {
            await api.CreateAsync(secret, ct).ConfigureAwait(false);
        }
        catch (KubeException e) when (e.ErrorId == "Api.AlreadyExists")
        {
            throw new KubeException("Token.AlreadyExists", $"A bootstrap token with id {token.Id} exists already.", KubeErrorCategory.ResourceExists, token.Id,
                "Leave -Token out to have a new token generated, or remove the old one with Remove-KubeBootstrapToken.", e);
        }
        sink.WriteVerbose($"{api.Credentials.Server}: created {target} ({Describe(parsed)})");
        return parsed;
    }

    /// <summary>
    /// Every token Secret of kube-system (field selector type=bootstrap.kubernetes.io/token), as kubeadm token list shows
    /// them; a Secret that is not a valid token is skipped with a warning that names it (never its secret).
    /// </summary>
    public static async Task<IReadOnlyList<KubeBootstrapToken>> ListAsync(KubeApiClient api, IOperationSink sink, CancellationToken ct)
    {
        var secrets = await api.ListAsync(KubeResource.Secret, Namespace, fieldSelector: "type=" + BootstrapTokenObjects.TokenSecretType, ct: ct).ConfigureAwait(false);
        var tokens = new List<KubeBootstrapToken>();
        foreach (var s in secrets.OrderBy(s => (string?)s["metadata"]?["name"], StringComparer.Ordinal))
        {
            var t = FromSecret(s, out var problem);
            if (t is null) sink.WriteWarning($"{api.Credentials.Server}: Secret {Namespace}/{(string?)s["metadata"]?["name"]} is not a valid bootstrap token: {problem}");
            else tokens.Add(t);
        }
        return tokens;
    }

    /// <summary>
    /// The tokens <paramref name="ids"/> ask for, in their order, from <paramref name="found"/> (the tokens the cluster at
    /// <paramref name="server"/> returned for them); an id with no token is Token.NotFound.
    /// </summary>
    public static IReadOnlyList<KubeLookup<KubeBootstrapToken>> Select(IReadOnlyList<string> ids, IReadOnlyList<KubeBootstrapToken> found, string server) =>
        ids.Select(id => found.FirstOrDefault(t => t.Id == id) is { } t ? KubeLookup<KubeBootstrapToken>.Of(t)
            : KubeLookup<KubeBootstrapToken>.Missing(new KubeException("Token.NotFound",
                $"There is no bootstrap token with id {id} in the cluster at {server} (no Secret {Namespace}/bootstrap-token-{id}).",
                KubeErrorCategory.ObjectNotFound, id, "List the tokens with Get-KubeBootstrapToken."))).ToList();

    /// <summary>The token with this id, or null.</summary>
    public static async Task<KubeBootstrapToken?> GetAsync(KubeApiClient api, string id, CancellationToken ct)
    {
        id = ParseId(id);
        var secret = await api.GetAsync(KubeResource.Secret, Namespace, "bootstrap-token-" + id, ct).ConfigureAwait(false);
        if (secret is null) return null;
        return FromSecret(secret, out var problem)
            ?? throw new KubeException("Token.Invalid", $"Secret {Namespace}/bootstrap-token-{id} is not a valid bootstrap token: {problem}",
                KubeErrorCategory.InvalidData, id, "Remove it with Remove-KubeBootstrapToken and create a new token.");
    }

    /// <summary>
    /// Deletes the token with this id (or the id of this whole token, as kubeadm token delete accepts either) after
    /// ShouldChange; Token.NotFound when there is none. False when ShouldChange said no.
    /// </summary>
    public static async Task<bool> DeleteAsync(KubeApiClient api, string idOrToken, IOperationSink sink, CancellationToken ct)
    {
        var id = ParseId(idOrToken);
        string target = $"Secret {Namespace}/bootstrap-token-{id}";
        if (!await sink.ShouldChangeAsync(target, $"Delete bootstrap token {id}", ct).ConfigureAwait(false)) return false;
        if (!await api.DeleteAsync(KubeResource.Secret, Namespace, "bootstrap-token-" + id, ct).ConfigureAwait(false))
            throw new KubeException("Token.NotFound", $"There is no bootstrap token with id {id} (Secret {Namespace}/bootstrap-token-{id}).",
                KubeErrorCategory.ObjectNotFound, id, "List the tokens with Get-KubeBootstrapToken.");
        sink.WriteVerbose($"{api.Credentials.Server}: deleted {target}");
        return true;
    }

    /// <summary>The token id of an id or a whole token; anything else is Token.InvalidId (naming the value only when it has no secret part).</summary>
    public static string ParseId(string? idOrToken)
    {
        if (idOrToken is not null && System.Text.RegularExpressions.Regex.IsMatch(idOrToken, "^[a-z0-9]{6}$")) return idOrToken;
        if (BootstrapTokenString.TryParse(idOrToken, out var t)) return t.Id;
        bool mayHoldSecret = idOrToken?.Contains('.') == true;
        throw new KubeException("Token.InvalidId",
            mayHoldSecret
                ? $"The value ({idOrToken!.Length} characters) is neither a token id ([a-z0-9]{{6}}) nor a token ([a-z0-9]{{6}}.[a-z0-9]{{16}})."
                : $"'{idOrToken}' is neither a token id ([a-z0-9]{{6}}) nor a token ([a-z0-9]{{6}}.[a-z0-9]{{16}}).",
            KubeErrorCategory.InvalidArgument, mayHoldSecret ? null : idOrToken, "Give the id Get-KubeBootstrapToken shows, e.g. abcdef.");
    }

    /// <summary>
    /// The token a Secret holds, or null with the reason (kubeadm's BootstrapTokenFromSecret rules: token-id and
    /// token-secret present and well-formed, name bootstrap-token-&lt;id&gt;, expiration RFC 3339 if present).
    /// </summary>
    public static KubeBootstrapToken? FromSecret(JsonObject secret, out string? problem)
    {
        string? name = (string?)secret["metadata"]?["name"];
        string? Data(string key)
        {
            if ((string?)secret["data"]?[key] is not { } b64) return (string?)secret["stringData"]?[key];
            try { return Encoding.UTF8.GetString(Convert.FromBase64String(b64)); }
            catch (FormatException) { return null; }
        }
        var id = Data("token-id");
        var tokenSecret = Data("token-secret");
        if (id is null || tokenSecret is null) { problem = "token-id or token-secret is missing"; return null; }
        if (!BootstrapTokenString.TryParse(id + "." + tokenSecret, out var token)) { problem = "token-id or token-secret is malformed"; return null; }
        if (name != "bootstrap-token-" + id) { problem = $"its name does not match its token-id {id}"; return null; }
        DateTimeOffset? expires = null;
        if (Data("expiration") is { } exp)
        {
            if (!DateTimeOffset.TryParseExact(exp, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            { problem = $"expiration '{exp}' is not an RFC 3339 time"; return null; }
            expires = at;
        }
        var usages = (secret["data"] as JsonObject ?? [])
            .Where(kv => kv.Key.StartsWith("usage-bootstrap-", StringComparison.Ordinal) && Data(kv.Key) == "true")
            .Select(kv => kv.Key["usage-bootstrap-".Length..]).Order(StringComparer.Ordinal).ToList();
        var groups = (Data("auth-extra-groups") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        problem = null;
        return new KubeBootstrapToken(token, expires, usages, groups, Data("description"));
    }

    /// <summary>True when a token can be used to join: signing and authentication usages and not expired (with a margin).</summary>
    public static bool UsableForJoin(KubeBootstrapToken token, DateTimeOffset now, TimeSpan margin) =>
        token.Usages.Contains("signing") && token.Usages.Contains("authentication") && (token.Expires is null || token.Expires > now + margin);

    /// <summary>kubeadm token list's TTL column: &lt;forever&gt;, a short duration (23h, 59m, 30s) or &lt;invalid&gt; once expired.</summary>
    public static string TimeToLive(DateTimeOffset? expires, DateTimeOffset now)
    {
        if (expires is null) return "<forever>";
        var d = expires.Value - now;
        if (d < TimeSpan.Zero) return "<invalid>";
        // k8s.io/apimachinery's ShortHumanDuration.
        if (d.TotalSeconds < 60) return $"{(int)d.TotalSeconds}s";
        if (d.TotalMinutes < 60) return $"{(int)d.TotalMinutes}m";
        if (d.TotalHours < 24) return $"{(int)d.TotalHours}h";
        if (d.TotalDays < 365) return $"{(int)d.TotalDays}d";
        return $"{(int)(d.TotalDays / 365)}y";
    }

    static string Describe(KubeBootstrapToken t) =>
        $"expires {(t.Expires is { } e ? BootstrapTokenObjects.Rfc3339(e) : "never")}, usages {string.Join(",", t.Usages)}, groups {string.Join(",", t.Groups)}";
}
