using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>The lab kube-apiserver: started with kube-apiserver's flags as kubeadm writes them.</summary>
public sealed partial class ApiServerMain
{
    EtcdStore _store = null!;
    Registry _registry = null!;
    Authenticator _authn = null!;
    Authorizer _authz = null!;
    Faults _faults = null!;
    ServiceAccountTokens? _sa;
    X509Certificate2Collection? _clientCa;
    string _advertise = "";
    int _port;
    string _version = "";
    string _serviceCidr = "";
    volatile bool _bootstrapped;
    volatile bool _shuttingDown;
    string? _requestHeaderCaPem;
    readonly Dictionary<string, string> _requestHeaderFlags = [];

    public static Task<int> Run(string[] args) => new ApiServerMain().RunAsync(args);

    async Task<int> RunAsync(string[] args)
    {
        Log.Component = "kube-apiserver";
        var f = new Flags(args);
        _port = f.Int("secure-port", 6443);
        var bind = f.Get("bind-address", "0.0.0.0");
        _advertise = f.Get("advertise-address") ?? (bind is "0.0.0.0" or "::" ? "127.0.0.1" : bind);
        _version = f.Get("lab-version") ?? Environment.GetEnvironmentVariable("LAB_KUBE_VERSION") ?? "v1.32.4";
        if (!_version.StartsWith('v')) _version = "v" + _version;
        _serviceCidr = f.Get("service-cluster-ip-range", "10.0.0.0/24");
        Strategies.ParseCidr(_serviceCidr);
        var certFile = f.Required("tls-cert-file");
        var keyFile = f.Required("tls-private-key-file");
        var serverCert = Pki.CertWithKey(certFile, keyFile, "--tls-cert-file/--tls-private-key-file");
        var chain = Pki.Bundle(certFile, "--tls-cert-file");
        if (f.Get("client-ca-file") is { } caf) _clientCa = Pki.Bundle(caf, "--client-ca-file");
        // Files a real API server loads at start: missing or broken ones keep it from coming up.
        if (f.Get("kubelet-client-certificate") is { } kcc) Pki.CertWithKey(kcc, f.Required("kubelet-client-key"), "--kubelet-client-certificate/--kubelet-client-key");
        if (f.Get("proxy-client-cert-file") is { } pcc) Pki.CertWithKey(pcc, f.Required("proxy-client-key-file"), "--proxy-client-cert-file/--proxy-client-key-file");
        if (f.Get("requestheader-client-ca-file") is { } rhc) { Pki.Bundle(rhc, "--requestheader-client-ca-file"); _requestHeaderCaPem = File.ReadAllText(rhc); }
        foreach (var k in new[] { "requestheader-allowed-names", "requestheader-extra-headers-prefix", "requestheader-group-headers", "requestheader-username-headers" })
            if (f.Get(k) is { } v) _requestHeaderFlags[k] = v;
        var modes = f.Get("authorization-mode", "AlwaysAllow").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var m in modes)
            if (m is not ("Node" or "RBAC" or "AlwaysAllow" or "AlwaysDeny"))
                throw new LabException($"--authorization-mode: unsupported mode \"{m}\" (the lab supports Node, RBAC, AlwaysAllow, AlwaysDeny)");
        var etcdServers = f.Required("etcd-servers");
        _store = new EtcdStore(etcdServers, f.Required("etcd-cafile"), f.Required("etcd-certfile"), f.Required("etcd-keyfile"));
        var issuers = (f.Get("service-account-issuer") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var saKeyFile = f.Get("service-account-key-file");
        var saSigning = f.Get("service-account-signing-key-file");
        if (saKeyFile is not null || saSigning is not null)
            _sa = new ServiceAccountTokens(_store, saSigning, saKeyFile is null ? (saSigning is null ? [] : [saSigning]) : [saKeyFile], issuers,
                (f.Get("api-audiences") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries));
        _authz = new Authorizer(_store, modes);
        _authn = new Authenticator(_store, _clientCa, f.Bool("enable-bootstrap-token-auth", false), f.Bool("anonymous-auth", true), _sa);
        _registry = new Registry(_store, new Strategies(_store, _serviceCidr), _authz);
        _faults = new Faults(f.Get("lab-fault-file"));
        var startupTimeout = f.Duration("lab-etcd-startup-timeout", TimeSpan.FromSeconds(60));
        var unread = f.Unread.ToList();
        if (unread.Count > 0) Log.Info("flags the lab API server does not use: " + string.Join(", ", unread.Select(u => "--" + u)));

        // Like the real server: storage must answer before the secure port opens.
        var deadline = DateTime.UtcNow + startupTimeout;
        while (true)
        {
            try { await _store.Ping(); break; }
            catch (StorageException e)
            {
                if (DateTime.UtcNow > deadline) throw new LabException("cannot reach etcd at " + etcdServers + ": " + e.Message);
                Log.Warn("waiting for etcd: " + e.Message);
                await Task.Delay(1000);
            }
        }
        Log.Info($"etcd {etcdServers} answers; serving {_version} on {bind}:{_port}");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        NullLifetime.Use(builder);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 3 * 1024 * 1024;
            k.AddServerHeader = false;
            k.Listen(IPAddress.Parse(bind), _port, lo =>
            {
                lo.Protocols = HttpProtocols.Http1;
                lo.UseHttps(new TlsHandshakeCallbackOptions { OnConnection = _ => ValueTask.FromResult(ServerTls(serverCert, chain)) });
            });
        });
        var app = builder.Build();
        app.Run(Handle);
        var cts = new CancellationTokenSource();
        _ = Task.Run(() => Bootstrap(cts.Token));
        Termination.OnTerminate(() => { _shuttingDown = true; cts.Cancel(); });
        await app.RunAsync();
        return 0;
    }

    SslServerAuthenticationOptions ServerTls(X509Certificate2 cert, X509Certificate2Collection chain)
    {
        var intermediates = new X509Certificate2Collection();
        foreach (var c in chain) if (c.Thumbprint != cert.Thumbprint) intermediates.Add(c);
        SslCertificateTrust? trust = null;
        if (_clientCa is not null)
        {
            // Advertise the acceptable client CAs, as the real server does: Go clients then send only a matching cert.
            try { trust = SslCertificateTrust.CreateForX509Collection(_clientCa, sendTrustInHandshake: true); }
            catch (PlatformNotSupportedException) { trust = null; }
        }
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(cert, intermediates, offline: true, trust),
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
    }

    // ------------------------------------------------------------------ bootstrap (post-start hooks)

    static readonly UserInfo ApiServerUser = new("system:apiserver", ["system:masters", "system:authenticated"]);

    async Task Bootstrap(CancellationToken ct)
    {
        var w = new WriteContext(ApiServerUser, "kube-apiserver", false);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var ns = Resources.Get("", "namespaces");
                foreach (var n in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
                    if (await _registry.Get(ns, "", n, ct) is null)
                        await Ignore409(_registry.Create(ns, "", new JsonObject { ["metadata"] = new JsonObject { ["name"] = n } }, w, ct));
                foreach (var (def, ons, obj) in BootstrapPolicy.Objects()) await Reconcile(def, ons ?? "", obj, w, ct);
                await EnsureKubernetesService(w, ct);
                await EnsureAuthenticationConfigMap(w, ct);
                _bootstrapped = true;
                Log.Info("bootstrap roles, namespaces and the kubernetes service are in place");
                return;
            }
            catch (Exception e) when (e is StorageException or ApiError)
            {
                Log.Warn("post-start bootstrap: " + e.Message + " (retrying)");
                await Task.Delay(1000, ct);
            }
        }
    }

    static async Task Ignore409(Task t)
    {
        try { await t; } catch (ApiError e) when (e.Code == 409) { }
    }

    async Task Reconcile(ResourceDef def, string ns, JsonObject obj, WriteContext w, CancellationToken ct)
    {
        var name = obj.Str("metadata", "name")!;
        var cur = await _registry.Get(def, ns, name, ct);
        if (cur is null) { await Ignore409(_registry.Create(def, ns, obj, w, ct)); return; }
        if (cur.Str("metadata", "annotations", "rbac.authorization.kubernetes.io/autoupdate") != "true") return;
        var listKey = def.Plural is "clusterroles" or "roles" ? "rules" : "subjects";
        var want = obj.Arr(listKey);
        var have = cur.Arr(listKey);
        var missing = want.Where(x => !have.Any(h => J.Same(h, x))).ToList();
        if (missing.Count == 0) return;
        await _registry.Update(def, ns, name, "", c =>
        {
            var arr = c[listKey] as JsonArray ?? new JsonArray();
            foreach (var m in missing) arr.Add(m?.DeepClone());
            c[listKey] = arr;
            return Task.FromResult(c);
        }, w, ct: ct);
    }

    async Task EnsureKubernetesService(WriteContext w, CancellationToken ct)
    {
        var (net, _) = Strategies.ParseCidr(_serviceCidr);
        var svcDef = Resources.Get("", "services");
        if (await _registry.Get(svcDef, "default", "kubernetes", ct) is null)
            await Ignore409(_registry.Create(svcDef, "default", new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["name"] = "kubernetes",
                    ["labels"] = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" },
                },
                ["spec"] = new JsonObject
                {
                    ["clusterIP"] = Strategies.Add(net, 1).ToString(),
                    ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = _port }),
                },
            }, w, ct));
        var epDef = Resources.Get("", "endpoints");
        var addr = new JsonObject { ["ip"] = _advertise };
        var ep = await _registry.Get(epDef, "default", "kubernetes", ct);
        if (ep is null)
            await Ignore409(_registry.Create(epDef, "default", new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "kubernetes", ["labels"] = new JsonObject { ["endpointslice.kubernetes.io/skip-mirror"] = "true" } },
                ["subsets"] = new JsonArray(new JsonObject
                {
                    ["addresses"] = new JsonArray(addr),
                    ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = _port, ["protocol"] = "TCP" }),
                }),
            }, w, ct));
        else if (!ep.Arr("subsets").SelectMany(s => s.Arr("addresses")).Any(a => a.Str("ip") == _advertise))
            await _registry.Update(epDef, "default", "kubernetes", "", c =>
            {
                if (c.Arr("subsets").FirstOrDefault() is JsonObject s && s["addresses"] is JsonArray a) a.Add(addr.DeepClone());
                return Task.FromResult(c);
            }, w, ct: ct);
    }

    async Task EnsureAuthenticationConfigMap(WriteContext w, CancellationToken ct)
    {
        var cm = Resources.Get("", "configmaps");
        var data = new JsonObject();
        if (_clientCa is not null) data["client-ca-file"] = string.Concat(_clientCa.Select(c => c.ExportCertificatePem() + "\n"));
        if (_requestHeaderCaPem is not null)
        {
            data["requestheader-client-ca-file"] = _requestHeaderCaPem;
            foreach (var (k, v) in _requestHeaderFlags)
                data[k] = new JsonArray(v.Split(',').Select(x => (JsonNode)JsonValue.Create(x)!).ToArray()).ToJsonString();
        }
        var obj = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "extension-apiserver-authentication" }, ["data"] = data };
        if (await _registry.Get(cm, "kube-system", "extension-apiserver-authentication", ct) is null)
            await Ignore409(_registry.Create(cm, "kube-system", obj, w, ct));
    }

    // ------------------------------------------------------------------ request handling

    async Task Handle(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "/";
        var method = ctx.Request.Method;
        UserInfo? user = null;
        try
        {
            var (u, err) = await _authn.Authenticate(ctx);
            if (u is null)
            {
                Log.Info($"401 {method} {path}: {err}");
                await WriteJson(ctx, 401, ApiError.Status(401, "Unauthorized", "Unauthorized"));
                return;
            }
            user = await Impersonate(ctx, u);
            if (_faults.Match(method, path) is { } fault)
            {
                if (fault.Code == 429) ctx.Response.Headers["Retry-After"] = fault.RetryAfterSeconds.ToString();
                var reason = fault.Code switch { 429 => "TooManyRequests", 503 => "ServiceUnavailable", 504 => "Timeout", _ => "InternalError" };
                var msg = fault.Message.Length > 0 ? fault.Message
                    : fault.Code == 429 ? "storage is (re)initializing" : "Internal error occurred: injected fault (lab)";
                await WriteJson(ctx, fault.Code, ApiError.Status(fault.Code, reason, msg, new JsonObject { ["retryAfterSeconds"] = fault.RetryAfterSeconds }));
                return;
            }
            var watch = ctx.Request.Query["watch"].ToString() is "true" or "1";
            var ri = RequestInfo.Parse(method, path, watch);
            var attrs = Attributes.From(user, ri);
            var (ok, _) = await _authz.Authorize(attrs, ctx.RequestAborted);
            if (!ok)
            {
                var res = ri.Subresource.Length > 0 ? $"{ri.Resource}/{ri.Subresource}" : ri.Resource;
                var details = ri.IsResource ? new JsonObject { ["name"] = ri.Name.Length > 0 ? ri.Name : null, ["group"] = ri.Group, ["kind"] = ri.Resource } : new JsonObject();
                foreach (var k in details.Where(kv => kv.Value is null || kv.Value.ToString() == "").Select(kv => kv.Key).ToList()) details.Remove(k);
                Log.Debug($"403 {attrs.ForbiddenMessage()}");
                await WriteJson(ctx, 403, ApiError.Status(403, "Forbidden", attrs.ForbiddenMessage(), details));
                _ = res;
                return;
            }
            if (!ri.IsResource) await NonResource(ctx, user, path);
            else await ResourceRequest(ctx, user, ri);
        }
        catch (ApiError e)
        {
            if (e.Code == 429 && e.RetryAfterSeconds is { } ra) ctx.Response.Headers["Retry-After"] = ra.ToString();
            if (!ctx.Response.HasStarted) await WriteJson(ctx, e.Code, e.ToStatus());
        }
        catch (StorageException e)
        {
            Log.Warn($"{method} {path}: {e.Message}");
            if (!ctx.Response.HasStarted) await WriteJson(ctx, 500, ApiError.Internal(e.Message).ToStatus());
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { }
        catch (Exception e)
        {
            Log.Error($"{method} {path}: {e}");
            if (!ctx.Response.HasStarted) await WriteJson(ctx, 500, ApiError.Internal(e.Message).ToStatus());
        }
        finally
        {
            Log.Debug($"{method} {ctx.Request.Path}{ctx.Request.QueryString} user={user?.Name} -> {ctx.Response.StatusCode}");
        }
    }

    async Task<UserInfo> Impersonate(HttpContext ctx, UserInfo user)
    {
        var asUser = ctx.Request.Headers["Impersonate-User"].ToString();
        var asGroups = ctx.Request.Headers["Impersonate-Group"].SelectMany(g => (g ?? "").Split(',')).Where(g => g.Length > 0).ToList();
        if (asUser.Length == 0)
        {
            if (asGroups.Count > 0) throw new ApiError(500, "InternalError", "Internal error occurred: requested [Impersonate-Group] without impersonating a user");
            return user;
        }
        async Task Check(string resource, string name)
        {
            var a = new Attributes(user, "impersonate", true, "", resource, "", "", name, "");
            if (!(await _authz.Authorize(a, ctx.RequestAborted)).allowed)
                throw new ApiError(403, "Forbidden", $"{resource} \"{name}\" is forbidden: User \"{user.Name}\" cannot impersonate resource \"{resource}\" in API group \"\" at the cluster scope");
        }
        await Check("users", asUser);
        foreach (var g in asGroups) await Check("groups", g);
        var groups = new List<string>(asGroups);
        if (asUser != "system:anonymous" && !groups.Contains("system:authenticated")) groups.Add("system:authenticated");
        if (asUser.StartsWith("system:serviceaccount:", StringComparison.Ordinal) && asGroups.Count == 0)
        {
            var ns = asUser.Split(':')[2];
            groups.InsertRange(0, ["system:serviceaccounts", "system:serviceaccounts:" + ns]);
        }
        return new UserInfo(asUser, groups);
    }

    static async Task WriteJson(HttpContext ctx, int code, JsonNode body)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.Text(), ctx.RequestAborted);
    }

    static async Task WriteText(HttpContext ctx, int code, string text)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await ctx.Response.WriteAsync(text, ctx.RequestAborted);
    }

    // ------------------------------------------------------------------ non-resource endpoints

    async Task NonResource(HttpContext ctx, UserInfo user, string path)
    {
        var p = path.TrimEnd('/');
        if (p.Length == 0) p = "/";
        switch (p)
        {
            case "/healthz" or "/livez" or "/readyz":
            case var _ when p.StartsWith("/healthz/") || p.StartsWith("/livez/") || p.StartsWith("/readyz/"):
                await Health(ctx, p);
                return;
            case "/version":
                var parts = _version.TrimStart('v').Split('.', '-', '+');
                await WriteJson(ctx, 200, new JsonObject
                {
                    ["major"] = parts[0], ["minor"] = parts.Length > 1 ? parts[1] : "0", ["gitVersion"] = _version,
                    ["gitCommit"] = "0000000000000000000000000000000000000000", ["gitTreeState"] = "clean",
                    ["buildDate"] = "2025-01-01T00:00:00Z", ["goVersion"] = "go1.23.0", ["compiler"] = "gc", ["platform"] = "linux/amd64",
                });
                return;
            case "/api":
                await WriteJson(ctx, 200, Discovery.Api($"{_advertise}:{_port}"));
                return;
            case "/apis":
                await WriteJson(ctx, 200, Discovery.Apis());
                return;
            case "/lab/faults":
                await FaultsEndpoint(ctx);
                return;
        }
        var segs = p.Trim('/').Split('/');
        if (segs.Length == 2 && segs[0] == "api" && Discovery.Resources_("", segs[1]) is { } core) { await WriteJson(ctx, 200, core); return; }
        if (segs.Length == 2 && segs[0] == "apis" && Discovery.ApiGroup(segs[1]) is { } grp) { await WriteJson(ctx, 200, grp); return; }
        if (segs.Length == 3 && segs[0] == "apis" && Discovery.Resources_(segs[1], segs[2]) is { } rl) { await WriteJson(ctx, 200, rl); return; }
        if (p == "/openapi/v3") { await WriteJson(ctx, 200, OpenApi.Root()); return; }
        if (p.StartsWith("/openapi/v3/"))
        {
            var rest = p["/openapi/v3/".Length..].Split('/');
            var doc = rest switch
            {
                ["api", var v] => OpenApi.Document("", v),
                ["apis", var g, var v] => OpenApi.Document(g, v),
                _ => null,
            };
            if (doc is not null) { await WriteJson(ctx, 200, doc); return; }
        }
        if (p.StartsWith("/api") || p.StartsWith("/openapi"))
        {
            await WriteJson(ctx, 404, ApiError.NoResource().ToStatus());
            return;
        }
        await WriteText(ctx, 404, "404 page not found\n");
    }

    async Task Health(HttpContext ctx, string p)
    {
        var kind = p.Trim('/').Split('/')[0];
        var single = p.Trim('/').Split('/', 2) is { Length: 2 } sp ? sp[1] : null;
        var checks = new List<(string name, Func<Task<bool>> ok)> { ("ping", () => Task.FromResult(true)), ("log", () => Task.FromResult(true)) };
        if (kind != "livez") checks.Add(("etcd", async () =>
        {
            try { using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted); cts.CancelAfter(2000); await _store.Ping(cts.Token); return true; }
            catch (Exception e) when (e is StorageException or OperationCanceledException) { return false; }
        }));
        checks.Add(("poststarthook/rbac/bootstrap-roles", () => Task.FromResult(_bootstrapped)));
        if (kind == "readyz") checks.Add(("shutdown", () => Task.FromResult(!_shuttingDown)));
        var exclude = ctx.Request.Query["exclude"].Select(x => x ?? "").ToHashSet();
        if (single is not null)
        {
            var c = checks.FirstOrDefault(x => x.name == single);
            if (c.name is null) { await WriteText(ctx, 404, "404 page not found\n"); return; }
            var good = await c.ok();
            await WriteText(ctx, good ? 200 : 500, good ? "ok" : $"internal server error: {single} check failed\n");
            return;
        }
        var sb = new StringBuilder();
        bool all = true;
        foreach (var (name, ok) in checks)
        {
            if (exclude.Contains(name)) { sb.Append($"[+]{name} excluded: ok\n"); continue; }
            var good = await ok();
            all &= good;
            sb.Append(good ? $"[+]{name} ok\n" : $"[-]{name} failed: reason withheld\n");
        }
        var verbose = ctx.Request.Query.ContainsKey("verbose");
        if (all) await WriteText(ctx, 200, verbose ? sb + $"{kind} check passed\n" : "ok");
        else await WriteText(ctx, 500, sb + $"{kind} check failed\n");
    }

    async Task FaultsEndpoint(HttpContext ctx)
    {
        switch (ctx.Request.Method)
        {
            case "GET":
                await WriteJson(ctx, 200, new JsonObject { ["faults"] = _faults.List() });
                return;
            case "DELETE":
                _faults.Clear();
                await WriteJson(ctx, 200, new JsonObject { ["faults"] = _faults.List() });
                return;
            case "POST":
                var body = await ReadBody(ctx) as JsonObject ?? throw ApiError.BadRequest("fault: JSON object expected");
                var fault = Faults.Fault.Parse(body);
                _faults.Add(fault);
                Log.Info($"fault injected: {fault.ToJson().ToJsonString()}");
                await WriteJson(ctx, 201, fault.ToJson());
                return;
            default:
                throw ApiError.MethodNotAllowed($"{ctx.Request.Method} is not supported on /lab/faults");
        }
    }

    static async Task<JsonNode?> ReadBody(HttpContext ctx)
    {
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted);
        var bytes = ms.ToArray();
        var ct = ctx.Request.ContentType ?? "application/json";
        if (ct.Contains("protobuf")) return bytes.Length == 0 ? null : Protobuf.Decode(bytes);
        var text = Encoding.UTF8.GetString(bytes);
        if (text.Trim().Length == 0) return null;
        try
        {
            return ct.Contains("yaml") ? Yaml.Parse(text) : JsonNode.Parse(text);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException)
        {
            throw ApiError.BadRequest("the object provided is unrecognized or malformed: " + e.Message);
        }
    }
}
