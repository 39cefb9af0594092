using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

public sealed record WriteContext(UserInfo User, string Manager, bool DryRun);

/// <summary>Generic storage semantics: create/update/delete with uid, creationTimestamp, generation, resourceVersion
/// (etcd mod_revision) preconditions, status subresources, finalizers and managedFields.</summary>
public sealed class Registry(EtcdStore store, Strategies strategies, Authorizer authz)
{
    public EtcdStore Store => store;

    static readonly HashSet<string> GenerationTypes = ["deployments", "daemonsets", "replicasets", "poddisruptionbudgets"];

    static JsonObject WithRv(KeyValue kv)
    {
        var o = kv.Value;
        o.Ensure("metadata")["resourceVersion"] = kv.ModRevision.ToString();
        return o;
    }

    static string KeyOf(ResourceDef def, string ns, string name) => def.Key(ns, name);

    public async Task<JsonObject?> Get(ResourceDef def, string ns, string name, CancellationToken ct = default)
    {
        var kv = await store.Get(KeyOf(def, ns, name), ct);
        return kv is null ? null : WithRv(kv);
    }

    public async Task<JsonObject> MustGet(ResourceDef def, string ns, string name, CancellationToken ct = default) =>
        await Get(def, ns, name, ct) ?? throw ApiError.NotFound(def, name);

    public async Task<(List<JsonObject> items, long revision)> List(ResourceDef def, string ns, CancellationToken ct = default)
    {
        var prefix = def.EtcdPrefix + (def.Namespaced && ns.Length > 0 ? ns + "/" : "");
        var (items, rev) = await store.List(prefix, ct);
        return (items.Select(WithRv).ToList(), rev);
    }

    static void Touched(ResourceDef def, Authorizer a)
    {
        if (def.Group == "rbac.authorization.k8s.io") a.Invalidate();
    }

    public async Task EnsureNamespace(string ns, CancellationToken ct)
    {
        if (await store.Get(Resources.Get("", "namespaces").Key("", ns), ct) is null) throw ApiError.NamespaceNotFound(ns);
    }

    static readonly char[] NameAlphabet = "bcdfghjklmnpqrstvwxz2456789".ToCharArray();

    public async Task<JsonObject> Create(ResourceDef def, string ns, JsonObject obj, WriteContext w, CancellationToken ct = default)
    {
        obj["apiVersion"] = def.GroupVersion;
        obj["kind"] = def.Kind;
        var meta = obj.Ensure("metadata");
        if (def.Namespaced)
        {
            var bodyNs = meta.Str("namespace");
            if (bodyNs is { Length: > 0 } && bodyNs != ns)
                throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            meta["namespace"] = ns;
            await EnsureNamespace(ns, ct);
        }
        else meta.Remove("namespace");
        var name = meta.Str("name") ?? "";
        if (name.Length == 0 && meta.Str("generateName") is { Length: > 0 } gen)
        {
            name = gen + new string(Enumerable.Range(0, 5).Select(_ => NameAlphabet[Random.Shared.Next(NameAlphabet.Length)]).ToArray());
            meta["name"] = name;
        }
        if (name.Length == 0) throw ApiError.Invalid(def, "", ("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"));
        Strategies.ValidateName(def, name);
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = J.Now();
        meta.Remove("resourceVersion");
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        meta.Remove("managedFields");
        meta.Remove("selfLink");
        if (GenerationTypes.Contains(def.Plural)) meta["generation"] = 1; else meta.Remove("generation");
        await strategies.PrepareForCreate(def, obj, w.User, ct);
        ManagedFields.RecordUpdate(null, obj, w.Manager, def.GroupVersion, "", def.HasStatus);
        if (w.DryRun) return obj;
        try
        {
            var rev = await store.Create(KeyOf(def, ns, name), obj, ct);
            meta["resourceVersion"] = rev.ToString();
        }
        catch (CasFailed) { throw ApiError.AlreadyExists(def, name); }
        Touched(def, authz);
        return obj;
    }

    /// <summary>Creates an object as part of an apply that found nothing: managedFields are already set.</summary>
    public async Task<JsonObject> CreateApplied(ResourceDef def, string ns, JsonObject obj, WriteContext w, CancellationToken ct)
    {
        var mf = obj.Obj("metadata")["managedFields"]?.DeepClone();
        var created = await Create(def, ns, obj, w with { DryRun = true }, ct);
        created.Ensure("metadata")["managedFields"] = mf;
        if (w.DryRun) return created;
        try
        {
            var rev = await store.Create(KeyOf(def, ns, created.Str("metadata", "name")!), created, ct);
            created.Ensure("metadata")["resourceVersion"] = rev.ToString();
        }
        catch (CasFailed) { throw ApiError.AlreadyExists(def, created.Str("metadata", "name")!); }
        Touched(def, authz);
        return created;
    }

    public delegate Task<JsonObject> Mutation(JsonObject current);

    /// <summary>
    /// Read-modify-write with compare-and-swap on mod_revision. The mutation returns the proposed object; a
    /// resourceVersion in it that is not the current one is a 409 Conflict, as is losing a race when the client
    /// pinned the version. <paramref name="managedByMutation"/>: the mutation already set managedFields (apply).
    /// <paramref name="clientPinned"/>: whether the client's request named a resourceVersion (a patch's result always
    /// carries the current one: a patch that names none is applied again to the newer object after a lost race, as
    /// the real API server's update loop does); null means the proposed object's resourceVersion is the client's (PUT).
    /// </summary>
    public async Task<JsonObject> Update(ResourceDef def, string ns, string name, string subresource, Mutation mutate, WriteContext w,
        bool managedByMutation = false, CancellationToken ct = default, bool? clientPinned = null)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            var kv = await store.Get(KeyOf(def, ns, name), ct) ?? throw ApiError.NotFound(def, name);
            var cur = WithRv(kv);
            var proposed = await mutate((JsonObject)cur.DeepClone());
            var pinned = proposed.Str("metadata", "resourceVersion");
            if (pinned is { Length: > 0 } && pinned != kv.ModRevision.ToString()) throw ApiError.Conflict(def, name);
            var pm = proposed.Obj("metadata");
            if (pm.Str("name") is { Length: > 0 } pn && pn != name)
                throw ApiError.BadRequest($"the name of the object ({pn}) does not match the name on the URL ({name})");
            if (def.Namespaced && pm.Str("namespace") is { Length: > 0 } pns && pns != ns)
                throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");

            var next = Merge(def, cur, proposed, subresource);
            strategies.PrepareForUpdate(def, cur, next, subresource, w.User);
            if (!managedByMutation) ManagedFields.RecordUpdate(cur, next, w.Manager, def.GroupVersion, subresource, def.HasStatus);
            else next.Ensure("metadata")["managedFields"] = proposed.Obj("metadata")["managedFields"]?.DeepClone();
            next.Ensure("metadata")["resourceVersion"] = kv.ModRevision.ToString();

            if (J.Same(Comparable(next), Comparable(cur))) return cur;
            if (w.DryRun) return next;
            try
            {
                if (next.Str("metadata", "deletionTimestamp") is not null && next.Arr("metadata", "finalizers").Count == 0)
                {
                    await store.Delete(KeyOf(def, ns, name), kv.ModRevision, ct);
                    Touched(def, authz);
                    return next;
                }
                var rev = await store.Update(KeyOf(def, ns, name), next, kv.ModRevision, ct);
                next.Ensure("metadata")["resourceVersion"] = rev.ToString();
                Touched(def, authz);
                return next;
            }
            catch (CasFailed)
            {
                if (clientPinned ?? pinned is { Length: > 0 }) throw ApiError.Conflict(def, name);
            }
        }
        throw ApiError.Conflict(def, name);
    }

    static JsonObject Comparable(JsonObject o)
    {
        var c = (JsonObject)o.DeepClone();
        var m = c.Obj("metadata");
        m.Remove("managedFields");
        m.Remove("resourceVersion");
        return c;
    }

    static bool SpecChanged(JsonObject a, JsonObject b)
    {
        var x = (JsonObject)a.DeepClone(); x.Remove("metadata"); x.Remove("status");
        var y = (JsonObject)b.DeepClone(); y.Remove("metadata"); y.Remove("status");
        return !J.Same(x, y);
    }

    /// <summary>What a write may change: the main resource keeps status, subresources change only their part.</summary>
    static JsonObject Merge(ResourceDef def, JsonObject cur, JsonObject proposed, string subresource)
    {
        JsonObject next;
        switch (subresource)
        {
            case "status":
                next = (JsonObject)cur.DeepClone();
                next["status"] = proposed["status"]?.DeepClone();
                if (def.Plural == "certificatesigningrequests")
                {
                    // The status subresource cannot approve or deny.
                    var keep = cur.Arr("status", "conditions").Where(IsApproval).Select(c => c?.DeepClone());
                    var rest = proposed.Arr("status", "conditions").Where(c => !IsApproval(c)).Select(c => c?.DeepClone());
                    var all = J.ToArray(keep.Concat(rest));
                    if (all.Count > 0) next.Ensure("status")["conditions"] = all;
                }
                return next;
            case "approval":
                next = (JsonObject)cur.DeepClone();
                var approvals = proposed.Arr("status", "conditions").Where(IsApproval).Select(c => c?.DeepClone());
                var others = cur.Arr("status", "conditions").Where(c => !IsApproval(c)).Select(c => c?.DeepClone());
                var merged = J.ToArray(approvals.Concat(others));
                foreach (var c in merged.OfType<JsonObject>())
                {
                    c["status"] ??= "True";
                    c["lastUpdateTime"] ??= J.Now();
                    c["lastTransitionTime"] ??= J.Now();
                }
                next.Ensure("status")["conditions"] = merged;
                return next;
            case "binding":
                return (JsonObject)proposed.DeepClone();
            default:
                next = (JsonObject)proposed.DeepClone();
                next["apiVersion"] = def.GroupVersion;
                next["kind"] = def.Kind;
                if (def.HasStatus || def.Plural == "certificatesigningrequests")
                {
                    if (cur["status"] is { } st) next["status"] = st.DeepClone(); else next.Remove("status");
                }
                var m = next.Ensure("metadata");
                var cm = cur.Obj("metadata");
                foreach (var k in new[] { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
                {
                    if (cm[k] is { } v) m[k] = v.DeepClone(); else m.Remove(k);
                }
                if (GenerationTypes.Contains(def.Plural) && SpecChanged(cur, next)) m["generation"] = (cm.Long("generation") ?? 0) + 1;
                return next;
        }
    }

    static bool IsApproval(JsonNode? c) => c.Str("type") is "Approved" or "Denied";

    public async Task<JsonObject> Delete(ResourceDef def, string ns, string name, JsonObject? options, WriteContext w, CancellationToken ct = default)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            var kv = await store.Get(KeyOf(def, ns, name), ct) ?? throw ApiError.NotFound(def, name);
            var cur = WithRv(kv);
            if (options.Str("preconditions", "uid") is { Length: > 0 } puid && puid != cur.Str("metadata", "uid"))
                throw ApiError.ConflictMessage(def, name,
                    $"Operation cannot be fulfilled on {ApiError.Qualified(def)} \"{name}\": Precondition failed: UID in precondition: {puid}, UID in object meta: {cur.Str("metadata", "uid")}");
            if (options.Str("preconditions", "resourceVersion") is { Length: > 0 } prv && prv != kv.ModRevision.ToString())
                throw ApiError.ConflictMessage(def, name,
                    $"Operation cannot be fulfilled on {ApiError.Qualified(def)} \"{name}\": Precondition failed: ResourceVersion in precondition: {prv}, ResourceVersion in meta: {kv.ModRevision}");
            await strategies.BeforeDelete(def, cur, w, ct);
            if (w.DryRun) return cur;
            if (cur.Arr("metadata", "finalizers").Count > 0)
            {
                if (cur.Str("metadata", "deletionTimestamp") is not null) return cur;
                var next = (JsonObject)cur.DeepClone();
                next.Ensure("metadata")["deletionTimestamp"] = J.Now();
                next.Ensure("metadata")["deletionGracePeriodSeconds"] = 0;
                try
                {
                    var rev = await store.Update(KeyOf(def, ns, name), next, kv.ModRevision, ct);
                    next.Ensure("metadata")["resourceVersion"] = rev.ToString();
                    return next;
                }
                catch (CasFailed) { continue; }
            }
            try
            {
                await store.Delete(KeyOf(def, ns, name), kv.ModRevision, ct);
                Touched(def, authz);
                if (def.Plural == "namespaces") await DeleteNamespaceContents(name, w, ct);
                return cur;
            }
            catch (CasFailed) { }
        }
        throw ApiError.Conflict(def, name);
    }

    /// <summary>The namespace controller's work, done at once: everything in the namespace goes with it.</summary>
    async Task DeleteNamespaceContents(string ns, WriteContext w, CancellationToken ct)
    {
        foreach (var def in Resources.All.Where(d => d.Namespaced && !d.Virtual))
        {
            var (items, _) = await store.List(def.EtcdPrefix + ns + "/", ct);
            foreach (var kv in items)
            {
                try { await store.Delete(kv.Key, kv.ModRevision, ct); } catch (CasFailed) { }
            }
            if (items.Count > 0) Touched(def, authz);
        }
    }
}
