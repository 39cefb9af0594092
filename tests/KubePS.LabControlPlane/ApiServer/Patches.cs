using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch for the built-in types.</summary>
public static class Patches
{
    // ---------- RFC 7386
    public static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p) return patch?.DeepClone();
        var t = target is JsonObject to ? (JsonObject)to.DeepClone() : new JsonObject();
        foreach (var (k, v) in p)
        {
            if (v is null) t.Remove(k);
            else t[k] = Merge(t[k], v);
        }
        return t;
    }

    // ---------- Strategic merge patch
    /// <summary>Merge keys of list fields that Kubernetes types declare with patchStrategy=merge.</summary>
    static string? MergeKey(string field, JsonArray sample) => field switch
    {
        "containers" or "initContainers" or "ephemeralContainers" or "volumes" or "env" or "imagePullSecrets" => "name",
        "readinessGates" => "conditionType",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" or "addresses" => "type",
        "ownerReferences" => "uid",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "ports" => sample.OfType<JsonObject>().Any(o => o.ContainsKey("containerPort")) ? "containerPort" : "port",
        _ => null,
    };

    static readonly HashSet<string> MergedPrimitiveLists = ["finalizers"];

    public static JsonNode? Strategic(JsonNode? target, JsonNode? patch) => Smp(target, patch, "");

    static JsonNode? Smp(JsonNode? target, JsonNode? patch, string field)
    {
        if (patch is not JsonObject p) return patch?.DeepClone();
        if (p.Str("$patch") == "replace")
        {
            var r = (JsonObject)p.DeepClone();
            r.Remove("$patch");
            return r;
        }
        if (p.Str("$patch") == "delete") return null;
        var t = target is JsonObject to ? (JsonObject)to.DeepClone() : new JsonObject();
        if (p["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.StringItems().ToHashSet();
            foreach (var k in t.Select(kv => kv.Key).ToList()) if (!keep.Contains(k)) t.Remove(k);
        }
        foreach (var (k, v) in p)
        {
            if (k is "$retainKeys" or "$patch") continue;
            if (k.StartsWith("$setElementOrder/", StringComparison.Ordinal)) continue;
            if (k.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var name = k["$deleteFromPrimitiveList/".Length..];
                var del = v.StringItems().ToHashSet();
                if (t[name] is JsonArray arr)
                    t[name] = J.ToArray(arr.Where(x => !del.Contains(x.Str() ?? "\0")).Select(x => x?.DeepClone()));
                continue;
            }
            if (v is null) { t.Remove(k); continue; }
            if (v is JsonArray pa && t[k] is JsonArray ta)
            {
                var key = MergeKey(k, pa.Count > 0 ? pa : ta);
                if (key is not null) { t[k] = MergeList(ta, pa, key); continue; }
                if (MergedPrimitiveLists.Contains(k))
                {
                    var merged = ta.Select(x => x?.DeepClone()).ToList();
                    foreach (var x in pa) if (!merged.Any(m => J.Same(m, x))) merged.Add(x?.DeepClone());
                    t[k] = J.ToArray(merged);
                    continue;
                }
                t[k] = StripDirectives(pa);
                continue;
            }
            var result = Smp(t[k], v, k);
            if (result is null && v is JsonObject vo && vo.Str("$patch") == "delete") t.Remove(k);
            else t[k] = v is JsonArray va ? StripDirectives(va) : result;
        }
        return t;
    }

    static JsonArray StripDirectives(JsonArray a) =>
        J.ToArray(a.Where(x => !(x is JsonObject o && o.Str("$patch") == "delete")).Select(x =>
        {
            if (x is JsonObject o) { var c = (JsonObject)o.DeepClone(); c.Remove("$patch"); return (JsonNode)c; }
            return x?.DeepClone();
        }));

    static JsonArray MergeList(JsonArray target, JsonArray patch, string key)
    {
        if (patch.OfType<JsonObject>().Any(o => o.Str("$patch") == "replace"))
            return StripDirectives(J.ToArray(patch.Where(x => !(x is JsonObject o && o.Str("$patch") == "replace"))));
        var result = target.Select(x => x?.DeepClone()).ToList();
        foreach (var item in patch)
        {
            if (item is not JsonObject io) { result.Add(item?.DeepClone()); continue; }
            var kv = io[key];
            int idx = result.FindIndex(x => x is JsonObject xo && J.Same(xo[key], kv));
            if (io.Str("$patch") == "delete") { if (idx >= 0) result.RemoveAt(idx); continue; }
            if (idx >= 0) result[idx] = Smp(result[idx], io, "");
            else { var c = (JsonObject)io.DeepClone(); c.Remove("$patch"); result.Add(c); }
        }
        return J.ToArray(result);
    }

    // ---------- RFC 6902
    public static JsonNode? JsonPatch(JsonNode? doc, JsonArray ops)
    {
        var root = new JsonObject { ["r"] = doc?.DeepClone() };
        foreach (var op in ops)
        {
            var kind = op.Str("op") ?? throw ApiError.BadRequest("json patch: operation without \"op\"");
            var path = op.Str("path") ?? throw ApiError.BadRequest("json patch: operation without \"path\"");
            switch (kind)
            {
                case "add": Add(root, path, op!["value"]?.DeepClone()); break;
                case "remove": Remove(root, path); break;
                case "replace": Remove(root, path); Add(root, path, op!["value"]?.DeepClone()); break;
                case "move":
                {
                    var from = op.Str("from") ?? throw ApiError.BadRequest("json patch: move without \"from\"");
                    var v = Get(root, from)?.DeepClone(); Remove(root, from); Add(root, path, v); break;
                }
                case "copy":
                {
                    var from = op.Str("from") ?? throw ApiError.BadRequest("json patch: copy without \"from\"");
                    Add(root, path, Get(root, from)?.DeepClone()); break;
                }
                case "test":
                    if (!J.Same(Get(root, path), op!["value"])) throw ApiError.Internal($"json patch test operation failed at {path}");
                    break;
                default: throw ApiError.BadRequest($"json patch: unknown op \"{kind}\"");
            }
        }
        return root["r"]?.DeepClone();
    }

    static List<string> Pointer(string p)
    {
        if (p.Length > 0 && p[0] != '/') throw ApiError.BadRequest($"json patch: invalid path \"{p}\"");
        var segs = new List<string> { "r" };
        if (p.Length == 0) return segs;
        segs.AddRange(p[1..].Split('/').Select(s => s.Replace("~1", "/").Replace("~0", "~")));
        return segs;
    }

    static (JsonNode parent, string last) Parent(JsonObject root, string path)
    {
        var segs = Pointer(path);
        JsonNode cur = root;
        foreach (var s in segs.Take(segs.Count - 1))
        {
            JsonNode? next = cur switch
            {
                JsonObject o => o[s],
                JsonArray a when int.TryParse(s, out var i) && i >= 0 && i < a.Count => a[i],
                _ => null,
            };
            cur = next ?? throw ApiError.Internal($"json patch: path \"{path}\" does not exist");
        }
        return (cur, segs[^1]);
    }

    static JsonNode? Get(JsonObject root, string path)
    {
        var (parent, last) = Parent(root, path);
        return parent switch
        {
            JsonObject o when o.ContainsKey(last) => o[last],
            JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count => a[i],
            _ => throw ApiError.Internal($"json patch: path \"{path}\" does not exist"),
        };
    }

    static void Add(JsonObject root, string path, JsonNode? value)
    {
        var (parent, last) = Parent(root, path);
        switch (parent)
        {
            case JsonObject o: o[last] = value; break;
            case JsonArray a when last == "-": a.Add(value); break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count: a.Insert(i, value); break;
            default: throw ApiError.Internal($"json patch: cannot add at \"{path}\"");
        }
    }

    static void Remove(JsonObject root, string path)
    {
        var (parent, last) = Parent(root, path);
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last): o.Remove(last); break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count: a.RemoveAt(i); break;
            default: throw ApiError.Internal($"json patch: path \"{path}\" does not exist");
        }
    }
}
