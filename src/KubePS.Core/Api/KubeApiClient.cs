using System.Net;
using KubePS.Core.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubePS.Core.Api;

/// <summary>
/// A small Kubernetes REST client for the calls kubeadm makes (DESIGN.md "Talking to the cluster"): get, list,
/// create, server-side apply (field manager <c>kubeps</c>), JSON merge patch, delete, eviction and raw GETs
/// (/readyz, /version). Client-certificate, bearer-token or anonymous authentication; the server certificate must
/// chain to the pinned CA and match the host. Connection errors, 429 and 5xx are retried with back-off within a
/// bounded budget; every other failure is a KubeException with an Api.* id and the server's Status message.
/// Objects are System.Text.Json nodes, the wire format itself.
/// </summary>
public sealed class KubeApiClient : IDisposable
{
    public const string FieldManager = "kubeps";

    readonly HttpClient _http;
    readonly TimeSpan _retryBudget;

    public KubeApiClient(KubeApiCredentials credentials, TimeSpan? requestTimeout = null, TimeSpan? retryBudget = null)
    {
        Credentials = credentials;
        _retryBudget = retryBudget ?? TimeSpan.FromSeconds(30);
        var ssl = new SslClientAuthenticationOptions();
        if (credentials.InsecureSkipTlsVerify)
            ssl.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        else if (credentials.CAPem is not null)
        {
            var ca = new X509Certificate2Collection();
            ca.ImportFromPem(credentials.CAPem);
            if (ca.Count == 0)
                throw new KubeException("Api.InvalidCA", $"The CA given for the API server {credentials.Server} (certificate-authority(-data)) holds no PEM certificate.",
                    KubeErrorCategory.InvalidArgument, credentials.Server.ToString(),
                    "Give the cluster CA as a PEM CERTIFICATE block, e.g. the control plane's /etc/kubernetes/pki/ca.crt.");
            ssl.RemoteCertificateValidationCallback = (_, cert, _, errors) => PinnedTrust.Validate(cert, errors, ca);
        }
        if (credentials.ClientCertificatePem is not null)
        {
            ssl.ClientCertificates = new X509CertificateCollection { PinnedTrust.ClientCertificate(credentials.ClientCertificatePem, credentials.ClientKeyPem!) };
        }
        var handler = new SocketsHttpHandler { SslOptions = ssl, ConnectTimeout = TimeSpan.FromSeconds(5), PooledConnectionLifetime = TimeSpan.FromMinutes(2) };
        _http = new HttpClient(handler) { BaseAddress = credentials.Server, Timeout = requestTimeout ?? TimeSpan.FromSeconds(30) };
        if (credentials.BearerToken is not null)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credentials.BearerToken);
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("kubeps/" + typeof(KubeApiClient).Assembly.GetName().Version);
        _http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
    }

    public KubeApiCredentials Credentials { get; }


    /// <summary>The object, or null when it does not exist.</summary>
    public async Task<JsonObject?> GetAsync(KubeResource resource, string? ns, string name, CancellationToken ct)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, resource.ObjectPath(ns, name), null, null, ct, allow: [HttpStatusCode.NotFound]).ConfigureAwait(false);
        return status == HttpStatusCode.NotFound ? null : body;
    }

    /// <summary>The items of a list, with optional label and field selectors.</summary>
    public async Task<IReadOnlyList<JsonObject>> ListAsync(KubeResource resource, string? ns, string? labelSelector = null, string? fieldSelector = null, CancellationToken ct = default)
    {
        string path = resource.Namespaced && ns is null
            ? (resource.ApiVersion.Contains('/') ? "/apis/" : "/api/") + resource.ApiVersion + "/" + resource.Plural
            : resource.CollectionPath(ns);
        var query = new List<string>();
        if (labelSelector is not null) query.Add("labelSelector=" + Uri.EscapeDataString(labelSelector));
        if (fieldSelector is not null) query.Add("fieldSelector=" + Uri.EscapeDataString(fieldSelector));
        if (query.Count > 0) path += "?" + string.Join("&", query);
        var (_, body) = await SendAsync(HttpMethod.Get, path, null, null, ct).ConfigureAwait(false);
        return (body?["items"] as JsonArray)?.OfType<JsonObject>().Select(o => (JsonObject)o.DeepClone()).ToList() ?? [];
    }

    public async Task<JsonObject> CreateAsync(JsonObject obj, CancellationToken ct)
    {
        var (resource, ns, _) = Identify(obj);
        var (_, body) = await SendAsync(HttpMethod.Post, resource.CollectionPath(ns), obj.ToJsonString(), "application/json", ct).ConfigureAwait(false);
        return body!;
    }

    /// <summary>
    /// Server-side apply with field manager kubeps. With <paramref name="force"/> (kubeadm's behaviour for the objects
    /// it owns) fields another manager owns are taken over; without it a conflict is Api.Conflict.
    /// </summary>
    public async Task<JsonObject> ApplyAsync(JsonObject obj, bool force = true, CancellationToken ct = default)
    {
        var (resource, ns, name) = Identify(obj);
        string path = resource.ObjectPath(ns, name) + $"?fieldManager={FieldManager}" + (force ? "&force=true" : "");
        // JSON is YAML: apply-patch+yaml accepts it.
        var (_, body) = await SendAsync(HttpMethod.Patch, path, obj.ToJsonString(), "application/apply-patch+yaml", ct).ConfigureAwait(false);
        return body!;
    }

    public async Task<JsonObject> MergePatchAsync(KubeResource resource, string? ns, string name, JsonObject patch, CancellationToken ct, string? subresource = null)
    {
        string path = resource.ObjectPath(ns, name) + (subresource is null ? "" : "/" + subresource);
        var (_, body) = await SendAsync(HttpMethod.Patch, path, patch.ToJsonString(), "application/merge-patch+json", ct).ConfigureAwait(false);
        return body!;
    }

    /// <summary>Replaces an object (PUT) or one of its subresources (e.g. approval of a CSR).</summary>
    public async Task<JsonObject> ReplaceAsync(JsonObject obj, CancellationToken ct, string? subresource = null)
    {
        var (resource, ns, name) = Identify(obj);
        string path = resource.ObjectPath(ns, name) + (subresource is null ? "" : "/" + subresource);
        var (_, body) = await SendAsync(HttpMethod.Put, path, obj.ToJsonString(), "application/json", ct).ConfigureAwait(false);
        return body!;
    }

    /// <summary>Deletes an object; false when it was already gone.</summary>
    public async Task<bool> DeleteAsync(KubeResource resource, string? ns, string name, CancellationToken ct, JsonObject? deleteOptions = null)
    {
        var (status, _) = await SendAsync(HttpMethod.Delete, resource.ObjectPath(ns, name), deleteOptions?.ToJsonString(), deleteOptions is null ? null : "application/json",
            ct, allow: [HttpStatusCode.NotFound]).ConfigureAwait(false);
        return status != HttpStatusCode.NotFound;
    }

    /// <summary>Outcome of one eviction request.</summary>
    public enum EvictionOutcome { Evicted, AlreadyGone, BlockedByDisruptionBudget }

    /// <summary>
    /// Evicts a pod through the eviction API. A PodDisruptionBudget that forbids it (429) is reported, not retried:
    /// the drain loop decides how long to keep trying.
    /// </summary>
    public async Task<EvictionOutcome> EvictAsync(string ns, string pod, CancellationToken ct, int? gracePeriodSeconds = null)
    {
        var eviction = new JsonObject
        {
            ["apiVersion"] = "policy/v1",
            ["kind"] = "Eviction",
            ["metadata"] = new JsonObject { ["name"] = pod, ["namespace"] = ns },
        };
        if (gracePeriodSeconds is int g) eviction["deleteOptions"] = new JsonObject { ["gracePeriodSeconds"] = g };
        var (status, _) = await SendAsync(HttpMethod.Post, KubeResource.Pod.ObjectPath(ns, pod) + "/eviction", eviction.ToJsonString(), "application/json", ct,
            allow: [HttpStatusCode.NotFound, HttpStatusCode.TooManyRequests], retryTooMany: false).ConfigureAwait(false);
        return status switch
        {
            HttpStatusCode.NotFound => EvictionOutcome.AlreadyGone,
            HttpStatusCode.TooManyRequests => EvictionOutcome.BlockedByDisruptionBudget,
            _ => EvictionOutcome.Evicted,
        };
    }

    /// <summary>A raw GET such as /readyz or /version: (HTTP status, body text). Connection failures throw Api.Unreachable.</summary>
    public async Task<(int Status, string Body)> GetRawAsync(string path, CancellationToken ct)
    {
        using var resp = await SendOnceAsync(HttpMethod.Get, path, null, null, ct).ConfigureAwait(false);
        return ((int)resp.StatusCode, await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
    }

    static (KubeResource, string?, string) Identify(JsonObject obj)
    {
        string apiVersion = (string?)obj["apiVersion"] ?? throw new KubeException("Api.InvalidObject", "The object has no apiVersion.", KubeErrorCategory.InvalidArgument);
        string kind = (string?)obj["kind"] ?? throw new KubeException("Api.InvalidObject", "The object has no kind.", KubeErrorCategory.InvalidArgument);
        var meta = obj["metadata"] as JsonObject;
        string name = (string?)meta?["name"] ?? throw new KubeException("Api.InvalidObject", $"The {kind} has no metadata.name.", KubeErrorCategory.InvalidArgument);
        var resource = KubeResource.For(apiVersion, kind);
        return (resource, resource.Namespaced ? (string?)meta?["namespace"] ?? "default" : null, name);
    }

    async Task<(HttpStatusCode, JsonObject?)> SendAsync(HttpMethod method, string path, string? body, string? contentType, CancellationToken ct,
        HttpStatusCode[]? allow = null, bool retryTooMany = true)
    {
        var deadline = DateTime.UtcNow + _retryBudget;
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            HttpResponseMessage resp;
            try
            {
                resp = await SendOnceAsync(method, path, body, contentType, ct).ConfigureAwait(false);
            }
            catch (KubeException e) when (e.ErrorId == "Api.Unreachable" && DateTime.UtcNow + delay < deadline)
            {
                await Task.Delay(delay, ct).ConfigureAwait(false);
                delay = Next(delay);
                continue;
            }
            using (resp)
            {
                var text = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                var status = resp.StatusCode;
                if ((int)status < 300 || (allow?.Contains(status) ?? false))
                    return (status, Parse(text));
                bool retryable = (int)status >= 500 || (status == HttpStatusCode.TooManyRequests && retryTooMany);
                if (retryable && DateTime.UtcNow + delay < deadline)
                {
                    if (resp.Headers.RetryAfter?.Delta is TimeSpan ra && ra < TimeSpan.FromSeconds(10)) delay = ra;
                    await Task.Delay(delay, ct).ConfigureAwait(false);
                    delay = Next(delay);
                    continue;
                }
                throw ToError(method, path, status, text);
            }
        }
    }

    static TimeSpan Next(TimeSpan d) => TimeSpan.FromTicks(Math.Min(d.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));

    async Task<HttpResponseMessage> SendOnceAsync(HttpMethod method, string path, string? body, string? contentType, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(method, path);
        if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, contentType ?? "application/json");
        if (req.Content is not null && contentType is not null) req.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        try
        {
            return await _http.SendAsync(req, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new KubeException("Api.Unreachable", $"The API server {Credentials.Server} did not answer {method} {path}: {e.Message}",
                KubeErrorCategory.ConnectionError, Credentials.Server.ToString(),
                "Check that the API server runs and that its certificate chains to the cluster CA in the kubeconfig.", e);
        }
    }

    static JsonObject? Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try { return JsonNode.Parse(text) as JsonObject; }
        catch (JsonException) { return null; }
    }

    KubeException ToError(HttpMethod method, string path, HttpStatusCode status, string text)
    {
        var s = Parse(text);
        string message = (string?)s?["message"] ?? text.Trim();
        if (message.Length > 500) message = message[..500];
        var (id, category) = status switch
        {
            HttpStatusCode.Unauthorized => ("Api.Unauthorized", KubeErrorCategory.AuthenticationError),
            HttpStatusCode.Forbidden => ("Api.Forbidden", KubeErrorCategory.PermissionDenied),
            HttpStatusCode.NotFound => ("Api.NotFound", KubeErrorCategory.ObjectNotFound),
            HttpStatusCode.Conflict => ((string?)s?["reason"] == "AlreadyExists" ? "Api.AlreadyExists" : "Api.Conflict", KubeErrorCategory.ResourceExists),
            HttpStatusCode.UnprocessableEntity => ("Api.Invalid", KubeErrorCategory.InvalidData),
            HttpStatusCode.TooManyRequests => ("Api.TooManyRequests", KubeErrorCategory.ResourceUnavailable),
            _ when (int)status >= 500 => ("Api.ServerError", KubeErrorCategory.ResourceUnavailable),
            _ => ("Api.RequestFailed", KubeErrorCategory.InvalidOperation),
        };
        return new KubeException(id, $"{method} {path} on {Credentials.Server}: {(int)status} {message}", category, path);
    }

    public void Dispose() => _http.Dispose();
}
