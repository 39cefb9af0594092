using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace KubePS.LabControlPlane.Common;

/// <summary>An API error as the server reported it (a Status object).</summary>
public sealed class ApiException(int code, string reason, string message) : Exception($"{code} {reason}: {message}")
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
}

/// <summary>A small Kubernetes REST client over one kubeconfig credential (client certificate or bearer token).</summary>
public sealed class KubeClient : IDisposable
{
    readonly HttpClient _http;
    public string Server { get; }
    public string UserAgent { get; }
    public string? BearerToken { get; set; }

    public KubeClient(KubeConfig cfg, string userAgent) : this(cfg.Server, cfg.CaBundle, cfg.Insecure, cfg.ClientCert, cfg.Token, userAgent) { }

    public KubeClient(string server, X509Certificate2Collection? ca, bool insecure, X509Certificate2? clientCert, string? token, string userAgent)
    {
        Server = server.TrimEnd('/');
        UserAgent = userAgent;
        BearerToken = token;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                {
                    if (insecure) return true;
                    if (cert is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
                    if (ca is null) return errors == SslPolicyErrors.None;
                    return Pki.Verify(new X509Certificate2(cert), ca, Pki.ServerAuthOid, out _);
                },
            },
        };
        if (clientCert is not null) handler.SslOptions.ClientCertificates = new X509CertificateCollection { clientCert };
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
    }

    public async Task<(int code, JsonNode? body, string text)> Send(HttpMethod method, string path, JsonNode? body = null,
        string contentType = "application/json", CancellationToken ct = default)
    {
        using var req = new HttpRequestMessage(method, Server + path);
        req.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (BearerToken is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", BearerToken);
        if (body is not null)
        {
            req.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            req.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        using var resp = await _http.SendAsync(req, ct);
        var text = await resp.Content.ReadAsStringAsync(ct);
        JsonNode? node = null;
        if (text.Length > 0 && text[0] is '{' or '[')
        {
            try { node = JsonNode.Parse(text); } catch (System.Text.Json.JsonException) { }
        }
        return ((int)resp.StatusCode, node, text);
    }

    static Exception Fail(int code, JsonNode? body, string text) =>
        new ApiException(code, body.Str("reason") ?? ((HttpStatusCode)code).ToString(), body.Str("message") ?? text);

    public async Task<JsonObject?> Get(string path, CancellationToken ct = default)
    {
        var (code, body, text) = await Send(HttpMethod.Get, path, ct: ct);
        if (code == 404) return null;
        if (code / 100 != 2) throw Fail(code, body, text);
        return body as JsonObject;
    }

    public async Task<JsonObject> Call(HttpMethod m, string path, JsonNode? body, string contentType = "application/json", CancellationToken ct = default)
    {
        var (code, resp, text) = await Send(m, path, body, contentType, ct);
        if (code / 100 != 2) throw Fail(code, resp, text);
        return resp as JsonObject ?? new JsonObject();
    }

    public Task<JsonObject> Post(string path, JsonNode body, CancellationToken ct = default) => Call(HttpMethod.Post, path, body, ct: ct);
    public Task<JsonObject> Put(string path, JsonNode body, CancellationToken ct = default) => Call(HttpMethod.Put, path, body, ct: ct);
    public Task<JsonObject> MergePatch(string path, JsonNode body, CancellationToken ct = default) =>
        Call(HttpMethod.Patch, path, body, "application/merge-patch+json", ct);

    public async Task<bool> Delete(string path, CancellationToken ct = default)
    {
        var (code, body, text) = await Send(HttpMethod.Delete, path, ct: ct);
        if (code == 404) return false;
        if (code / 100 != 2) throw Fail(code, body, text);
        return true;
    }

    public async Task<List<JsonObject>> List(string path, CancellationToken ct = default)
    {
        var l = await Get(path, ct) ?? throw new ApiException(404, "NotFound", path);
        return l.Arr("items").OfType<JsonObject>().ToList();
    }

    public void Dispose() => _http.Dispose();
}
