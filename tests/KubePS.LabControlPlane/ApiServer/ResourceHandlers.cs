using System.Text;
using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;
using Microsoft.AspNetCore.Http;

namespace KubePS.LabControlPlane.ApiServer;

public sealed partial class ApiServerMain
{
    async Task ResourceRequest(HttpContext ctx, UserInfo user, RequestInfo ri)
    {
        var def = ri.Def ?? throw ApiError.NoResource();
        var ct = ctx.RequestAborted;
        if (def.Virtual)
        {
            if (ri.Verb != "create" || ri.Name.Length > 0) throw ApiError.MethodNotAllowed($"the server does not allow this method on the requested resource");
            await Review(ctx, user, def);
            return;
        }
        if (def.Namespaced && ri.Namespace.Length == 0 && ri.Name.Length > 0) throw ApiError.NoResource();
        if (!def.Namespaced && def.Plural != "namespaces" && ri.Namespace.Length > 0) throw ApiError.NoResource();
        var sub = ri.Subresource;
        if (sub.Length > 0 && !def.Subresources.Contains(sub)) throw ApiError.NoResource();
        var ns = def.Namespaced ? ri.Namespace : "";
        var q = ctx.Request.Query;
        var dryRun = q["dryRun"].ToString() == "All";
        var manager = q["fieldManager"].ToString() is { Length: > 0 } fm ? fm : ManagerFromAgent(ctx.Request.Headers.UserAgent.ToString());
        var w = new WriteContext(user, manager, dryRun);

        switch (ri.Verb)
        {
            case "get":
            {
                if (sub is not ("" or "status" or "approval")) throw ApiError.MethodNotAllowed("the server does not allow this method on the requested resource");
                var obj = await _registry.MustGet(def, ns, ri.Name, ct);
                await Respond(ctx, def, 200, obj, single: true);
                return;
            }
            case "list":
            {
                var (items, rev) = await _registry.List(def, ns, ct);
                var lp = Selectors.Labels(q["labelSelector"]);
                var fp = Selectors.Fields(q["fieldSelector"]);
                var selected = items.Where(i => lp(i) && fp(i)).OrderBy(i => i.Str("metadata", "namespace")).ThenBy(i => i.Str("metadata", "name"), StringComparer.Ordinal).ToList();
                if (WantsTable(ctx, out var tv))
                {
                    var t = Tables.Build(def, selected, rev.ToString());
                    t["apiVersion"] = "meta.k8s.io/" + tv;
                    await WriteJson(ctx, 200, t);
                    return;
                }
                await WriteJson(ctx, 200, new JsonObject
                {
                    ["kind"] = def.Kind + "List", ["apiVersion"] = def.GroupVersion,
                    ["metadata"] = new JsonObject { ["resourceVersion"] = rev.ToString() }, ["items"] = J.ToArray(selected),
                });
                return;
            }
            case "watch":
                await Watch(ctx, def, ns, ri.Name);
                return;
            case "create":
                switch (sub)
                {
                    case "":
                    {
                        var body = await ReadBody(ctx) as JsonObject ?? throw ApiError.BadRequest("the body of the request was empty or not an object");
                        CheckKind(def, body, ri.Name);
                        await AdmitCreate(user, def, ns, body, ct);
                        var created = await _registry.Create(def, ns, body, w, ct);
                        await Respond(ctx, def, 201, created, single: true);
                        return;
                    }
                    case "binding": await Bind(ctx, user, def, ns, ri.Name, w); return;
                    case "eviction": await Evict(ctx, user, ns, ri.Name, w); return;
                    case "token": await TokenRequest(ctx, ns, ri.Name); return;
                    default: throw ApiError.MethodNotAllowed("the server does not allow this method on the requested resource");
                }
            case "update":
            {
                if (sub is not ("" or "status" or "approval")) throw ApiError.MethodNotAllowed("the server does not allow this method on the requested resource");
                var body = await ReadBody(ctx) as JsonObject ?? throw ApiError.BadRequest("the body of the request was empty or not an object");
                CheckKind(def, body, ri.Name);
                var updated = await _registry.Update(def, ns, ri.Name, sub, async cur =>
                {
                    await AdmitWrite(user, def, ns, sub, cur, body, ct);
                    return body;
                }, w, ct: ct);
                await Respond(ctx, def, 200, updated, single: true);
                return;
            }
            case "patch":
                await Patch(ctx, user, def, ns, ri.Name, sub, w);
                return;
            case "delete":
            {
                if (sub.Length > 0) throw ApiError.MethodNotAllowed("the server does not allow this method on the requested resource");
                var options = await ReadBody(ctx) as JsonObject;
                var cur = await _registry.MustGet(def, ns, ri.Name, ct);
                AdmitDelete(user, def, cur);
                var deleted = await _registry.Delete(def, ns, ri.Name, options, w, ct);
                await Respond(ctx, def, 200, deleted, single: true);
                return;
            }
            case "deletecollection":
            {
                var options = await ReadBody(ctx) as JsonObject;
                var (items, rev) = await _registry.List(def, ns, ct);
                var lp = Selectors.Labels(q["labelSelector"]);
                var fp = Selectors.Fields(q["fieldSelector"]);
                var gone = new List<JsonObject>();
                foreach (var i in items.Where(i => lp(i) && fp(i)))
                {
                    AdmitDelete(user, def, i);
                    try { gone.Add(await _registry.Delete(def, i.Str("metadata", "namespace") ?? "", i.Str("metadata", "name")!, options, w, ct)); }
                    catch (ApiError e) when (e.Code == 404) { }
                }
                await WriteJson(ctx, 200, new JsonObject
                {
                    ["kind"] = def.Kind + "List", ["apiVersion"] = def.GroupVersion,
                    ["metadata"] = new JsonObject { ["resourceVersion"] = rev.ToString() }, ["items"] = J.ToArray(gone),
                });
                return;
            }
            default:
                throw ApiError.MethodNotAllowed("the server does not allow this method on the requested resource");
        }
    }

    static string ManagerFromAgent(string ua)
    {
        var i = ua.IndexOf('/');
        var m = i > 0 ? ua[..i] : ua;
        return m.Length == 0 ? "unknown" : m;
    }

    static void CheckKind(ResourceDef def, JsonObject body, string urlName)
    {
        if (body.Str("kind") is { Length: > 0 } k && k != def.Kind)
            throw ApiError.BadRequest($"the object provided is unrecognized (kind {k} does not match {def.Kind})");
        if (body.Str("apiVersion") is { Length: > 0 } av && av != def.GroupVersion)
            throw ApiError.BadRequest($"the API version in the data ({av}) does not match the expected API version ({def.GroupVersion})");
        if (urlName.Length > 0 && body.Str("metadata", "name") is { Length: > 0 } n && n != urlName)
            throw ApiError.BadRequest($"the name of the object ({n}) does not match the name on the URL ({urlName})");
    }

    /// <summary>Table when the client asks for one first (kubectl get), JSON otherwise; 406 when nothing fits.</summary>
    static bool WantsTable(HttpContext ctx, out string version)
    {
        version = "v1";
        var accept = ctx.Request.Headers.Accept.ToString();
        if (accept.Length == 0) return false;
        foreach (var clause in accept.Split(','))
        {
            var parts = clause.Split(';').Select(p => p.Trim()).ToList();
            var mt = parts[0];
            var prms = parts.Skip(1).Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim());
            if (mt is not ("application/json" or "*/*" or "application/*")) continue;
            if (!prms.TryGetValue("as", out var @as)) return false;
            if (@as == "Table" && prms.GetValueOrDefault("g") == "meta.k8s.io" && prms.GetValueOrDefault("v") is "v1" or "v1beta1")
            {
                version = prms["v"];
                return true;
            }
        }
        if (accept.Split(',').Any(c => c.Trim().Split(';')[0].Trim() is "application/json" or "*/*" or "application/*")) return false;
        throw ApiError.NotAcceptable($"only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io");
    }

    static async Task Respond(HttpContext ctx, ResourceDef def, int code, JsonObject obj, bool single)
    {
        if (single && code == 200 && ctx.Request.Method == "GET" && WantsTable(ctx, out var tv))
        {
            var t = Tables.Build(def, [obj], obj.Str("metadata", "resourceVersion"));
            t["apiVersion"] = "meta.k8s.io/" + tv;
            await WriteJson(ctx, 200, t);
            return;
        }
        obj["apiVersion"] ??= def.GroupVersion;
        obj["kind"] ??= def.Kind;
        await WriteJson(ctx, code, obj);
    }

    // ------------------------------------------------------------------ NodeRestriction-like admission

    static ApiError NodeForbidden(string node, string what) =>
        new(403, "Forbidden", $"node \"{node}\" {what}", new JsonObject());

    Task AdmitCreate(UserInfo user, ResourceDef def, string ns, JsonObject body, CancellationToken ct)
    {
        var node = user.NodeName;
        if (node is null) return Task.CompletedTask;
        var name = body.Str("metadata", "name") ?? "";
        switch (def.Plural)
        {
            case "nodes" when name != node:
                throw NodeForbidden(node, $"is not allowed to modify node \"{name}\"");
            case "pods":
                if (body.Str("metadata", "annotations", "kubernetes.io/config.mirror") is null)
                    throw NodeForbidden(node, "can only create mirror pods: pod does not have \"kubernetes.io/config.mirror\" annotation");
                if (body.Str("spec", "nodeName") != node)
                    throw NodeForbidden(node, $"can only create pods with spec.nodeName set to itself");
                break;
            case "leases" when name != node:
                throw NodeForbidden(node, $"can only access its own lease, not \"{name}\"");
        }
        return Task.CompletedTask;
    }

    async Task AdmitWrite(UserInfo user, ResourceDef def, string ns, string sub, JsonObject cur, JsonObject proposed, CancellationToken ct)
    {
        var node = user.NodeName;
        if (node is not null)
        {
            var name = cur.Str("metadata", "name") ?? "";
            switch (def.Plural)
            {
                case "nodes" when name != node:
                    throw NodeForbidden(node, $"is not allowed to modify node \"{name}\"");
                case "pods" when sub != "status":
                    throw NodeForbidden(node, "can only update pod status");
                case "pods" when cur.Str("spec", "nodeName") != node:
                    throw NodeForbidden(node, $"can only update pod status for pods with spec.nodeName set to itself");
                case "leases" when name != node:
                    throw NodeForbidden(node, $"can only access its own lease, not \"{name}\"");
            }
        }
        if (def.Plural == "certificatesigningrequests") await AdmitCsr(user, sub, cur, proposed, ct);
    }

    void AdmitDelete(UserInfo user, ResourceDef def, JsonObject cur)
    {
        var node = user.NodeName;
        if (node is null) return;
        var name = cur.Str("metadata", "name") ?? "";
        if (def.Plural == "nodes" && name != node) throw NodeForbidden(node, $"is not allowed to modify node \"{name}\"");
        if (def.Plural == "pods" && cur.Str("spec", "nodeName") != node) throw NodeForbidden(node, "can only delete pods with spec.nodeName set to itself");
        if (def.Plural == "leases" && name != node) throw NodeForbidden(node, $"can only access its own lease, not \"{name}\"");
    }

    /// <summary>CertificateApproval / CertificateSigning admission: approve and sign are verbs on certificates.k8s.io signers.</summary>
    async Task AdmitCsr(UserInfo user, string sub, JsonObject cur, JsonObject proposed, CancellationToken ct)
    {
        var signer = cur.Str("spec", "signerName") ?? "";
        string? verb = null;
        if (sub == "approval")
        {
            var before = cur.Arr("status", "conditions").Where(c => c.Str("type") is "Approved" or "Denied").Select(c => c.Str("type")).ToHashSet();
            var after = proposed.Arr("status", "conditions").Where(c => c.Str("type") is "Approved" or "Denied").Select(c => c.Str("type")).ToHashSet();
            if (!before.SetEquals(after)) verb = "approve";
        }
        else if (sub == "status" && proposed.Str("status", "certificate") != cur.Str("status", "certificate")) verb = "sign";
        if (verb is null) return;
        var domain = signer.Contains('/') ? signer[..signer.IndexOf('/')] + "/*" : signer;
        foreach (var name in new[] { signer, domain })
        {
            var a = new Attributes(user, verb, true, "certificates.k8s.io", "signers", "", "", name, "");
            if ((await _authz.Authorize(a, ct)).allowed) return;
        }
        throw new ApiError(403, "Forbidden",
            $"certificatesigningrequests.certificates.k8s.io \"{cur.Str("metadata", "name")}\" is forbidden: user not permitted to {verb} requests with signerName \"{signer}\"");
    }

    // ------------------------------------------------------------------ patch

    async Task Patch(HttpContext ctx, UserInfo user, ResourceDef def, string ns, string name, string sub, WriteContext w)
    {
        if (sub is not ("" or "status" or "approval")) throw ApiError.MethodNotAllowed("the server does not allow this method on the requested resource");
        var ct = ctx.RequestAborted;
        var contentType = (ctx.Request.ContentType ?? "").Split(';')[0].Trim();
        using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(ct);
        JsonNode? patch;
        try { patch = contentType == "application/apply-patch+yaml" ? Yaml.Parse(text) : JsonNode.Parse(text); }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException)
        {
            throw ApiError.BadRequest("error decoding patch: " + e.Message);
        }
        var q = ctx.Request.Query;
        switch (contentType)
        {
            case "application/apply-patch+yaml":
            {
                if (q["fieldManager"].ToString().Length == 0)
                    throw ApiError.BadRequest("PATCH, application/apply-patch+yaml requires fieldManager to be set");
                var applied = patch as JsonObject ?? throw ApiError.BadRequest("apply patch must be an object");
                CheckKind(def, applied, name);
                if (applied.Str("metadata", "name") is null) throw ApiError.BadRequest("metadata.name is required in an apply configuration");
                var force = q["force"].ToString() == "true";
                var existing = await _registry.Get(def, ns, name, ct);
                if (existing is null)
                {
                    if (sub.Length > 0) throw ApiError.NotFound(def, name);
                    var obj = ManagedFields.Apply(def, null, applied, w.Manager, force, name, "");
                    obj["apiVersion"] = def.GroupVersion;
                    obj["kind"] = def.Kind;
                    await AdmitCreate(user, def, ns, obj, ct);
                    try
                    {
                        var created = await _registry.CreateApplied(def, ns, obj, w, ct);
                        await Respond(ctx, def, 201, created, single: true);
                        return;
                    }
                    catch (ApiError e) when (e.Code == 409 && e.Reason == "AlreadyExists") { /* raced: apply onto it */ }
                }
                var result = await _registry.Update(def, ns, name, sub, async cur =>
                {
                    var next = ManagedFields.Apply(def, cur, applied, w.Manager, force, name, sub);
                    await AdmitWrite(user, def, ns, sub, cur, next, ct);
                    return next;
                }, w, managedByMutation: true, ct, clientPinned: applied.Str("metadata", "resourceVersion") is { Length: > 0 });
                await Respond(ctx, def, 200, result, single: true);
                return;
            }
            case "application/merge-patch+json":
            case "application/strategic-merge-patch+json":
            case "application/json-patch+json":
            {
                var updated = await _registry.Update(def, ns, name, sub, async cur =>
                {
                    var next = contentType switch
                    {
                        "application/merge-patch+json" => Patches.Merge(cur, patch),
                        "application/strategic-merge-patch+json" => Patches.Strategic(cur, patch),
                        _ => Patches.JsonPatch(cur, patch as JsonArray ?? throw ApiError.BadRequest("json patch must be an array")),
                    } as JsonObject ?? throw ApiError.BadRequest("patch result is not an object");
                    await AdmitWrite(user, def, ns, sub, cur, next, ct);
                    return next;
                }, w, ct: ct, clientPinned: contentType == "application/json-patch+json"
                    ? (patch as JsonArray ?? []).OfType<JsonObject>().Any(op => op.Str("path") == "/metadata/resourceVersion")
                    : ((patch as JsonObject)?["metadata"] as JsonObject)?["resourceVersion"] is not null);
                await Respond(ctx, def, 200, updated, single: true);
                return;
            }
            default:
                throw ApiError.UnsupportedMediaType(contentType);
        }
    }

    // ------------------------------------------------------------------ pods/binding, pods/eviction, serviceaccounts/token

    async Task Bind(HttpContext ctx, UserInfo user, ResourceDef def, string ns, string name, WriteContext w)
    {
        var body = await ReadBody(ctx) as JsonObject ?? throw ApiError.BadRequest("Binding expected");
        var target = body.Str("target", "name") ?? throw ApiError.Invalid(def, name, ("target.name", "FieldValueRequired", "Required value"));
        if (body.Str("target", "kind") is { Length: > 0 } tk && tk != "Node")
            throw ApiError.Invalid(def, name, ("target.kind", "FieldValueNotSupported", $"Unsupported value: \"{tk}\": supported values: \"Node\""));
        await _registry.Update(def, ns, name, "binding", cur =>
        {
            if (cur.Str("metadata", "deletionTimestamp") is not null)
                throw ApiError.ConflictMessage(def, name, $"Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is being deleted, cannot be assigned to a host");
            if (cur.Str("spec", "nodeName") is { Length: > 0 } already)
                throw ApiError.ConflictMessage(def, name, $"Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is already assigned to node \"{already}\"");
            cur.Ensure("spec")["nodeName"] = target;
            var status = cur.Ensure("status");
            var conds = status["conditions"] as JsonArray ?? new JsonArray();
            conds.Add(new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastProbeTime"] = null, ["lastTransitionTime"] = J.Now() });
            status["conditions"] = conds;
            return Task.FromResult(cur);
        }, w, ct: ctx.RequestAborted);
        await WriteJson(ctx, 201, ApiError.Success());
    }

    async Task Evict(HttpContext ctx, UserInfo user, string ns, string name, WriteContext w)
    {
        var ct = ctx.RequestAborted;
        var pods = Resources.Get("", "pods");
        var body = await ReadBody(ctx) as JsonObject;
        var pod = await _registry.MustGet(pods, ns, name, ct);
        AdmitDelete(user, pods, pod);
        if (pod.Str("metadata", "deletionTimestamp") is null)
        {
            var phase = pod.Str("status", "phase") ?? "Pending";
            if (phase is not ("Succeeded" or "Failed" or "Pending"))
            {
                var pdbDef = Resources.Get("policy", "poddisruptionbudgets");
                var (pdbs, _) = await _registry.List(pdbDef, ns, ct);
                var matching = pdbs.Where(p => Selectors.FromObject(p.Obj("spec")["selector"])(pod)).ToList();
                if (matching.Count > 1)
                    throw new ApiError(500, "InternalError", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
                if (matching.Count == 1) await CheckBudget(matching[0], pod, ns, ct);
            }
            await _registry.Delete(pods, ns, name, body?["deleteOptions"] as JsonObject, w, ct);
        }
        await WriteJson(ctx, 201, ApiError.Success());
    }

    static bool PodReady(JsonObject p) =>
        p.Str("metadata", "deletionTimestamp") is null && p.Arr("status", "conditions").Any(c => c.Str("type") == "Ready" && c.Str("status") == "True");

    static int Scaled(JsonNode? v, int total, bool roundUp)
    {
        var s = v?.ToString() ?? "0";
        if (s.EndsWith('%') && int.TryParse(s[..^1], out var pct))
            return roundUp ? (int)Math.Ceiling(pct * total / 100.0) : (int)Math.Floor(pct * total / 100.0);
        return int.TryParse(s, out var n) ? n : 0;
    }

    /// <summary>The disruption budget, computed from the pods as the disruption controller would, at eviction time.</summary>
    async Task CheckBudget(JsonObject pdb, JsonObject pod, string ns, CancellationToken ct)
    {
        var sel = Selectors.FromObject(pdb.Obj("spec")["selector"]);
        var (all, _) = await _registry.List(Resources.Get("", "pods"), ns, ct);
        var pods = all.Where(p => sel(p) && p.Str("status", "phase") is not ("Succeeded" or "Failed")).ToList();
        int expected = pods.Count;
        int healthy = pods.Count(PodReady);
        var spec = pdb.Obj("spec");
        int desired = spec["minAvailable"] is { } min ? Scaled(min, expected, roundUp: true)
            : spec["maxUnavailable"] is { } max ? Math.Max(0, expected - Scaled(max, expected, roundUp: true)) : 0;
        bool allowed = PodReady(pod) ? healthy - desired > 0 : healthy >= desired;
        if (!allowed)
        {
            var pdbName = pdb.Str("metadata", "name");
            throw new ApiError(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.",
                new JsonObject
                {
                    ["causes"] = new JsonArray(new JsonObject
                    {
                        ["reason"] = "DisruptionBudget",
                        ["message"] = $"The disruption budget {pdbName} needs {desired} healthy pods and has {healthy} currently",
                    }),
                });
        }
    }

    async Task TokenRequest(HttpContext ctx, string ns, string name)
    {
        if (_sa is null || !_sa.CanIssue) throw new ApiError(404, "NotFound", "the server could not find the requested resource (token issuing is not configured)");
        var sa = await _registry.MustGet(Resources.Get("", "serviceaccounts"), ns, name, ctx.RequestAborted);
        var body = await ReadBody(ctx) as JsonObject ?? new JsonObject();
        var spec = body.Obj("spec");
        var exp = spec.Long("expirationSeconds") ?? 3600;
        if (exp < 600) throw ApiError.Invalid(Resources.Get("", "serviceaccounts"), name, ("spec.expirationSeconds", "FieldValueInvalid", "Invalid value: may not specify a duration less than 10 minutes"));
        var auds = spec.Arr("audiences").StringItems().ToArray();
        var (token, expires) = _sa.Issue(ns, name, sa.Str("metadata", "uid") ?? "", auds, exp);
        var outSpec = (JsonObject)spec.DeepClone();
        outSpec["expirationSeconds"] = exp;
        if (auds.Length == 0) outSpec["audiences"] = new JsonArray();
        await WriteJson(ctx, 201, new JsonObject
        {
            ["kind"] = "TokenRequest", ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["creationTimestamp"] = J.Now() },
            ["spec"] = outSpec,
            ["status"] = new JsonObject { ["token"] = token, ["expirationTimestamp"] = expires.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") },
        });
    }

    // ------------------------------------------------------------------ reviews

    async Task Review(HttpContext ctx, UserInfo user, ResourceDef def)
    {
        var body = await ReadBody(ctx) as JsonObject ?? new JsonObject();
        body["apiVersion"] = def.GroupVersion;
        body["kind"] = def.Kind;
        var meta = body.Ensure("metadata");
        meta["creationTimestamp"] ??= null;
        switch (def.Plural)
        {
            case "selfsubjectreviews":
                body["status"] = new JsonObject { ["userInfo"] = user.ToJson() };
                break;
            case "subjectaccessreviews" or "selfsubjectaccessreviews":
            {
                var spec = body.Obj("spec");
                UserInfo subject;
                if (def.Plural == "selfsubjectaccessreviews") subject = user;
                else
                {
                    var u = spec.Str("user") ?? "";
                    var groups = spec.Arr("groups").StringItems().ToList();
                    if (u.Length == 0 && groups.Count == 0)
                        throw ApiError.Invalid(def, "", ("spec.user", "FieldValueRequired", "Required value: at least one of user or group must be specified"));
                    subject = new UserInfo(u, groups, spec.Str("uid") ?? "");
                }
                Attributes a;
                if (spec["resourceAttributes"] is JsonObject ra)
                    a = new Attributes(subject, ra.Str("verb") ?? "", true, ra.Str("group") ?? "", ra.Str("resource") ?? "", ra.Str("subresource") ?? "",
                        ra.Str("namespace") ?? "", ra.Str("name") ?? "", "");
                else if (spec["nonResourceAttributes"] is JsonObject na)
                    a = new Attributes(subject, na.Str("verb") ?? "", false, "", "", "", "", "", na.Str("path") ?? "");
                else throw ApiError.Invalid(def, "", ("spec.resourceAttributes", "FieldValueRequired", "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified"));
                var (allowed, reason) = await _authz.Authorize(a, ctx.RequestAborted);
                var status = new JsonObject { ["allowed"] = allowed };
                if (reason.Length > 0) status["reason"] = reason;
                body["status"] = status;
                break;
            }
        }
        await WriteJson(ctx, 201, body);
    }

    // ------------------------------------------------------------------ watch (polling storage)

    async Task Watch(HttpContext ctx, ResourceDef def, string ns, string name)
    {
        var q = ctx.Request.Query;
        var lp = Selectors.Labels(q["labelSelector"]);
        var fp = Selectors.Fields(q["fieldSelector"]);
        Func<JsonObject, bool> match = o => lp(o) && fp(o) && (name.Length == 0 || o.Str("metadata", "name") == name);
        var rvParam = q["resourceVersion"].ToString();
        long since = long.TryParse(rvParam, out var r) ? r : 0;
        bool initial = rvParam is "" or "0";
        var timeout = TimeSpan.FromSeconds(int.TryParse(q["timeoutSeconds"], out var ts) ? ts : 1800);
        var end = DateTime.UtcNow + timeout;
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.StartAsync(ctx.RequestAborted);
        var known = new Dictionary<string, (long rev, JsonObject obj)>();
        var (items, _) = await _registry.List(def, ns, ctx.RequestAborted);
        async Task Send(string type, JsonObject o)
        {
            o["apiVersion"] ??= def.GroupVersion;
            o["kind"] ??= def.Kind;
            await ctx.Response.WriteAsync(new JsonObject { ["type"] = type, ["object"] = o.DeepClone() }.Text() + "\n", ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        }
        static string Key(JsonObject o) => $"{o.Str("metadata", "namespace")}/{o.Str("metadata", "name")}";
        static long Rev(JsonObject o) => long.TryParse(o.Str("metadata", "resourceVersion"), out var v) ? v : 0;
        foreach (var o in items)
        {
            known[Key(o)] = (Rev(o), o);
            if (!match(o)) continue;
            if (initial) await Send("ADDED", o);
            else if (Rev(o) > since) await Send(Rev(o) == 0 ? "ADDED" : "MODIFIED", o);
        }
        try
        {
            while (!ctx.RequestAborted.IsCancellationRequested && DateTime.UtcNow < end)
            {
                await Task.Delay(250, ctx.RequestAborted);
                List<JsonObject> now;
                try { (now, _) = await _registry.List(def, ns, ctx.RequestAborted); }
                catch (StorageException) { return; }
                var seen = new HashSet<string>();
                foreach (var o in now)
                {
                    var k = Key(o);
                    seen.Add(k);
                    var rev = Rev(o);
                    if (known.TryGetValue(k, out var old))
                    {
                        if (old.rev == rev) continue;
                        var was = match(old.obj);
                        var isNow = match(o);
                        if (isNow) await Send(was ? "MODIFIED" : "ADDED", o);
                        else if (was) await Send("DELETED", o);
                    }
                    else if (match(o)) await Send("ADDED", o);
                    known[k] = (rev, o);
                }
                foreach (var k in known.Keys.Where(k => !seen.Contains(k)).ToList())
                {
                    if (match(known[k].obj)) await Send("DELETED", known[k].obj);
                    known.Remove(k);
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
