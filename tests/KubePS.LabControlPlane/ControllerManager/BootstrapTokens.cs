using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ControllerManager;

/// <summary>The bootstrapsigner and tokencleaner controllers.</summary>
public static class BootstrapTokens
{
    const string Prefix = "jws-kubeconfig-";
    static readonly Regex Id = new("^[a-z0-9]{6}$", RegexOptions.Compiled);
    static readonly Regex Secret = new("^[a-z0-9]{16}$", RegexOptions.Compiled);

    public sealed record Token(string Id, string Secret, string Name, string Uid, string Expiration, bool Signing);

    static string D(JsonObject s, string key) => s.Str("data", key) is { } v ? Encoding.UTF8.GetString(Convert.FromBase64String(v)) : "";

    public static IEnumerable<Token> Tokens(IEnumerable<JsonObject> secrets)
    {
        foreach (var s in secrets)
        {
            if (s.Str("type") != "bootstrap.kubernetes.io/token") continue;
            var name = s.Str("metadata", "name") ?? "";
            if (!name.StartsWith("bootstrap-token-", StringComparison.Ordinal)) continue;
            var id = D(s, "token-id");
            var idFromName = name["bootstrap-token-".Length..];
            if (id.Length == 0) id = idFromName;
            if (id != idFromName || !Id.IsMatch(id)) continue;
            var secret = D(s, "token-secret");
            if (!Secret.IsMatch(secret)) continue;
            yield return new Token(id, secret, name, s.Str("metadata", "uid") ?? "", D(s, "expiration"), D(s, "usage-bootstrap-signing") == "true");
        }
    }

    static bool Expired(string expiration)
    {
        if (expiration.Length == 0) return false;
        return !DateTimeOffset.TryParse(expiration, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var t) || t <= DateTimeOffset.UtcNow;
    }

    public static async Task Sign(KubeClient read, KubeClient client, CancellationToken ct)
    {
        const string cmPath = "/api/v1/namespaces/kube-public/configmaps/cluster-info";
        var cm = await read.Get(cmPath, ct);
        if (cm is null) return;
        var kubeconfig = cm.Str("data", "kubeconfig");
        if (kubeconfig is null) return;
        var secrets = await read.List("/api/v1/namespaces/kube-system/secrets", ct);
        var want = Tokens(secrets).Where(t => t.Signing && !Expired(t.Expiration))
            .ToDictionary(t => Prefix + t.Id, t => Jws.Detached(kubeconfig, t.Id, t.Secret));
        var data = cm.Ensure("data");
        var have = data.Where(kv => kv.Key.StartsWith(Prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value.Str() ?? "");
        if (have.Count == want.Count && want.All(w => have.TryGetValue(w.Key, out var v) && v == w.Value)) return;
        foreach (var k in have.Keys) data.Remove(k);
        foreach (var (k, v) in want) data[k] = v;
        try
        {
            await client.Put(cmPath, cm, ct);
            Log.Info($"bootstrapsigner: cluster-info signed for tokens [{string.Join(",", want.Keys.Select(k => k[Prefix.Length..]))}]");
        }
        catch (ApiException e) when (e.Code == 409) { }
    }

    public static async Task Clean(KubeClient read, KubeClient client, CancellationToken ct)
    {
        var secrets = await read.List("/api/v1/namespaces/kube-system/secrets", ct);
        foreach (var t in Tokens(secrets).Where(t => Expired(t.Expiration)))
        {
            try
            {
                await client.Call(HttpMethod.Delete, $"/api/v1/namespaces/kube-system/secrets/{t.Name}",
                    new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["preconditions"] = new JsonObject { ["uid"] = t.Uid } }, ct: ct);
            }
            catch (ApiException e) when (e.Code is 404 or 409) { continue; }
            Log.Info($"tokencleaner: deleted expired bootstrap token secret kube-system/{t.Name}");
        }
    }
}
