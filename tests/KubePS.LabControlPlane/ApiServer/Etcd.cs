using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>etcd could not be reached or answered with an error: the API server answers 500/504 as a real one would.</summary>
public sealed class StorageException(string message, Exception? inner = null) : Exception(message, inner);
public sealed class CasFailed() : Exception("compare-and-swap failed");

public sealed record KeyValue(string Key, JsonObject Value, long ModRevision, long CreateRevision);

/// <summary>
/// Storage through etcd's v3 JSON gateway (grpc-gateway on the client port) with the client certificate from
/// --etcd-certfile/--etcd-keyfile, trusting --etcd-cafile. Keys are /registry/..., values JSON, and
/// resourceVersion is the key's mod_revision.
/// </summary>
public sealed class EtcdStore
{
    readonly string[] _servers;
    readonly HttpClient _http;
    int _current;

    public EtcdStore(string servers, string caFile, string certFile, string keyFile)
    {
        _servers = servers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (_servers.Length == 0) throw new LabException("--etcd-servers is empty");
        foreach (var s in _servers)
            if (!Uri.TryCreate(s, UriKind.Absolute, out var u) || u.Scheme is not ("https" or "http"))
                throw new LabException($"--etcd-servers: \"{s}\" is not an http(s) URL");
        var ca = Pki.Bundle(caFile, "--etcd-cafile");
        var client = Pki.CertWithKey(certFile, keyFile, "--etcd-certfile/--etcd-keyfile");
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(3),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = new X509CertificateCollection { client },
                RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                    cert is not null && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
                    && Pki.Verify(new X509Certificate2(cert), ca, Pki.ServerAuthOid, out _),
            },
        };
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
    }

    static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
    static string Unb64(string? s) => s is null ? "" : Encoding.UTF8.GetString(Convert.FromBase64String(s));

    static string PrefixEnd(string prefix)
    {
        var b = Encoding.UTF8.GetBytes(prefix);
        b[^1]++;
        return Convert.ToBase64String(b);
    }

    async Task<JsonObject> Call(string api, JsonObject body, CancellationToken ct)
    {
        Exception? last = null;
        for (int attempt = 0; attempt < _servers.Length; attempt++)
        {
            var server = _servers[(_current + attempt) % _servers.Length];
            try
            {
                using var content = new StringContent(body.ToJsonString(), Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var resp = await _http.PostAsync(server.TrimEnd('/') + "/v3/" + api, content, ct);
                var text = await resp.Content.ReadAsStringAsync(ct);
                if (!resp.IsSuccessStatusCode)
                {
                    var msg = (JsonNode.Parse(text) as JsonObject).Str("error") ?? text;
                    last = new StorageException($"etcd {server} {api}: {(int)resp.StatusCode} {msg}");
                    continue;
                }
                _current = (_current + attempt) % _servers.Length;
                return JsonNode.Parse(text) as JsonObject ?? new JsonObject();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                if (ct.IsCancellationRequested) throw;
                last = new StorageException($"etcd {server}: {Flatten(e)}", e);
            }
        }
        throw last ?? new StorageException("no etcd server");
    }

    static string Flatten(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException) parts.Add(x.Message);
        return string.Join(": ", parts.Distinct());
    }

    static KeyValue ToKv(JsonNode kv)
    {
        var value = Unb64(kv.Str("value"));
        return new KeyValue(Unb64(kv.Str("key")), JsonNode.Parse(value) as JsonObject ?? new JsonObject(),
            kv.Long("mod_revision") ?? kv.Long("modRevision") ?? 0, kv.Long("create_revision") ?? kv.Long("createRevision") ?? 0);
    }

    static long Revision(JsonObject resp) => resp.Long("header", "revision") ?? 0;

    public async Task<KeyValue?> Get(string key, CancellationToken ct = default)
    {
        var r = await Call("kv/range", new JsonObject { ["key"] = B64(key) }, ct);
        var kv = r.Arr("kvs").FirstOrDefault();
        return kv is null ? null : ToKv(kv);
    }

    public async Task<(List<KeyValue> items, long revision)> List(string prefix, CancellationToken ct = default)
    {
        var r = await Call("kv/range", new JsonObject { ["key"] = B64(prefix), ["range_end"] = PrefixEnd(prefix) }, ct);
        return (r.Arr("kvs").Select(kv => ToKv(kv!)).ToList(), Revision(r));
    }

    /// <summary>Writes only when the key does not exist; returns the new revision or throws <see cref="CasFailed"/>.</summary>
    public Task<long> Create(string key, JsonObject value, CancellationToken ct = default) =>
        Txn(new JsonObject { ["key"] = B64(key), ["target"] = "CREATE", ["result"] = "EQUAL", ["create_revision"] = "0" },
            new JsonObject { ["request_put"] = new JsonObject { ["key"] = B64(key), ["value"] = B64(Strip(value)) } }, ct);

    /// <summary>Writes only when the key's mod_revision is still <paramref name="modRevision"/>.</summary>
    public Task<long> Update(string key, JsonObject value, long modRevision, CancellationToken ct = default) =>
        Txn(new JsonObject { ["key"] = B64(key), ["target"] = "MOD", ["result"] = "EQUAL", ["mod_revision"] = modRevision.ToString() },
            new JsonObject { ["request_put"] = new JsonObject { ["key"] = B64(key), ["value"] = B64(Strip(value)) } }, ct);

    public Task<long> Delete(string key, long modRevision, CancellationToken ct = default) =>
        Txn(new JsonObject { ["key"] = B64(key), ["target"] = "MOD", ["result"] = "EQUAL", ["mod_revision"] = modRevision.ToString() },
            new JsonObject { ["request_delete_range"] = new JsonObject { ["key"] = B64(key) } }, ct);

    async Task<long> Txn(JsonObject compare, JsonObject success, CancellationToken ct)
    {
        var r = await Call("kv/txn", new JsonObject { ["compare"] = new JsonArray(compare), ["success"] = new JsonArray(success) }, ct);
        if (r.Bool("succeeded") != true) throw new CasFailed();
        return Revision(r);
    }

    /// <summary>resourceVersion is not stored: it is the key's mod_revision.</summary>
    static string Strip(JsonObject value)
    {
        var copy = (JsonObject)value.DeepClone();
        copy.Obj("metadata").Remove("resourceVersion");
        return copy.Text();
    }

    /// <summary>A linearizable read of a key, as the API server's etcd health check does.</summary>
    public async Task Ping(CancellationToken ct = default) =>
        await Call("kv/range", new JsonObject { ["key"] = B64("health") }, ct);
}
