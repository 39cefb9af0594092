using System.Net;
using KubePS.Core.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KubePS.Core.Etcd;

/// <summary>An etcd cluster member as the v3 API reports it.</summary>
public sealed record EtcdMember(ulong Id, string Name, IReadOnlyList<string> PeerUrls, IReadOnlyList<string> ClientUrls, bool IsLearner)
{
    /// <summary>A member that was added but has not started yet has no name.</summary>
    public bool IsStarted => Name.Length > 0;
    public string IdHex => Id.ToString("x16");
}

/// <summary>One endpoint's status (etcdctl endpoint status).</summary>
public sealed record EtcdEndpointStatus(string Endpoint, string Version, ulong MemberId, ulong Leader, bool IsLearner, long DbSize, ulong RaftIndex);

/// <summary>
/// A small client for etcd's v3 JSON gateway (HTTPS with a client certificate), the calls kubeadm makes: member
/// list/add/promote/remove, status and health. Requests go to the endpoints in turn until one answers; a cluster
/// that refuses a membership change for a while ("unhealthy cluster", 503, seen for about 5 s after a start or a
/// change) is retried with bounded back-off.
/// </summary>
public sealed class EtcdClient : IDisposable
{
    readonly HttpClient _http;
    readonly IReadOnlyList<Uri> _endpoints;
    readonly TimeSpan _retryBudget;

    /// <param name="endpoints">client URLs, e.g. https://10.0.0.10:2379</param>
    /// <param name="trustedCA">the etcd CA (etcd/ca.crt): the server certificate must chain to it and match the host</param>
    /// <param name="clientCertificate">a certificate with its private key, signed by the etcd CA (healthcheck-client or apiserver-etcd-client)</param>
    /// <param name="requestTimeout">per request; default 10 s</param>
    /// <param name="retryBudget">how long retryable refusals are retried; default 60 s</param>
    public EtcdClient(IReadOnlyList<Uri> endpoints, X509Certificate2Collection trustedCA, X509Certificate2 clientCertificate,
        TimeSpan? requestTimeout = null, TimeSpan? retryBudget = null)
    {
        if (endpoints.Count == 0) throw new KubeException("Etcd.NoEndpoints", "No etcd endpoint was given.", KubeErrorCategory.InvalidArgument, null,
            "Give at least one etcd client URL, such as https://10.0.0.10:2379.");
        foreach (var e in endpoints)
            if (e.Scheme != Uri.UriSchemeHttps)
                throw new KubeException("Etcd.InvalidEndpoint", $"etcd endpoint '{e}' is not https://host:port.", KubeErrorCategory.InvalidArgument, e.ToString(),
                    "Give client URLs such as https://10.0.0.10:2379.");
        _endpoints = endpoints;
        _retryBudget = retryBudget ?? TimeSpan.FromSeconds(60);
        var ca = trustedCA;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = new X509CertificateCollection { clientCertificate },
                RemoteCertificateValidationCallback = (_, cert, _, errors) => PinnedTrust.Validate(cert, errors, ca),
            },
        };
        _http = new HttpClient(handler) { Timeout = requestTimeout ?? TimeSpan.FromSeconds(10) };
    }

    /// <summary>Builds a client from PEM text (CA bundle, client certificate, client key).</summary>
    public static EtcdClient FromPem(IReadOnlyList<Uri> endpoints, string caPem, string certPem, string keyPem, TimeSpan? requestTimeout = null, TimeSpan? retryBudget = null)
    {
        var ca = new X509Certificate2Collection();
        ca.ImportFromPem(caPem);
        if (ca.Count == 0) throw new KubeException("Etcd.InvalidCA", "The etcd CA bundle holds no PEM certificate.", KubeErrorCategory.InvalidArgument, null,
            "Give the etcd CA as a PEM CERTIFICATE block, e.g. /etc/kubernetes/pki/etcd/ca.crt.");
        return new EtcdClient(endpoints, ca, PinnedTrust.ClientCertificate(certPem, keyPem), requestTimeout, retryBudget);
    }


    public async Task<IReadOnlyList<EtcdMember>> ListMembersAsync(CancellationToken ct)
    {
        var (_, json) = await PostAsync("/v3/cluster/member/list", new JsonObject(), retryUnhealthy: false, ct).ConfigureAwait(false);
        return ParseMembers(json["members"]);
    }

    /// <summary>Adds a member by its peer URL (as a learner when asked) and returns it; retried while the cluster refuses changes.</summary>
    public async Task<EtcdMember> AddMemberAsync(string peerUrl, bool asLearner, CancellationToken ct)
    {
        var body = new JsonObject { ["peerURLs"] = new JsonArray(peerUrl), ["isLearner"] = asLearner };
        var (_, json) = await PostAsync("/v3/cluster/member/add", body, retryUnhealthy: true, ct).ConfigureAwait(false);
        var added = ParseMembers(new JsonArray(json["member"]?.DeepClone()));
        return added.Count == 1 ? added[0] : throw new KubeException("Etcd.UnexpectedResponse", "etcd's member/add answer has no member.", KubeErrorCategory.InvalidData);
    }

    /// <summary>Promotes a learner; retried while etcd says it is not yet in sync with the leader.</summary>
    public Task PromoteMemberAsync(ulong id, CancellationToken ct) =>
        PostAsync("/v3/cluster/member/promote", new JsonObject { ["ID"] = id.ToString() }, retryUnhealthy: true, ct);

    public Task RemoveMemberAsync(ulong id, CancellationToken ct) =>
        PostAsync("/v3/cluster/member/remove", new JsonObject { ["ID"] = id.ToString() }, retryUnhealthy: true, ct);

    /// <summary>Status of one endpoint (etcdctl endpoint status): version, member id, leader, learner flag.</summary>
    public async Task<EtcdEndpointStatus> StatusAsync(Uri endpoint, CancellationToken ct)
    {
        var (_, json) = await SendOnceAsync(endpoint, "/v3/maintenance/status", new JsonObject(), ct).ConfigureAwait(false);
        return new EtcdEndpointStatus(endpoint.ToString(), (string?)json["version"] ?? "",
            U64(json["header"]?["member_id"]), U64(json["leader"]), (bool?)json["isLearner"] ?? false,
            long.TryParse((string?)json["dbSize"], out var db) ? db : 0, U64(json["raftIndex"]));
    }

    /// <summary>True when the endpoint's /health says so (a learner answers false: use <see cref="StatusAsync"/> for it).</summary>
    public async Task<bool> IsHealthyAsync(Uri endpoint, CancellationToken ct)
    {
        try
        {
            using var resp = await _http.GetAsync(new Uri(endpoint, "/health"), ct).ConfigureAwait(false);
            if (!resp.IsSuccessStatusCode) return false;
            var json = await resp.Content.ReadFromJsonAsync<JsonObject>(ct).ConfigureAwait(false);
            return string.Equals((string?)json?["health"], "true", StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    async Task<(Uri, JsonObject)> PostAsync(string path, JsonObject body, bool retryUnhealthy, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + _retryBudget;
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            KubeException? last = null;
            foreach (var endpoint in _endpoints)
            {
                try { return await SendOnceAsync(endpoint, path, body, ct).ConfigureAwait(false); }
                catch (EtcdRetryableException e) { last = e.Error; if (!e.Unhealthy) continue; if (!retryUnhealthy) throw e.Error; break; }
            }
            if (DateTime.UtcNow + delay > deadline) throw last!;
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(3).Ticks));
        }
    }

    async Task<(Uri, JsonObject)> SendOnceAsync(Uri endpoint, string path, JsonObject body, CancellationToken ct)
    {
        HttpResponseMessage resp;
        try
        {
            resp = await _http.PostAsync(new Uri(endpoint, path), new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new EtcdRetryableException(new KubeException("Etcd.Unreachable",
                $"etcd at {endpoint} did not answer {path}: {e.Message}", KubeErrorCategory.ConnectionError, endpoint.ToString(),
                "Check that etcd runs and that its certificates are the ones this client trusts and presents.", e), unhealthy: false);
        }
        using (resp)
        {
            var text = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            JsonObject json;
            try { json = JsonNode.Parse(text) as JsonObject ?? new JsonObject(); }
            catch (JsonException) { json = new JsonObject { ["error"] = text }; }
            if (resp.IsSuccessStatusCode && json["error"] is null) return (endpoint, json);
            string message = (string?)json["error"] ?? (string?)json["message"] ?? $"HTTP {(int)resp.StatusCode}";
            bool retry = resp.StatusCode == HttpStatusCode.ServiceUnavailable
                || message.Contains("unhealthy cluster", StringComparison.OrdinalIgnoreCase)
                || message.Contains("in sync with leader", StringComparison.OrdinalIgnoreCase);
            var error = new KubeException(message.Contains("member not found", StringComparison.OrdinalIgnoreCase) ? "Etcd.MemberNotFound" : "Etcd.RequestFailed",
                $"etcd at {endpoint} refused {path}: {message}",
                retry ? KubeErrorCategory.ResourceUnavailable : KubeErrorCategory.InvalidOperation, endpoint.ToString());
            if (retry) throw new EtcdRetryableException(error, unhealthy: true);
            throw error;
        }
    }

    static IReadOnlyList<EtcdMember> ParseMembers(JsonNode? members)
    {
        var list = new List<EtcdMember>();
        if (members is not JsonArray arr) return list;
        foreach (var m in arr.OfType<JsonObject>())
            list.Add(new EtcdMember(U64(m["ID"]), (string?)m["name"] ?? "",
                (m["peerURLs"] as JsonArray)?.Select(x => (string)x!).ToList() ?? [],
                (m["clientURLs"] as JsonArray)?.Select(x => (string)x!).ToList() ?? [],
                (bool?)m["isLearner"] ?? false));
        return list;
    }

    static ulong U64(JsonNode? n) => n switch
    {
        null => 0,
        JsonValue v when v.TryGetValue<string>(out var s) => ulong.TryParse(s, out var u) ? u : 0,
        JsonValue v when v.TryGetValue<ulong>(out var u) => u,
        _ => 0,
    };

    public void Dispose() => _http.Dispose();

    sealed class EtcdRetryableException(KubeException error, bool unhealthy) : Exception(error.Message)
    {
        public KubeException Error { get; } = error;
        public bool Unhealthy { get; } = unhealthy;
    }
}
