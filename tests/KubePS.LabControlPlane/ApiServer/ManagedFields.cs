using System.Text.Json.Nodes;
using KubePS.LabControlPlane.Common;

namespace KubePS.LabControlPlane.ApiServer;

/// <summary>
/// Field ownership for server-side apply, simplified: a manager owns a set of leaf paths (scalars, empty maps, atomic
/// lists, and the fields of items of the associative lists of the built-in types, keyed as k:{"name":"x"}). Apply conflicts when another manager owns a field the applier sets to a different value;
/// force takes ownership; fields an applier stops applying are removed unless someone else owns them. Non-apply
/// writes give the writer ownership of what it changed. Ownership is kept in metadata.managedFields (FieldsV1).
/// </summary>
public static class ManagedFields
{
    const char Sep = '\u001f';

    sealed class Entry
    {
        public string Manager = "";
        public string Operation = "Update";
        public string ApiVersion = "";
        public string Subresource = "";
        public string Time = "";
        public HashSet<string> Fields = [];
    }

    static readonly HashSet<string> MetaSkip =
        ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
         "deletionTimestamp", "deletionGracePeriodSeconds", "generateName"];

    /// <summary>Leaf paths of an object, limited to the spec side or the status side.</summary>
    public static HashSet<string> Leaves(JsonObject obj, bool statusOnly, bool excludeStatus)
    {
        var set = new HashSet<string>();
        foreach (var (k, v) in obj)
        {
            if (k is "apiVersion" or "kind") continue;
            if (statusOnly != (k == "status")) continue;
            if (k == "status" && excludeStatus) continue;
            if (k == "metadata" && v is JsonObject m)
            {
                foreach (var (mk, mv) in m)
                    if (!MetaSkip.Contains(mk)) Walk(mv, "metadata" + Sep + mk, mk, set);
                continue;
            }
            Walk(v, k, k, set);
        }
        return set;
    }

    /// <summary>Lists the built-in types declare associative (x-kubernetes-list-type=map), with their key field.</summary>
    static string? ListKey(string field, JsonArray items) => field switch
    {
        "containers" or "initContainers" or "ephemeralContainers" or "env" or "volumes" or "imagePullSecrets" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" => "type",
        "ports" => items.OfType<JsonObject>().Any(o => o.ContainsKey("containerPort")) ? "containerPort" : "port",
        _ => null,
    };

    static void Walk(JsonNode? n, string path, string field, HashSet<string> set)
    {
        if (n is JsonObject o && o.Count > 0) { foreach (var (k, v) in o) Walk(v, path + Sep + k, k, set); return; }
        if (n is JsonArray a && a.Count > 0 && ListKey(field, a) is { } key
            && a.All(i => i is JsonObject io && io[key] is JsonValue)
            && a.Select(i => i![key]!.ToJsonString()).Distinct().Count() == a.Count)
        {
            foreach (var item in a.OfType<JsonObject>())
                Walk(item, path + Sep + ItemSeg(key, item[key]), "", set);
            return;
        }
        set.Add(path);
    }

    static string ItemSeg(string key, JsonNode? value) => "k:" + new JsonObject { [key] = value?.DeepClone() }.ToJsonString();

    static string[] Segs(string path) => path.Split(Sep);

    public static string Render(string path) => string.Concat(Segs(path).Select(s =>
    {
        if (!s.StartsWith("k:", StringComparison.Ordinal)) return "." + s;
        var kv = (JsonNode.Parse(s[2..]) as JsonObject)!.First();
        return $"[{kv.Key}={kv.Value?.ToJsonString()}]";
    }));

    /// <summary>One step down: a map field, or the item of an associative list with the segment's key.</summary>
    static JsonNode? Child(JsonNode? n, string seg)
    {
        if (seg.StartsWith("k:", StringComparison.Ordinal))
        {
            if (n is not JsonArray a || JsonNode.Parse(seg[2..]) is not JsonObject kv) return null;
            return a.FirstOrDefault(i => i is JsonObject io && kv.All(p => J.Same(io[p.Key], p.Value)));
        }
        return n is JsonObject o && o.TryGetPropertyValue(seg, out var c) ? c : null;
    }

    static bool Overlaps(string a, string b) =>
        a == b || a.StartsWith(b + Sep, StringComparison.Ordinal) || b.StartsWith(a + Sep, StringComparison.Ordinal);

    static JsonNode? ValueAt(JsonObject o, string path)
    {
        JsonNode? cur = o;
        foreach (var seg in Segs(path))
        {
            cur = Child(cur, seg);
            if (cur is null) return null;
        }
        return cur;
    }

    static List<Entry> Read(JsonObject obj)
    {
        var list = new List<Entry>();
        foreach (var e in obj.Arr("metadata", "managedFields").OfType<JsonObject>())
        {
            var entry = new Entry
            {
                Manager = e.Str("manager") ?? "", Operation = e.Str("operation") ?? "Update", ApiVersion = e.Str("apiVersion") ?? "",
                Subresource = e.Str("subresource") ?? "", Time = e.Str("time") ?? "",
            };
            if (e["fieldsV1"] is JsonObject f) ReadFields(f, "", entry.Fields);
            list.Add(entry);
        }
        return list;
    }

    static void ReadFields(JsonObject f, string prefix, HashSet<string> into)
    {
        foreach (var (k, v) in f)
        {
            if (k == ".") continue;
            var seg = k.StartsWith("f:", StringComparison.Ordinal) ? k[2..] : k;
            var path = prefix.Length == 0 ? seg : prefix + Sep + seg;
            if (v is JsonObject c && c.Any(kv => kv.Key != ".")) ReadFields(c, path, into);
            else into.Add(path);
        }
    }

    static void Write(JsonObject obj, List<Entry> entries)
    {
        var arr = new JsonArray();
        foreach (var e in entries.Where(e => e.Fields.Count > 0))
        {
            var fields = new JsonObject();
            foreach (var p in e.Fields.OrderBy(p => p, StringComparer.Ordinal))
            {
                var cur = fields;
                var segs = Segs(p);
                foreach (var s in segs) cur = cur.Ensure(s.StartsWith("k:", StringComparison.Ordinal) ? s : "f:" + s);
            }
            var o = new JsonObject { ["manager"] = e.Manager, ["operation"] = e.Operation, ["apiVersion"] = e.ApiVersion, ["time"] = e.Time,
                ["fieldsType"] = "FieldsV1", ["fieldsV1"] = fields };
            if (e.Subresource.Length > 0) o["subresource"] = e.Subresource;
            arr.Add(o);
        }
        var meta = obj.Ensure("metadata");
        if (arr.Count > 0) meta["managedFields"] = arr; else meta.Remove("managedFields");
    }

    /// <summary>Records a non-apply write (create, update, patch) by <paramref name="manager"/>.</summary>
    public static void RecordUpdate(JsonObject? old, JsonObject updated, string manager, string apiVersion, string subresource, bool hasStatus)
    {
        var statusSide = subresource == "status";
        var entries = old is null ? [] : Read(old);
        var newLeaves = Leaves(updated, statusSide, excludeStatus: hasStatus && !statusSide);
        var oldLeaves = old is null ? [] : Leaves(old, statusSide, excludeStatus: hasStatus && !statusSide);
        var changed = newLeaves.Where(p => old is null || !oldLeaves.Contains(p) || !J.Same(ValueAt(old, p), ValueAt(updated, p))).ToHashSet();
        var removed = oldLeaves.Where(p => !newLeaves.Contains(p)).ToList();
        foreach (var e in entries)
        {
            e.Fields.RemoveWhere(f => changed.Any(c => Overlaps(c, f)) || removed.Any(r => Overlaps(r, f)));
        }
        if (changed.Count > 0)
        {
            var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Update" && e.Subresource == (statusSide ? "status" : ""));
            if (mine is null) { mine = new Entry { Manager = manager, Operation = "Update", Subresource = statusSide ? "status" : "" }; entries.Add(mine); }
            mine.ApiVersion = apiVersion;
            mine.Time = J.Now();
            mine.Fields.UnionWith(changed);
        }
        Write(updated, entries);
    }

    /// <summary>Server-side apply of <paramref name="applied"/> onto <paramref name="live"/> (null when creating).</summary>
    public static JsonObject Apply(ResourceDef def, JsonObject? live, JsonObject applied, string manager, bool force, string name, string subresource)
    {
        var statusSide = subresource == "status";
        var excludeStatus = def.HasStatus && !statusSide;
        var appliedLeaves = Leaves(applied, statusSide, excludeStatus);
        var result = live is null ? new JsonObject() : (JsonObject)live.DeepClone();
        if (live is null)
        {
            var meta = result.Ensure("metadata");
            meta["name"] = applied.Str("metadata", "name");
            if (applied.Str("metadata", "namespace") is { } ans) meta["namespace"] = ans;
        }
        var entries = live is null ? [] : Read(live);
        var me = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Apply" && e.Subresource == (statusSide ? "status" : ""));

        if (live is not null)
        {
            var conflicts = new List<(string manager, string apiVersion, string path)>();
            foreach (var p in appliedLeaves)
            {
                foreach (var e in entries)
                {
                    if (ReferenceEquals(e, me)) continue;
                    foreach (var f in e.Fields.Where(f => Overlaps(f, p)))
                    {
                        var shorter = f.Length <= p.Length ? f : p;
                        if (!J.Same(ValueAt(live, shorter), ValueAt(Overlay(live, applied, shorter), shorter)))
                            conflicts.Add((e.Manager, e.ApiVersion, f));
                    }
                }
            }
            conflicts = conflicts.Distinct().ToList();
            if (conflicts.Count > 0 && !force)
            {
                var causes = new JsonArray(conflicts.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = "FieldManagerConflict", ["message"] = $"conflict with \"{c.manager}\" using {c.apiVersion}", ["field"] = Render(c.path),
                }).ToArray());
                string msg;
                if (conflicts.Count == 1)
                    msg = $"Apply failed with 1 conflict: conflict with \"{conflicts[0].manager}\" using {conflicts[0].apiVersion}: {Render(conflicts[0].path)}";
                else
                    msg = $"Apply failed with {conflicts.Count} conflicts: " + string.Join("\n", conflicts.GroupBy(c => (c.manager, c.apiVersion)).Select(g =>
                        $"conflicts with \"{g.Key.manager}\" using {g.Key.apiVersion}:\n" + string.Join("\n", g.Select(c => "- " + Render(c.path)))));
                throw ApiError.ConflictMessage(def, name, msg, causes);
            }
            // Forced: the applier takes the conflicting fields over. Fields applied with the value they already
            // have stay shared with their other managers.
            foreach (var (mgr, _, path) in conflicts)
                foreach (var e in entries.Where(e => !ReferenceEquals(e, me) && e.Manager == mgr))
                    e.Fields.Remove(path);

            // Fields this manager applied before and no longer applies: removed unless another manager owns them.
            if (me is not null)
            {
                var keyFields = new List<string[]>();
                foreach (var p in me.Fields.Where(f => !appliedLeaves.Any(a => Overlaps(a, f))))
                {
                    if (entries.Any(e => !ReferenceEquals(e, me) && e.Fields.Any(f => Overlaps(f, p)))) continue;
                    var segs = Segs(p);
                    // An associative list item's key goes only with the whole item (when nobody owns the rest).
                    if (segs.Length >= 2 && segs[^2].StartsWith("k:", StringComparison.Ordinal)
                        && (JsonNode.Parse(segs[^2][2..]) as JsonObject)?.ContainsKey(segs[^1]) == true)
                    {
                        keyFields.Add(segs);
                        continue;
                    }
                    RemoveAt(result, segs);
                }
                foreach (var segs in keyFields)
                {
                    var itemPath = string.Join(Sep, segs[..^1]);
                    if (ValueAt(result, itemPath) is JsonObject item && item.All(kv => (JsonNode.Parse(segs[^2][2..]) as JsonObject)!.ContainsKey(kv.Key)))
                        RemoveAt(result, segs[..^1]);
                }
            }
        }

        foreach (var p in appliedLeaves) SetAt(result, Segs(p), ValueAt(applied, p)?.DeepClone());
        if (me is null) { me = new Entry { Manager = manager, Operation = "Apply", Subresource = statusSide ? "status" : "" }; entries.Add(me); }
        me.ApiVersion = def.GroupVersion;
        me.Time = J.Now();
        me.Fields = appliedLeaves;
        Write(result, entries);
        return result;
    }

    /// <summary>The live object with the applied value written at <paramref name="path"/>.</summary>
    static JsonObject Overlay(JsonObject live, JsonObject applied, string path)
    {
        var copy = new JsonObject();
        SetAt(copy, Segs(path), ValueAt(applied, path)?.DeepClone());
        return copy;
    }

    static void SetAt(JsonObject o, string[] segs, JsonNode? value)
    {
        JsonNode cur = o;
        for (int i = 0; i < segs.Length; i++)
        {
            var seg = segs[i];
            var last = i == segs.Length - 1;
            var nextIsItem = !last && segs[i + 1].StartsWith("k:", StringComparison.Ordinal);
            if (seg.StartsWith("k:", StringComparison.Ordinal))
            {
                if (cur is not JsonArray a) return;
                var item = Child(a, seg) as JsonObject;
                if (item is null)
                {
                    item = (JsonObject)JsonNode.Parse(seg[2..])!;
                    a.Add(item);
                }
                if (last) { a[a.IndexOf(item)] = value; return; }
                cur = item;
                continue;
            }
            if (cur is not JsonObject co) return;
            if (last) { co[seg] = value; return; }
            var child = co[seg];
            if (nextIsItem && child is not JsonArray) { child = new JsonArray(); co[seg] = child; }
            else if (!nextIsItem && child is not JsonObject) { child = new JsonObject(); co[seg] = child; }
            cur = child!;
        }
    }

    static void RemoveAt(JsonObject o, string[] segs)
    {
        var chain = new List<JsonNode> { o };
        JsonNode? cur = o;
        foreach (var seg in segs.Take(segs.Length - 1))
        {
            cur = Child(cur, seg);
            if (cur is null) return;
            chain.Add(cur);
        }
        Detach(chain[^1], segs[^1]);
        // Prune containers the removal left empty, from the deepest up.
        for (int i = chain.Count - 1; i > 0; i--)
        {
            var empty = chain[i] is JsonObject eo ? eo.Count == 0 : chain[i] is JsonArray ea && ea.Count == 0;
            if (!empty) break;
            Detach(chain[i - 1], segs[i - 1]);
        }
    }

    static void Detach(JsonNode parent, string seg)
    {
        if (parent is JsonObject po) po.Remove(seg);
        else if (parent is JsonArray pa && Child(pa, seg) is { } item) pa.Remove(item);
    }
}
